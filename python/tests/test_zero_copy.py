"""Tensors cross the boundary without copies (same storage) where dtype and device allow.

Zero-copy calls: every tensor argument (the library reads or writes the caller's storage) and
every returned tensor (a torch.Tensor around the library's storage). The library converts only
where its algorithm needs another dtype or device (the metrics work in float64 on the CPU), and
Mala.init makes the start mean-free (a new tensor, by design).
"""
import torch

import pita


def test_a_tensor_stored_and_read_back_is_the_same_object():
    x = torch.randn(4, 13, 3, dtype=torch.float64)
    state = pita.ChainState(x=x, energy=torch.zeros(4, dtype=torch.float64), force=torch.zeros_like(x))
    assert state.x is x  # the same torch.Tensor object: the same TensorImpl went in and out
    assert state.x.data_ptr() == x.data_ptr()


def test_mala_moves_the_callers_tensor_in_place():
    lj = pita.lennard_jones()
    mala = pita.Mala(lj, temperatures=[1.0] * 8, step_size=1e-4)
    state = mala.init(lj.initial_configurations(8, seed=3))
    x = state.x
    before = x.clone()
    ptr = x.data_ptr()
    accepted = mala.step(state, torch.Generator().manual_seed(5))
    assert accepted.dtype == torch.bool and accepted.shape == (8,)
    assert accepted.any()
    # The C++ kernel wrote the accepted moves into the storage Python holds.
    assert state.x.data_ptr() == ptr
    assert not torch.equal(x, before)
    torch.testing.assert_close(x[accepted], state.x[accepted], rtol=0, atol=0)


def test_returned_tensors_wrap_the_librarys_storage(tmp_path):
    lj = pita.lennard_jones()
    mala = pita.Mala(lj, temperatures=[1.0] * 2)
    state = mala.init(lj.initial_configurations(2, seed=1))
    a, b = state.energy, state.energy
    # Each read wraps the one C++ tensor: the same torch.Tensor object, no copy per access.
    assert a is b and a.data_ptr() == b.data_ptr()
    a.add_(1.0)  # a write from Python is seen by C++ (and by the next read)
    torch.testing.assert_close(state.energy, b)


def test_the_target_reads_views_and_float32_in_place():
    lj = pita.lennard_jones()
    big = lj.initial_configurations(6, seed=2).float()
    view = big[::2]  # non-contiguous: the library takes it as it is
    assert not view.is_contiguous()
    torch.testing.assert_close(lj.energy(view), lj.energy(view.contiguous()), rtol=1e-6, atol=1e-5)
    e = lj.energy(big)
    assert e.dtype == torch.float32  # computed in the caller's dtype, not converted to float64

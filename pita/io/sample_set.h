#pragma once
// The on-disk layout of one temperature's samples, as every command writes it and `pita evaluate`
// and the reference readers read it back:
//   DIR/samples.npy    [N, n, d] configurations (float32 unless asked otherwise)
//   DIR/energies.npy   [N] float64 target energies E (not E/T)
// An annealed rung that was relaxed on the target also keeps what the networks delivered:
//   DIR/before_relaxation/samples.npy, energies.npy   (after the SDE and the end correction)
#include <string>

#include "pita/core/tensor_fwd.h"

namespace pita {

/// The subfolder of a rung's sample set that holds the samples before the relaxation.
constexpr const char* kBeforeRelaxationDir = "before_relaxation";

/// Writes DIR/samples.npy and DIR/energies.npy (each atomically), creating DIR.
/// @param dtype  of samples.npy: float32 (the default, as every run writes) or float64
/// @throws IoError when a file cannot be written
void write_sample_set(const std::string& dir, const at::Tensor& samples, const at::Tensor& energies,
                      c10::ScalarType dtype = c10::kFloat);

}  // namespace pita

#pragma once
// A molecular force field read from a serialised OpenMM System and evaluated with LibTorch ops:
// batched, on any device, float32 or float64, differentiable. It reproduces OpenMM's energies
// (validated per force in tests/unit/molecule/force_field_test.cpp) without an OpenMM Context.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pita/energy/energy.h"

namespace OpenMM {
class System;
}  // namespace OpenMM

namespace pita {

namespace detail {
class ForceTerm;
class PairKernel;
}  // namespace detail

/// The potential energy of one molecule, in kJ/mol for positions in nm; forces in kJ/mol/nm.
///
/// Built once from an OpenMM System XML (XmlSerializer format): every force's parameters are
/// copied into tensors at construction and the System is dropped. Supported forces:
/// HarmonicBondForce, HarmonicAngleForce, PeriodicTorsionForce, NonbondedForce (NoCutoff or
/// CutoffNonPeriodic with OpenMM's reaction field), GBSAOBCForce (NoCutoff or
/// CutoffNonPeriodic) and the OBC1/OBC2 CustomGBForce of OpenMM's implicit/obc1.xml and
/// obc2.xml; CMMotionRemover has no energy and is skipped. Anything else is refused at
/// construction with a message naming the force.
///
/// Energies are sums over terms, one term per supported force, in the System's force order.
/// Two implementations with one contract: on the CPU without autograd, a fused float64 loop
/// with analytic forces (the fast path for sampling: the first NonbondedForce and OBC term
/// evaluated together over atom pairs, the other terms one by one, rows split over
/// at::get_num_threads() threads); otherwise LibTorch ops, with forces by autograd (any device,
/// differentiable). term_energies() always takes the LibTorch ops.
/// Non-periodic, so translation invariant.
class ForceField final : public Energy {
  public:
    /// @throws IoError if the file cannot be read, is not a System XML or names a particle
    ///         that is not there (load_openmm_system())
    /// @throws ConfigError if the System holds a force this class does not implement
    explicit ForceField(const std::filesystem::path& system_xml);
    /// The same from XML text; `source` names it in messages and config().
    static std::unique_ptr<ForceField> from_xml_string(const std::string& xml,
                                                       const std::string& source = "<string>");
    ~ForceField() override;

    std::string name() const override { return "force_field"; }
    int64_t n_particles() const override { return n_particles_; }
    int64_t spatial_dim() const override { return 3; }
    bool translation_invariant() const override { return true; }
    nlohmann::json config() const override;

    /// One name per energy term, the OpenMM force class it implements, e.g. "NonbondedForce".
    const std::vector<std::string>& term_names() const { return term_names_; }
    /// The index in the System's force list of each term's force (skipped forces have none).
    const std::vector<int>& term_force_indices() const { return term_force_indices_; }
    /// Energy of each term, for diagnostics and validation; not counted in evaluations().
    /// @param x  [batch, n_particles, 3], nm, float32/float64, any device
    /// @return   [batch, n_terms], kJ/mol, x's dtype and device
    at::Tensor term_energies(const at::Tensor& x) const;

  protected:
    at::Tensor compute_energy(const at::Tensor& x) const override;
    EnergyAndForce compute_energy_and_force(const at::Tensor& x) const override;

  private:
    ForceField(const OpenMM::System& system, std::string source);
    EnergyAndForce cpu_kernel(const at::Tensor& x, bool want_force) const;

    std::string source_;
    int64_t n_particles_ = 0;
    std::vector<std::unique_ptr<detail::ForceTerm>> terms_;
    /// The CPU kernel: the nonbonded and OBC terms fused over pairs, and the other terms.
    std::unique_ptr<detail::PairKernel> pair_kernel_;
    std::vector<const detail::ForceTerm*> unfused_terms_;
    std::vector<std::string> term_names_;
    std::vector<int> term_force_indices_;
};

}  // namespace pita

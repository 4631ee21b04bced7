#pragma once
// The target: a batched potential energy E(x) on configurations of particles. Samplers see
// p_T(x) ∝ exp(-E(x)/T); temperatures are the sampler's business, never the Energy's.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

// EnergyAndForce holds tensors by value, so this header needs the full type (~2 s per TU).
#include <ATen/core/Tensor.h>

#include "pita/core/tensor_fwd.h"
#include "pita/energy/torsion.h"

namespace pita {

struct MolecularGraph;

/// Energies and forces of a batch. `force` is undefined when only the energy was asked for.
struct EnergyAndForce {
    at::Tensor energy;  ///< [batch], same dtype and device as x; units per target
    at::Tensor force;   ///< [batch, n_particles, spatial_dim], −∇E
};

/// A batched potential energy. Works on any LibTorch device, in float32 or float64: results come
/// back on x's device in x's dtype.
///
/// Every evaluation is counted: one per configuration (batch row) passed to energy() or
/// energy_and_force(), so a run can report its exact number of target-energy evaluations.
/// Non-finite energies (overlapping particles, NaN input) are returned as data, never thrown;
/// callers decide what a non-finite row means.
///
/// Implementations are physics objects with no mutable state besides the counter, and are safe
/// to call from several threads at once.
class Energy {
  public:
    Energy() = default;
    Energy(const Energy&) = delete;
    Energy& operator=(const Energy&) = delete;
    virtual ~Energy() = default;

    /// Short identifier, e.g. "lennard_jones".
    virtual std::string name() const = 0;
    virtual int64_t n_particles() const = 0;
    /// Coordinates per particle: 3 for clusters and molecules, 2 for DW-4 and the 2-D mixture.
    virtual int64_t spatial_dim() const = 0;
    /// Whether E(x + c) = E(x) for a common shift c of all particles. Samplers then work in the
    /// mean-free subspace (zero centroid), which has (n_particles − 1)·spatial_dim dimensions.
    virtual bool translation_invariant() const = 0;
    /// The resolved settings, for run.json.
    virtual nlohmann::json config() const = 0;
    /// The backbone torsions that torsion-space metrics compare (all φ, then all ψ, as
    /// ramachandran_torsions() in pita/molecule/torsions.h). Empty, the default, for targets
    /// without a peptide backbone: their metrics compare particle positions instead.
    virtual std::vector<Torsion> ramachandran_torsions() const { return {}; }
    /// Molecules: their bonds and chirality centres (pita/molecule/molecular_graph.h), for the
    /// broken-bond and D/L checks of samples. nullptr, the default, for targets without.
    virtual const MolecularGraph* molecular_graph() const { return nullptr; }

    int64_t dim() const { return n_particles() * spatial_dim(); }
    /// Degrees of freedom a sampler explores: dim(), less spatial_dim() if translation invariant.
    int64_t degrees_of_freedom() const;

    /// @param x  [batch, n_particles, spatial_dim], float32 or float64, any device
    /// @return   [batch] energies
    /// @throws ConfigError if x has the wrong shape or dtype
    at::Tensor energy(const at::Tensor& x) const;
    /// Energies and forces (−∇E) of a batch; see energy().
    EnergyAndForce energy_and_force(const at::Tensor& x) const;

    /// Starting configurations for samplers: finite energy, no overlaps. Default: N(0, I).
    /// @return [batch, n_particles, spatial_dim], float64, CPU
    virtual at::Tensor initial_configurations(int64_t batch, at::Generator& gen) const;

    /// Configurations evaluated so far (energy() and energy_and_force() alike).
    int64_t evaluations() const { return evaluations_.load(std::memory_order_relaxed); }
    void reset_evaluations() { evaluations_.store(0, std::memory_order_relaxed); }

  protected:
    /// x has been validated: 3-D, right sizes, floating point.
    virtual at::Tensor compute_energy(const at::Tensor& x) const = 0;
    /// Default: −∇E by autograd through compute_energy(). Override when analytic forces are faster.
    virtual EnergyAndForce compute_energy_and_force(const at::Tensor& x) const;

  private:
    void validate(const at::Tensor& x) const;
    mutable std::atomic<int64_t> evaluations_{0};
};

}  // namespace pita

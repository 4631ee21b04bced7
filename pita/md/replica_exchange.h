#pragma once
// Replica exchange (parallel tempering) for molecular dynamics: a ladder of heat baths, each
// holding the same number of independent chains, all integrated in one batch by LangevinMiddle.
// Every `exchange()` proposes to swap the configurations of neighbouring baths within a chain and
// accepts with the Metropolis probability of the joint Boltzmann distribution, so each bath keeps
// sampling its own temperature while configurations diffuse through the ladder: the hot baths
// cross barriers, the cold ones inherit the crossings. This is how pita makes reference-quality
// peptide samples at 300 K (the REMD), where plain MD stays in its starting basin.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "pita/md/langevin.h"

namespace pita {

/// Layout: replica r = k·n_chains + c is chain c's copy in bath k (temperatures ascending).
/// Exchanges move configurations (positions, forces, potential; velocities rescaled by
/// sqrt(T_new/T_old), the usual choice, which keeps the kinetic energy Maxwellian at the new
/// bath) and leave every replica's bath temperature in place.
class ReplicaExchange {
  public:
    /// @param temperatures  K, strictly increasing, at least one
    /// @param n_chains      independent chains (each spans the whole ladder), >= 1
    /// @throws ConfigError for an empty or unsorted ladder or n_chains < 1
    ReplicaExchange(std::vector<double> temperatures, int64_t n_chains);

    const std::vector<double>& temperatures() const { return temperatures_; }
    int64_t n_temperatures() const { return static_cast<int64_t>(temperatures_.size()); }
    int64_t n_chains() const { return n_chains_; }
    int64_t n_replicas() const { return n_temperatures() * n_chains_; }
    /// Each replica's bath temperature, K. [n_replicas], float64.
    at::Tensor replica_temperatures() const;

    /// One round of swap attempts between baths (k, k+1) for every k of one parity, in every
    /// chain; the parity alternates between calls (even pairs, then odd pairs, ...), so a
    /// configuration can travel the ladder without two attempts overlapping. Uses
    /// `state.potential` (kJ/mol): accept with min(1, exp((β_k − β_{k+1})(U_k − U_{k+1}))),
    /// β = 1/(R·T). A single-temperature ladder does nothing.
    void exchange(MdState& state, at::Generator& gen);

    /// Swap attempts and acceptances per neighbouring pair (k, k+1). [n_temperatures − 1] each.
    const std::vector<int64_t>& attempts() const { return attempts_; }
    const std::vector<int64_t>& accepts() const { return accepts_; }
    /// Which starting replica's configuration sits in each replica slot (a permutation).
    const std::vector<int64_t>& walkers() const { return walker_; }
    /// Completed trips between the coldest and the hottest bath, summed over configurations:
    /// a configuration's visit to one end after its last visit to the other counts one half
    /// trip; this is the number of half trips / 2. The figure of merit of a ladder: few round
    /// trips means the cold bath has not seen many independent configurations from the hot one.
    double round_trips() const { return static_cast<double>(half_trips_) / 2.0; }

    /// Everything exchange() remembers (counters, walkers, parity), for checkpoints.
    nlohmann::json save() const;
    /// @throws IoError when `saved` does not match this ladder
    void load(const nlohmann::json& saved);

  private:
    void record_ends();

    std::vector<double> temperatures_;
    int64_t n_chains_ = 1;
    std::vector<int64_t> attempts_, accepts_;
    std::vector<int64_t> walker_;   // [n_replicas]: walker in each slot
    std::vector<int8_t> last_end_;  // [n_replicas] by walker: 0 none, 1 coldest, 2 hottest
    int64_t half_trips_ = 0;
    int64_t parity_ = 0;
};

}  // namespace pita

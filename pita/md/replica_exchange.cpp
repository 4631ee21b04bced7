#include "pita/md/replica_exchange.h"

#include <cmath>
#include <utility>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/core/units.h"

namespace pita {

ReplicaExchange::ReplicaExchange(std::vector<double> temperatures, int64_t n_chains)
    : temperatures_(std::move(temperatures)), n_chains_(n_chains) {
    PITA_CHECK(!temperatures_.empty(),
               "[replica_exchange] temperatures: got none; expected at least one (K).");
    for (size_t k = 0; k < temperatures_.size(); ++k) {
        PITA_CHECK(temperatures_[k] > 0 && std::isfinite(temperatures_[k]),
                   "[replica_exchange] temperatures[{}]: got {}; expected > 0 K.", k,
                   temperatures_[k]);
        PITA_CHECK(k == 0 || temperatures_[k] > temperatures_[k - 1],
                   "[replica_exchange] temperatures: got {} after {}; expected a strictly "
                   "increasing ladder, e.g. [300, 350, 408.24, ...].",
                   temperatures_[k], temperatures_[k - 1]);
    }
    PITA_CHECK(n_chains_ >= 1, "[replica_exchange] n_chains: got {}; expected >= 1.", n_chains_);
    attempts_.assign(temperatures_.size() - 1, 0);
    accepts_.assign(temperatures_.size() - 1, 0);
    walker_.resize(static_cast<size_t>(n_replicas()));
    for (int64_t r = 0; r < n_replicas(); ++r) walker_[static_cast<size_t>(r)] = r;
    last_end_.assign(static_cast<size_t>(n_replicas()), 0);
    record_ends();
}

at::Tensor ReplicaExchange::replica_temperatures() const {
    return at::tensor(temperatures_, at::kDouble).repeat_interleave(n_chains_);
}

void ReplicaExchange::record_ends() {
    const int64_t hottest = n_temperatures() - 1;
    if (hottest == 0) return;
    for (int64_t c = 0; c < n_chains_; ++c) {
        for (const auto& [slot, end] : {std::pair<int64_t, int8_t>{c, 1},
                                        std::pair<int64_t, int8_t>{hottest * n_chains_ + c, 2}}) {
            int8_t& last = last_end_[static_cast<size_t>(walker_[static_cast<size_t>(slot)])];
            if (last != 0 && last != end) ++half_trips_;
            last = end;
        }
    }
}

void ReplicaExchange::exchange(MdState& s, at::Generator& gen) {
    const int64_t n_temps = n_temperatures();
    if (n_temps < 2) return;
    PITA_CHECK(s.x.defined() && s.x.size(0) == n_replicas() && s.potential.defined(),
               "[replica_exchange] state: got {} replicas; expected {} ({} temperatures x {} "
               "chains) with potentials (LangevinMiddle::start).",
               s.x.defined() ? s.x.size(0) : 0, n_replicas(), n_temps, n_chains_);
    const at::Tensor u = s.potential.to(at::kDouble).cpu().contiguous();
    const double* up = u.data_ptr<double>();
    const int64_t first = parity_;
    parity_ = 1 - parity_;
    const int64_t n_pairs = (n_temps - 1 - first + 1) / 2;  // k = first, first+2, ... < n_temps−1
    if (n_pairs <= 0) return;
    // Drawn on the generator's device (the state's, rng.h), decided on the host.
    const at::Tensor uniform =
        at::rand({n_pairs * n_chains_}, gen, at::TensorOptions(at::kDouble).device(gen.device()))
            .cpu();
    const double* rp = uniform.data_ptr<double>();

    std::vector<int64_t> source(static_cast<size_t>(n_replicas()));
    for (int64_t r = 0; r < n_replicas(); ++r) source[static_cast<size_t>(r)] = r;
    bool any = false;
    for (int64_t p = 0; p < n_pairs; ++p) {
        const int64_t k = first + 2 * p;
        const double d_beta = 1.0 / (kMolarGasConstant * temperatures_[static_cast<size_t>(k)]) -
                              1.0 / (kMolarGasConstant * temperatures_[static_cast<size_t>(k + 1)]);
        for (int64_t c = 0; c < n_chains_; ++c) {
            const int64_t a = k * n_chains_ + c;
            const int64_t b = a + n_chains_;
            const double log_ratio = d_beta * (up[a] - up[b]);
            ++attempts_[static_cast<size_t>(k)];
            // NaN potentials never swap (a NaN log_ratio fails the comparison).
            if (std::log(rp[p * n_chains_ + c]) < log_ratio) {
                ++accepts_[static_cast<size_t>(k)];
                std::swap(source[static_cast<size_t>(a)], source[static_cast<size_t>(b)]);
                std::swap(walker_[static_cast<size_t>(a)], walker_[static_cast<size_t>(b)]);
                any = true;
            }
        }
    }
    if (!any) return;
    const at::Tensor index = at::tensor(source, at::kLong).to(s.x.device());
    s.x = s.x.index_select(0, index);
    s.force = s.force.index_select(0, index);
    s.potential = s.potential.index_select(0, index);
    // The configuration keeps its momentum direction; its speed is rescaled to the new bath.
    const at::Tensor scale = (s.temperature / s.temperature.index_select(0, index)).sqrt();
    s.v = s.v.index_select(0, index) * scale.view({-1, 1, 1});
    record_ends();
}

nlohmann::json ReplicaExchange::save() const {
    return {{"temperatures", temperatures_}, {"n_chains", n_chains_}, {"attempts", attempts_},
            {"accepts", accepts_},           {"walkers", walker_},    {"last_end", last_end_},
            {"half_trips", half_trips_},     {"parity", parity_}};
}

void ReplicaExchange::load(const nlohmann::json& saved) {
    try {
        PITA_CHECK_AS(IoError,
                      saved.at("temperatures").get<std::vector<double>>() == temperatures_ &&
                          saved.at("n_chains").get<int64_t>() == n_chains_,
                      "[replica_exchange] saved state is for another ladder ({} temperatures x "
                      "{} chains); expected {} x {}.",
                      saved.at("temperatures").size(), saved.at("n_chains").dump(),
                      n_temperatures(), n_chains_);
        attempts_ = saved.at("attempts").get<std::vector<int64_t>>();
        accepts_ = saved.at("accepts").get<std::vector<int64_t>>();
        walker_ = saved.at("walkers").get<std::vector<int64_t>>();
        last_end_ = saved.at("last_end").get<std::vector<int8_t>>();
        half_trips_ = saved.at("half_trips").get<int64_t>();
        parity_ = saved.at("parity").get<int64_t>();
    } catch (const nlohmann::json::exception& e) {
        throw IoError(fmt::format("[replica_exchange] saved state is damaged: {}", e.what()));
    }
    PITA_CHECK_AS(
        IoError,
        walker_.size() == static_cast<size_t>(n_replicas()) && last_end_.size() == walker_.size() &&
            attempts_.size() == temperatures_.size() - 1 && accepts_.size() == attempts_.size(),
        "[replica_exchange] saved state has the wrong sizes for {} x {} replicas.",
        n_temperatures(), n_chains_);
}

}  // namespace pita

#include "pita/molecule/openmm_energy.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <OpenMM.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/molecule/openmm_system.h"

namespace pita {

struct OpenMMEnergy::Pool {
    std::unique_ptr<OpenMM::System> system;
    std::vector<std::unique_ptr<OpenMM::VerletIntegrator>> integrators;
    std::vector<std::unique_ptr<OpenMM::Context>> contexts;
    std::mutex mutex;  // one batch at a time
};

OpenMMEnergy::OpenMMEnergy(const std::filesystem::path& system_xml, OpenMMPlatform platform,
                           int n_workers)
    : pool_(std::make_unique<Pool>()), source_(system_xml.string()), platform_(platform) {
    pool_->system = load_openmm_system(system_xml);
    n_particles_ = pool_->system->getNumParticles();
    PITA_CHECK(n_workers >= 0, "[openmm_energy] n_workers: got {}; expected >= 0 (0 = threads).",
               n_workers);
    const int workers = n_workers > 0 ? n_workers : std::max(1, at::get_num_threads());
    for (int w = 0; w < workers; ++w) {
        pool_->integrators.push_back(std::make_unique<OpenMM::VerletIntegrator>(0.001));
        pool_->contexts.push_back(
            make_openmm_context(*pool_->system, *pool_->integrators.back(), platform, source_));
    }
}

OpenMMEnergy::~OpenMMEnergy() = default;

int OpenMMEnergy::n_workers() const { return static_cast<int>(pool_->contexts.size()); }

nlohmann::json OpenMMEnergy::config() const {
    return {{"type", "openmm"},
            {"system", source_},
            {"platform", platform_ == OpenMMPlatform::Cpu ? "cpu" : "reference"},
            {"n_workers", n_workers()}};
}

at::Tensor OpenMMEnergy::compute_energy(const at::Tensor& x) const {
    return evaluate(x, false).energy;
}

EnergyAndForce OpenMMEnergy::compute_energy_and_force(const at::Tensor& x) const {
    return evaluate(x, true);
}

EnergyAndForce OpenMMEnergy::evaluate(const at::Tensor& x_in, bool want_force) const {
    PITA_CHECK(x_in.device().is_cpu(),
               "[openmm_energy] device: got {}; expected cpu. OpenMM's contexts read host memory; "
               "use energy.engine: force_field for other devices.",
               x_in.device().str());
    const at::Tensor x = x_in.detach().to(at::kDouble).contiguous();
    const int64_t batch = x.size(0);
    const int64_t n = n_particles_;
    at::Tensor energy = at::empty({batch}, at::kDouble);
    at::Tensor force = want_force ? at::empty({batch, n, 3}, at::kDouble) : at::Tensor();
    const double* xp = x.data_ptr<double>();
    double* ep = energy.data_ptr<double>();
    double* fp = want_force ? force.data_ptr<double>() : nullptr;
    const int types =
        want_force ? (OpenMM::State::Energy | OpenMM::State::Forces) : OpenMM::State::Energy;

    auto run_rows = [&](OpenMM::Context& context, int64_t begin, int64_t end) {
        std::vector<OpenMM::Vec3> positions(static_cast<size_t>(n));
        for (int64_t b = begin; b < end; ++b) {
            const double* row = xp + b * n * 3;
            bool finite = true;
            for (int64_t i = 0; i < n; ++i) {
                positions[i] = OpenMM::Vec3(row[3 * i], row[3 * i + 1], row[3 * i + 2]);
                finite = finite && std::isfinite(row[3 * i]) && std::isfinite(row[3 * i + 1]) &&
                         std::isfinite(row[3 * i + 2]);
            }
            double e = std::numeric_limits<double>::quiet_NaN();
            bool ok = false;
            if (finite) {
                try {
                    context.setPositions(positions);
                    const OpenMM::State state = context.getState(types);
                    e = state.getPotentialEnergy();
                    if (want_force) {
                        const std::vector<OpenMM::Vec3>& f = state.getForces();
                        for (int64_t i = 0; i < n; ++i)
                            for (int k = 0; k < 3; ++k) fp[(b * n + i) * 3 + k] = f[i][k];
                    }
                    ok = true;
                } catch (const OpenMM::OpenMMException&) {
                    ok = false;  // non-finite energies are data, never thrown (energy.h)
                }
            }
            ep[b] = ok ? e : std::numeric_limits<double>::quiet_NaN();
            if (want_force && !ok)
                for (int64_t j = 0; j < n * 3; ++j)
                    fp[b * n * 3 + j] = std::numeric_limits<double>::quiet_NaN();
        }
    };

    std::lock_guard<std::mutex> lock(pool_->mutex);
    const int64_t workers = std::min<int64_t>(static_cast<int64_t>(pool_->contexts.size()), batch);
    if (workers <= 1) {
        if (batch > 0) run_rows(*pool_->contexts[0], 0, batch);
    } else {
        std::vector<std::thread> threads;
        std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
        for (int64_t w = 0; w < workers; ++w) {
            const int64_t begin = batch * w / workers;
            const int64_t end = batch * (w + 1) / workers;
            threads.emplace_back([&, w, begin, end] {
                try {
                    run_rows(*pool_->contexts[static_cast<size_t>(w)], begin, end);
                } catch (...) {
                    errors[static_cast<size_t>(w)] = std::current_exception();
                }
            });
        }
        for (std::thread& t : threads) t.join();
        for (const std::exception_ptr& e : errors)
            if (e) std::rethrow_exception(e);
    }
    const at::ScalarType dtype = x_in.scalar_type();
    return {energy.to(dtype), want_force ? force.to(dtype) : at::Tensor()};
}

}  // namespace pita

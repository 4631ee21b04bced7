#include "pita/molecule/openmm_reference.h"

#include <chrono>

#include <ATen/ATen.h>
#include <OpenMM.h>

#include "pita/core/error.h"
#include "pita/molecule/openmm_system.h"

namespace pita {

struct OpenMMReference::Impl {
    OpenMMPlatform platform = OpenMMPlatform::Reference;
    std::string source;
    std::unique_ptr<OpenMM::System> system;
    std::unique_ptr<OpenMM::VerletIntegrator> integrator;
    std::unique_ptr<OpenMM::Context> context;
};

namespace {

std::vector<OpenMM::Vec3> to_vec3(const at::Tensor& x_in, int64_t n) {
    PITA_CHECK(x_in.dim() == 2 && x_in.size(0) == n && x_in.size(1) == 3,
               "[openmm_reference] positions: got shape [{}]; expected [{}, 3].",
               fmt::join(x_in.sizes(), ", "), n);
    const at::Tensor x = x_in.to(at::kDouble).contiguous().cpu();
    const double* p = x.data_ptr<double>();
    std::vector<OpenMM::Vec3> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = OpenMM::Vec3(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
    return out;
}

}  // namespace

OpenMMReference::OpenMMReference(const std::filesystem::path& system_xml, OpenMMPlatform platform)
    : OpenMMReference(load_openmm_system(system_xml), system_xml.string(), platform) {}

OpenMMReference::OpenMMReference(const std::string& xml, const std::string& source,
                                 OpenMMPlatform platform)
    : OpenMMReference(parse_openmm_system(xml, source), source, platform) {}

OpenMMReference::OpenMMReference(std::unique_ptr<OpenMM::System> system, const std::string& source,
                                 OpenMMPlatform platform)
    : impl_(std::make_unique<Impl>()) {
    impl_->platform = platform;
    impl_->source = source;
    impl_->system = std::move(system);
    const int n_forces = impl_->system->getNumForces();
    PITA_CHECK(n_forces <= 32,
               "[openmm_reference] {}: forces: got {}; expected at most 32 (one force group "
               "each).",
               source, n_forces);
    for (int k = 0; k < n_forces; ++k) impl_->system->getForce(k).setForceGroup(k);
    impl_->integrator = std::make_unique<OpenMM::VerletIntegrator>(0.001);
    impl_->context = make_openmm_context(*impl_->system, *impl_->integrator, platform, source);
}

OpenMMReference::~OpenMMReference() = default;

int64_t OpenMMReference::n_particles() const { return impl_->system->getNumParticles(); }

std::vector<std::string> OpenMMReference::force_names() const {
    std::vector<std::string> names;
    for (int k = 0; k < impl_->system->getNumForces(); ++k)
        names.push_back(impl_->system->getForce(k).getName());
    return names;
}

EnergyAndForce OpenMMReference::evaluate(const at::Tensor& x_in, int force_index) {
    const int64_t n = n_particles();
    PITA_CHECK(x_in.dim() == 3 && x_in.size(1) == n && x_in.size(2) == 3,
               "[openmm_reference] positions: got shape [{}]; expected [batch, {}, 3].",
               fmt::join(x_in.sizes(), ", "), n);
    const at::Tensor x = x_in.to(at::kDouble).contiguous().cpu();
    const int64_t batch = x.size(0);
    at::Tensor energy = at::empty({batch}, at::kDouble);
    at::Tensor force = at::empty({batch, n, 3}, at::kDouble);
    const int groups = force_index < 0 ? -1 : (1 << force_index);
    std::vector<OpenMM::Vec3> positions(static_cast<size_t>(n));
    const double* xp = x.data_ptr<double>();
    double* fp = force.data_ptr<double>();
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t i = 0; i < n; ++i) {
            const double* p = xp + (b * n + i) * 3;
            positions[static_cast<size_t>(i)] = OpenMM::Vec3(p[0], p[1], p[2]);
        }
        impl_->context->setPositions(positions);
        const OpenMM::State state =
            impl_->context->getState(OpenMM::State::Energy | OpenMM::State::Forces, false, groups);
        energy[b] = state.getPotentialEnergy();
        const auto& f = state.getForces();
        for (int64_t i = 0; i < n; ++i)
            for (int k = 0; k < 3; ++k) fp[(b * n + i) * 3 + k] = f[static_cast<size_t>(i)][k];
    }
    return {energy, force};
}

at::Tensor OpenMMReference::minimize(const at::Tensor& x_in, double tolerance) {
    const int64_t n = n_particles();
    try {
        impl_->context->setPositions(to_vec3(x_in, n));
        OpenMM::LocalEnergyMinimizer::minimize(*impl_->context, tolerance);
    } catch (const OpenMM::OpenMMException& e) {
        // E.g. "Particle coordinate is nan": a structure or parameter that gives no finite energy.
        throw NumericalError(fmt::format(
            "[openmm] energy minimisation failed: {}. The starting structure or the System's "
            "parameters give no finite energy; check the PDB and the System XML (regenerate it "
            "with scripts/make_openmm_system.py).",
            e.what()));
    }
    // Keep the State alive: getPositions() returns a reference into it.
    const OpenMM::State state = impl_->context->getState(OpenMM::State::Positions);
    const auto& out = state.getPositions();
    at::Tensor result = at::empty({n, 3}, at::kDouble);
    for (int64_t i = 0; i < n; ++i)
        for (int k = 0; k < 3; ++k) result[i][k] = out[static_cast<size_t>(i)][k];
    return result;
}

OpenMMLangevinRun OpenMMReference::run_langevin_middle(const at::Tensor& x, double temperature,
                                                       double friction, double step_size,
                                                       int64_t warmup_steps, int64_t n_samples,
                                                       int64_t interval, int seed) {
    PITA_CHECK(temperature > 0 && friction >= 0 && step_size > 0 && warmup_steps >= 0 &&
                   n_samples >= 1 && interval >= 1,
               "[openmm_reference] run_langevin_middle: got T {} K, friction {}/ps, step {} ps, "
               "{} warm-up steps, {} samples every {} steps; expected T, step > 0, friction >= "
               "0, samples and interval >= 1.",
               temperature, friction, step_size, warmup_steps, n_samples, interval);
    OpenMM::LangevinMiddleIntegrator integrator(temperature, friction, step_size);
    integrator.setRandomNumberSeed(seed);
    const std::unique_ptr<OpenMM::Context> owned =
        make_openmm_context(*impl_->system, integrator, impl_->platform, impl_->source);
    OpenMM::Context& context = *owned;
    context.setPositions(to_vec3(x, n_particles()));
    context.setVelocitiesToTemperature(temperature, seed);
    OpenMMLangevinRun run;
    run.potential = at::empty({n_samples}, at::kDouble);
    run.kinetic_energy = at::empty({n_samples}, at::kDouble);
    double* up = run.potential.data_ptr<double>();
    double* kp = run.kinetic_energy.data_ptr<double>();
    const auto t0 = std::chrono::steady_clock::now();
    integrator.step(static_cast<int>(warmup_steps));
    for (int64_t k = 0; k < n_samples; ++k) {
        integrator.step(static_cast<int>(interval));
        const OpenMM::State state = context.getState(OpenMM::State::Energy);
        up[k] = state.getPotentialEnergy();
        kp[k] = state.getKineticEnergy();
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.steps = warmup_steps + n_samples * interval;
    return run;
}

}  // namespace pita

#include "pita/molecule/force_field.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include <ATen/ATen.h>
#include <openmm/CMMotionRemover.h>
#include <openmm/CustomGBForce.h>
#include <openmm/GBSAOBCForce.h>
#include <openmm/HarmonicAngleForce.h>
#include <openmm/HarmonicBondForce.h>
#include <openmm/NonbondedForce.h>
#include <openmm/PeriodicTorsionForce.h>
#include <openmm/System.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/parallel_rows.h"
#include "pita/core/units.h"
#include "pita/molecule/custom_gb_obc_impl.h"
#include "pita/molecule/force_term_impl.h"
#include "pita/molecule/openmm_system.h"
#include "pita/molecule/pair_kernel_impl.h"

namespace pita {
namespace {

using detail::ForceTerm;

constexpr const char* kSupported =
    "HarmonicBondForce, HarmonicAngleForce, PeriodicTorsionForce, NonbondedForce, GBSAOBCForce, "
    "the OBC CustomGBForce, CMMotionRemover";

std::unique_ptr<ForceTerm> import_bonds(const OpenMM::HarmonicBondForce& f) {
    const int n = f.getNumBonds();
    detail::HarmonicBondParams p{at::empty({n, 2}, at::kLong), at::empty({n}, at::kDouble),
                                 at::empty({n}, at::kDouble)};
    for (int i = 0; i < n; ++i) {
        int a = 0, b = 0;
        double r0 = 0, k = 0;
        f.getBondParameters(i, a, b, r0, k);
        p.atoms[i][0] = a;
        p.atoms[i][1] = b;
        p.r0[i] = r0;
        p.k[i] = k;
    }
    return detail::make_harmonic_bond_term(std::move(p));
}

std::unique_ptr<ForceTerm> import_angles(const OpenMM::HarmonicAngleForce& f) {
    const int n = f.getNumAngles();
    detail::HarmonicAngleParams p{at::empty({n, 3}, at::kLong), at::empty({n}, at::kDouble),
                                  at::empty({n}, at::kDouble)};
    for (int i = 0; i < n; ++i) {
        int a = 0, b = 0, c = 0;
        double theta0 = 0, k = 0;
        f.getAngleParameters(i, a, b, c, theta0, k);
        p.atoms[i][0] = a;
        p.atoms[i][1] = b;
        p.atoms[i][2] = c;
        p.theta0[i] = theta0;
        p.k[i] = k;
    }
    return detail::make_harmonic_angle_term(std::move(p));
}

std::unique_ptr<ForceTerm> import_torsions(const OpenMM::PeriodicTorsionForce& f) {
    const int n = f.getNumTorsions();
    detail::PeriodicTorsionParams p{at::empty({n, 4}, at::kLong), at::empty({n}, at::kDouble),
                                    at::empty({n}, at::kDouble), at::empty({n}, at::kDouble)};
    for (int i = 0; i < n; ++i) {
        int a = 0, b = 0, c = 0, d = 0, periodicity = 0;
        double phase = 0, k = 0;
        f.getTorsionParameters(i, a, b, c, d, periodicity, phase, k);
        p.atoms[i][0] = a;
        p.atoms[i][1] = b;
        p.atoms[i][2] = c;
        p.atoms[i][3] = d;
        p.periodicity[i] = static_cast<double>(periodicity);
        p.phase[i] = phase;
        p.k[i] = k;
    }
    return detail::make_periodic_torsion_term(std::move(p));
}

at::Tensor pair_tensor(const std::vector<std::pair<int, int>>& pairs) {
    at::Tensor t = at::empty({static_cast<int64_t>(pairs.size()), 2}, at::kLong);
    auto acc = t.accessor<int64_t, 2>();
    for (size_t k = 0; k < pairs.size(); ++k) {
        acc[static_cast<int64_t>(k)][0] = pairs[k].first;
        acc[static_cast<int64_t>(k)][1] = pairs[k].second;
    }
    return t;
}

at::Tensor double_tensor(const std::vector<double>& v) {
    return at::tensor(v, at::TensorOptions().dtype(at::kDouble));
}

detail::NonbondedParams import_nonbonded(const OpenMM::NonbondedForce& f,
                                         const std::string& where) {
    const auto method = f.getNonbondedMethod();
    PITA_CHECK(method == OpenMM::NonbondedForce::NoCutoff ||
                   method == OpenMM::NonbondedForce::CutoffNonPeriodic,
               "[force_field] {}: unsupported nonbonded method: got {}; expected NoCutoff (0) or "
               "CutoffNonPeriodic (1). Hint: pita's molecular targets are non-periodic; create the "
               "System with nonbondedMethod=CutoffNonPeriodic or NoCutoff.",
               where, static_cast<int>(method));
    PITA_CHECK(!f.getUseSwitchingFunction(),
               "[force_field] {}: a Lennard-Jones switching function is on; expected off. Hint: "
               "create the System without switchDistance.",
               where);
    PITA_CHECK(f.getNumGlobalParameters() == 0 && f.getNumParticleParameterOffsets() == 0 &&
                   f.getNumExceptionParameterOffsets() == 0 && f.getIncludeDirectSpace(),
               "[force_field] {}: got {} global parameters, {} particle and {} exception "
               "parameter offsets (direct space {}); expected none (and direct space on). Hint: "
               "these alchemical features are not implemented.",
               where, f.getNumGlobalParameters(), f.getNumParticleParameterOffsets(),
               f.getNumExceptionParameterOffsets(), f.getIncludeDirectSpace() ? "on" : "off");

    const int n = f.getNumParticles();
    std::vector<double> q(n), sigma(n), epsilon(n);
    for (int i = 0; i < n; ++i) f.getParticleParameters(i, q[i], sigma[i], epsilon[i]);

    // An exception replaces the pair's ordinary interaction; zero charge and epsilon exclude it.
    std::vector<char> is_exception(static_cast<size_t>(n) * n, 0);
    std::vector<std::pair<int, int>> exc_pairs;
    std::vector<double> exc_qq, exc_sigma, exc_eps;
    for (int k = 0; k < f.getNumExceptions(); ++k) {
        int a = 0, b = 0;
        double qq = 0, s = 0, e = 0;
        f.getExceptionParameters(k, a, b, qq, s, e);
        is_exception[static_cast<size_t>(a) * n + b] = 1;
        is_exception[static_cast<size_t>(b) * n + a] = 1;
        if (qq != 0.0 || e != 0.0) {
            exc_pairs.emplace_back(a, b);
            exc_qq.push_back(qq);
            exc_sigma.push_back(s);
            exc_eps.push_back(e);
        }
    }
    std::vector<std::pair<int, int>> pairs;
    std::vector<double> pair_qq, pair_sigma, pair_eps;
    for (int i = 0; i < n; ++i) {
        for (int j = i + 1; j < n; ++j) {
            if (is_exception[static_cast<size_t>(i) * n + j]) continue;
            pairs.emplace_back(i, j);
            pair_qq.push_back(q[i] * q[j]);
            pair_sigma.push_back(0.5 * (sigma[i] + sigma[j]));  // Lorentz-Berthelot
            pair_eps.push_back(std::sqrt(epsilon[i] * epsilon[j]));
        }
    }
    detail::NonbondedParams p;
    p.pairs = pair_tensor(pairs);
    p.charge_prod = double_tensor(pair_qq);
    p.sigma = double_tensor(pair_sigma);
    p.epsilon = double_tensor(pair_eps);
    p.exception_pairs = pair_tensor(exc_pairs);
    p.exception_charge_prod = double_tensor(exc_qq);
    p.exception_sigma = double_tensor(exc_sigma);
    p.exception_epsilon = double_tensor(exc_eps);
    p.use_cutoff = method == OpenMM::NonbondedForce::CutoffNonPeriodic;
    if (p.use_cutoff) {
        // OpenMM's reaction field (user guide, "Coulomb Interaction With Cutoff").
        const double rc = f.getCutoffDistance();
        const double eps = f.getReactionFieldDielectric();
        p.cutoff = rc;
        p.k_rf = (eps - 1.0) / ((2.0 * eps + 1.0) * rc * rc * rc);
        p.c_rf = 3.0 * eps / ((2.0 * eps + 1.0) * rc);
    }
    return p;
}

detail::ObcParams import_gbsa_obc(const OpenMM::GBSAOBCForce& f, const std::string& where) {
    const auto method = f.getNonbondedMethod();
    PITA_CHECK(method == OpenMM::GBSAOBCForce::NoCutoff ||
                   method == OpenMM::GBSAOBCForce::CutoffNonPeriodic,
               "[force_field] {}: unsupported nonbonded method: got {}; expected NoCutoff (0) or "
               "CutoffNonPeriodic (1). Hint: pita's molecular targets are non-periodic.",
               where, static_cast<int>(method));
    detail::ObcParams p;
    const int n = f.getNumParticles();
    p.charge = at::empty({n}, at::kDouble);
    p.offset_radius = at::empty({n}, at::kDouble);
    p.scaled_radius = at::empty({n}, at::kDouble);
    p.offset = 0.009;  // GBSAOBCForce's fixed dielectric offset, nm
    for (int i = 0; i < n; ++i) {
        double q = 0, radius = 0, scale = 0;
        f.getParticleParameters(i, q, radius, scale);
        p.charge[i] = q;
        p.offset_radius[i] = radius - p.offset;
        p.scaled_radius[i] = scale * (radius - p.offset);
    }
    p.alpha = 1.0;  // OBC2, the only model GBSAOBCForce implements
    p.beta = 0.8;
    p.gamma = 4.85;
    p.solute_dielectric = f.getSoluteDielectric();
    p.solvent_dielectric = f.getSolventDielectric();
    p.coulomb_constant = kOne4PiEps0;
    p.use_surface_area = f.getSurfaceAreaEnergy() != 0.0;
    p.surface_area_factor = 4.0 * kPi * f.getSurfaceAreaEnergy();
    p.probe_radius = 0.14;
    p.engulf_correction = true;
    p.use_cutoff = method == OpenMM::GBSAOBCForce::CutoffNonPeriodic;
    p.cutoff = f.getCutoffDistance();
    p.screening_shift = p.use_cutoff ? 1.0 / p.cutoff : 0.0;
    return p;
}

}  // namespace

ForceField::ForceField(const std::filesystem::path& system_xml)
    : ForceField(*load_openmm_system(system_xml), system_xml.string()) {}

std::unique_ptr<ForceField> ForceField::from_xml_string(const std::string& xml,
                                                        const std::string& source) {
    return std::unique_ptr<ForceField>(new ForceField(*parse_openmm_system(xml, source), source));
}

ForceField::~ForceField() = default;

ForceField::ForceField(const OpenMM::System& system, std::string source)
    : source_(std::move(source)) {
    // Every particle index is checked (load_openmm_system): the kernels below index raw memory.
    n_particles_ = system.getNumParticles();
    PITA_CHECK(n_particles_ >= 2, "[force_field] {}: particles: got {}; expected at least 2.",
               source_, n_particles_);
    // The first NonbondedForce and the first OBC term go to the fused CPU pair kernel; any
    // others are evaluated term by term.
    std::optional<detail::NonbondedParams> fused_nonbonded;
    std::optional<detail::ObcParams> fused_obc;
    std::vector<bool> fused;
    for (int k = 0; k < system.getNumForces(); ++k) {
        const OpenMM::Force& force = system.getForce(k);
        std::string type;
        std::unique_ptr<ForceTerm> term;
        bool is_fused = false;
        const std::string where_prefix = fmt::format("force {} of {}", k, source_);
        PITA_CHECK(!force.usesPeriodicBoundaryConditions(),
                   "[force_field] {} ({}): periodic boundary conditions: got on; expected off. "
                   "Hint: pita's molecular targets are non-periodic (NoCutoff or "
                   "CutoffNonPeriodic, bonded forces without setUsesPeriodicBoundaryConditions).",
                   where_prefix, force.getName());
        if (const auto* bonds = dynamic_cast<const OpenMM::HarmonicBondForce*>(&force)) {
            type = "HarmonicBondForce";
            term = import_bonds(*bonds);
        } else if (const auto* angles = dynamic_cast<const OpenMM::HarmonicAngleForce*>(&force)) {
            type = "HarmonicAngleForce";
            term = import_angles(*angles);
        } else if (const auto* torsions =
                       dynamic_cast<const OpenMM::PeriodicTorsionForce*>(&force)) {
            type = "PeriodicTorsionForce";
            term = import_torsions(*torsions);
        } else if (const auto* nonbonded = dynamic_cast<const OpenMM::NonbondedForce*>(&force)) {
            type = "NonbondedForce";
            detail::NonbondedParams p =
                import_nonbonded(*nonbonded, where_prefix + " (NonbondedForce)");
            if (!fused_nonbonded) fused_nonbonded = p, is_fused = true;
            term = detail::make_nonbonded_term(std::move(p));
        } else if (const auto* gbsa = dynamic_cast<const OpenMM::GBSAOBCForce*>(&force)) {
            type = "GBSAOBCForce";
            detail::ObcParams p = import_gbsa_obc(*gbsa, where_prefix + " (GBSAOBCForce)");
            if (!fused_obc) fused_obc = p, is_fused = true;
            term = detail::make_obc_term(std::move(p), n_particles_);
        } else if (const auto* custom_gb = dynamic_cast<const OpenMM::CustomGBForce*>(&force)) {
            type = "CustomGBForce";
            detail::ObcParams p =
                detail::obc_params_from_custom_gb(*custom_gb, where_prefix + " (CustomGBForce)");
            if (!fused_obc) fused_obc = p, is_fused = true;
            term = detail::make_obc_term(std::move(p), n_particles_);
        } else if (dynamic_cast<const OpenMM::CMMotionRemover*>(&force) != nullptr) {
            continue;  // changes dynamics only; no energy
        } else {
            PITA_CHECK(false,
                       "[force_field] {}: unsupported force '{}': got a force pita does not "
                       "implement; expected one of {}. Hint: remove it from the System, or "
                       "evaluate this System with OpenMM itself.",
                       where_prefix, force.getName(), kSupported);
        }
        if (!is_fused) unfused_terms_.push_back(term.get());
        terms_.push_back(std::move(term));
        term_names_.push_back(type);
        term_force_indices_.push_back(k);
    }
    if (fused_nonbonded || fused_obc) {
        pair_kernel_ = std::make_unique<detail::PairKernel>(
            n_particles_, fused_nonbonded ? &*fused_nonbonded : nullptr,
            fused_obc ? &*fused_obc : nullptr);
    }
}

nlohmann::json ForceField::config() const {
    return {{"type", "force_field"},
            {"system", source_},
            {"n_particles", n_particles_},
            {"terms", term_names_}};
}

at::Tensor ForceField::term_energies(const at::Tensor& x) const {
    PITA_CHECK(x.dim() == 3 && x.size(1) == n_particles_ && x.size(2) == 3 &&
                   (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble),
               "[force_field] term_energies input: got shape [{}], dtype {}; expected [batch, {}, "
               "3], float32 or float64.",
               fmt::join(x.sizes(), ", "), c10::toString(x.scalar_type()), n_particles_);
    std::vector<at::Tensor> energies;
    energies.reserve(terms_.size());
    for (const auto& term : terms_) energies.push_back(term->energy(x));
    if (energies.empty()) return at::zeros({x.size(0), 0}, x.options());
    return at::stack(energies, 1);
}

namespace {
bool use_cpu_kernel(const at::Tensor& x) { return x.device().is_cpu() && !x.requires_grad(); }
}  // namespace

at::Tensor ForceField::compute_energy(const at::Tensor& x) const {
    if (use_cpu_kernel(x)) return cpu_kernel(x, false).energy;
    at::Tensor total = at::zeros({x.size(0)}, x.options());
    for (const auto& term : terms_) total = total + term->energy(x);
    return total;
}

EnergyAndForce ForceField::compute_energy_and_force(const at::Tensor& x) const {
    return use_cpu_kernel(x) ? cpu_kernel(x, true) : Energy::compute_energy_and_force(x);
}

EnergyAndForce ForceField::cpu_kernel(const at::Tensor& x_in, bool want_force) const {
    const at::Tensor x = x_in.to(at::kDouble).contiguous();
    const int64_t batch = x.size(0);
    const int64_t stride = n_particles_ * 3;
    at::Tensor energy = at::empty({batch}, x.options());
    at::Tensor grad = want_force ? at::zeros_like(x) : at::Tensor();
    const double* xp = x.data_ptr<double>();
    double* ep = energy.data_ptr<double>();
    double* gp = want_force ? grad.data_ptr<double>() : nullptr;
    // Rows are independent: chunks of them on the threads, one scratch buffer per chunk, none
    // per row.
    parallel_rows(batch, /*min_chunk=*/8, [&](int64_t begin, int64_t end) {
        std::vector<double> scratch(pair_kernel_ ? pair_kernel_->scratch_size() : 0);
        for (int64_t b = begin; b < end; ++b) {
            const double* xb = xp + b * stride;
            double* gb = gp == nullptr ? nullptr : gp + b * stride;
            double e = 0;
            for (const ForceTerm* term : unfused_terms_) e += term->energy_cpu(xb, gb);
            if (pair_kernel_) e += pair_kernel_->energy(xb, gb, scratch.data());
            ep[b] = e;
        }
    });
    EnergyAndForce out;
    out.energy = energy.to(x_in.scalar_type());
    if (want_force) out.force = grad.neg_().to(x_in.scalar_type());
    return out;
}

}  // namespace pita

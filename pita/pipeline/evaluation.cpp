#include "pita/pipeline/evaluation.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/energy.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/metrics/torsion_metrics.h"
#include "pita/molecule/torsions.h"

namespace pita {
namespace {

/// At most `n` rows of `t`, drawn without replacement by `gen` (all rows, in order, if fewer).
at::Tensor subsample(const at::Tensor& t, int64_t n, at::Generator& gen) {
    if (t.size(0) <= n) return t;
    const at::Tensor idx =
        at::randperm(t.size(0), gen, at::TensorOptions().dtype(at::kLong)).slice(0, 0, n);
    return t.index_select(0, idx.to(t.device()));
}

/// The torsions' atom quadruples as [n_torsions, 4] int64.
at::Tensor atoms_of(const EvaluationOptions& options) {
    std::vector<int64_t> flat;
    for (const auto& q : options.torsions) flat.insert(flat.end(), q.begin(), q.end());
    return at::tensor(flat, at::kLong).view({static_cast<int64_t>(options.torsions.size()), 4});
}

/// Outliers: finite samples no sampler of the target should produce, flagged but kept in every
/// metric. Kept, because they are what the sampler made and the distances are the honest
/// penalty for them (dropping them would flatter a sampler that explodes); flagged, because a
/// distance-W2 of 2.45e28 from one coordinate at 1e30 must not read as an ordinary score.
/// Two criteria, both far outside any equilibrium fluctuation:
/// - extent (the largest particle distance from the configuration's centre, or from the origin
///   for targets that are not translation invariant) above kExtentFactor times the typical
///   (median) extent: the LJ-13 references' largest extent is ~2.5x their median;
/// - reduced energy more than kEnergyGapKT above the typical (median) one: an equilibrium
///   energy fluctuates by ~sqrt(dof/2) kT (under 30 kT for ALDP's 66 dof; the LJ-13
///   references' largest is 34 kT above their median), and e^−10⁴ is no plausible weight.
/// The typical values come from the reference when there is one (the samples may be broken
/// wholesale), else from the samples themselves.
constexpr double kExtentFactor = 100.0;
constexpr double kEnergyGapKT = 1e4;

/// [N] extents of [N, n, d] configurations, as above.
at::Tensor extents(const at::Tensor& x, bool translation_invariant) {
    const at::Tensor centred = translation_invariant ? x - x.mean(1, true) : x;
    return std::get<0>(centred.pow(2).sum(2).sqrt().max(1));
}

void report_outliers(nlohmann::json& out, const at::Tensor& x, const at::Tensor& e,
                     double temperature, bool translation_invariant, const at::Tensor& typical_x,
                     const at::Tensor& typical_e) {
    const at::Tensor extent = extents(x, translation_invariant);
    const double typical_extent = extents(typical_x, translation_invariant).median().item<double>();
    const double extent_limit = kExtentFactor * typical_extent;
    // A typical extent of 0 (every particle at the centre) gives no scale to judge by.
    const at::Tensor far =
        typical_extent > 0 ? extent > extent_limit : at::zeros_like(extent, at::kBool);
    const double energy_limit = typical_e.median().item<double>() + kEnergyGapKT * temperature;
    const at::Tensor high = e > energy_limit;
    out["outlier_samples"] = (far | high).sum().item<int64_t>();
    out["outlier_details"] = {{"beyond_extent_limit", far.sum().item<int64_t>()},
                              {"extent_limit", extent_limit},
                              {"largest_extent", extent.max().item<double>()},
                              {"above_energy_limit", high.sum().item<int64_t>()},
                              {"energy_limit", energy_limit}};
}

}  // namespace

std::optional<std::string> reference_directory(const std::string& reference_root,
                                               double temperature) {
    if (reference_root.empty()) return std::nullopt;
    const std::filesystem::path dir =
        std::filesystem::path(reference_root) / temperature_dir(temperature);
    if (std::filesystem::exists(dir / "samples.npy") &&
        std::filesystem::exists(dir / "energies.npy"))
        return dir.string();
    return std::nullopt;
}

nlohmann::json evaluate_samples(const Energy& energy, const at::Tensor& x_all,
                                const at::Tensor& e_all, double temperature,
                                const std::optional<std::string>& reference,
                                const EvaluationOptions& options) {
    at::Generator gen = make_generator(options.seed);
    const at::Tensor x_cpu = x_all.to(at::kCPU, at::kDouble);
    const at::Tensor e_cpu = e_all.to(at::kCPU, at::kDouble).reshape(-1);
    const int64_t total = x_cpu.size(0);
    PITA_CHECK(e_cpu.numel() == total, "[metrics] T = {:g}: {} energies for {} samples.",
               temperature, e_cpu.numel(), total);
    // The samples themselves decide which rows are broken, not only their energies: an
    // energies.npy written before the samples broke (or for other samples) is finite for NaN
    // rows. Rows with a non-finite coordinate or energy are left out of every metric, counted.
    const at::Tensor finite_x = at::isfinite(x_cpu).flatten(1).all(1);
    const at::Tensor finite_e = at::isfinite(e_cpu);
    const at::Tensor usable = finite_x & finite_e;
    nlohmann::json out;
    out["samples"] = total;
    out["non_finite_samples"] = total - finite_x.sum().item<int64_t>();
    out["non_finite_energies"] = total - finite_e.sum().item<int64_t>();
    // A finite energy for a sample with a non-finite coordinate cannot be that sample's energy.
    // (The converse, a finite sample with an infinite energy, is a real clash: not a mismatch.)
    out["energies_disagreeing_with_samples"] = (~finite_x & finite_e).sum().item<int64_t>();
    out["samples_used"] = usable.sum().item<int64_t>();
    const at::Tensor x_ok = x_cpu.index({usable});
    const at::Tensor e_ok = e_cpu.index({usable});
    PITA_CHECK_AS(NumericalError, x_ok.size(0) > 1,
                  "[metrics] T = {:g}: {} of {} samples have finite coordinates and energy; "
                  "expected at least 2. The sampler diverged: check its step sizes.",
                  temperature, x_ok.size(0), total);
    out["mean_energy"] = e_ok.mean().item<double>();

    const at::Tensor x_eval = subsample(x_ok, options.max_samples, gen);
    // Peptides are the targets with torsions: they get Rugh's T_conf and the Ramachandran
    // distances instead of the virial T_conf and the atom-permuting equivariant W2.
    const at::Tensor torsion_atoms = options.torsions.empty() ? at::Tensor() : atoms_of(options);
    const bool peptide = torsion_atoms.defined();
    const int64_t before = energy.evaluations();
    // Peptides: Rugh's form (the virial's variance is dominated by stiff bonds, ~4x noisier on
    // ALDP; docs/RESULTS.md), on at most rugh_samples rows since it costs 2·3N + 1 force
    // evaluations per row. Particle systems: the virial form, one evaluation per row.
    const ConfigurationalTemperature tc =
        peptide ? rugh_configurational_temperature(energy, x_eval.slice(0, 0, options.rugh_samples))
                : configurational_temperature(x_eval, energy.energy_and_force(x_eval).force,
                                              energy.translation_invariant());
    out["energy_evaluations"] = energy.evaluations() - before;
    out["configurational_temperature"] = {{"value", tc.value},
                                          {"standard_error", tc.standard_error},
                                          {"estimator", peptide ? "rugh" : "virial"}};
    at::Tensor angles;  // [rows of x_eval, n_torsions], peptides only
    if (peptide) {
        angles = dihedral_angles(x_eval, torsion_atoms);
        out["torsion_names"] = options.torsion_names;
        out["torsion_mean_cos"] = std::vector<double>();
        const at::Tensor mean_cos = angles.cos().mean(0);
        for (int64_t k = 0; k < mean_cos.numel(); ++k)
            out["torsion_mean_cos"].push_back(mean_cos[k].item<double>());
    }
    if (!reference) {
        report_outliers(out, x_ok, e_ok, temperature, energy.translation_invariant(), x_ok, e_ok);
        return out;
    }

    const at::Tensor rx_all = read_npy(*reference + "/samples.npy").to(at::kDouble);
    const at::Tensor re_all = read_npy(*reference + "/energies.npy").to(at::kDouble);
    const at::Tensor rx = rx_all.reshape({rx_all.size(0), x_ok.size(1), x_ok.size(2)});
    PITA_CHECK(re_all.size(0) == rx.size(0),
               "[metrics] reference '{}': {} samples but {} energies.", *reference, rx.size(0),
               re_all.size(0));
    out["reference"] = *reference;
    out["reference_mean_energy"] = re_all.mean().item<double>();
    report_outliers(out, x_ok, e_ok, temperature, energy.translation_invariant(), rx, re_all);
    // Subsample the reference with the same row choice for samples and energies.
    const at::Tensor ridx = subsample(at::arange(rx.size(0), at::kLong), options.max_samples, gen);
    const at::Tensor r_x = rx.index_select(0, ridx);
    const at::Tensor r_e = re_all.index_select(0, ridx);
    const EnergyDistances ed = energy_distances(e_ok, r_e, temperature);
    out["energy_w1"] = ed.w1;
    out["energy_w2"] = ed.w2;
    out["energy_mean_gap"] = ed.mean_gap;
    out["distance_w2"] = interatomic_distance_w2(x_eval, r_x);
    if (peptide) {
        const int64_t n = options.torsion_samples;
        const TorsionDistances td = torsion_distances(
            angles.slice(0, 0, std::min(n, angles.size(0))),
            dihedral_angles(r_x.slice(0, 0, std::min(n, r_x.size(0))), torsion_atoms));
        out["torsion_w1"] = td.w1;
        out["torsion_w2"] = td.w2;
        out["torsion_torus_w2"] = td.torus_w2;
        out["torsion_samples"] = std::min({n, angles.size(0), r_x.size(0)});
    } else if (energy.translation_invariant() && options.equivariant_samples > 1) {
        out["equivariant_w2"] = equivariant_w2(subsample(x_eval, options.equivariant_samples, gen),
                                               subsample(r_x, options.equivariant_samples, gen));
        out["equivariant_samples"] = std::min<int64_t>(options.equivariant_samples, x_eval.size(0));
    }
    return out;
}

}  // namespace pita

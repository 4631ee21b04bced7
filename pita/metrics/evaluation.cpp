#include "pita/metrics/evaluation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/energy/energy.h"
#include "pita/io/npy.h"
#include "pita/io/run_directory.h"
#include "pita/io/sample_set.h"
#include "pita/metrics/peptide_metrics.h"
#include "pita/metrics/sample_metrics.h"
#include "pita/metrics/tica.h"
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

/// Peptides, reference-free: chirality, broken bonds and P(φ > 0) of all usable samples.
/// P(φ > 0) of torsion k: of a time series of `chains` chains when chains ≥ 1, else of
/// independent samples (distinct rows of x).
PositiveFraction phi_positive(const at::Tensor& angles, int64_t k, const at::Tensor& x,
                              int64_t chains, const at::Tensor& lineages = {}) {
    const at::Tensor a = angles.select(1, k);
    if (chains >= 1) return positive_fraction_of_chains(a, chains);
    return lineages.defined() ? positive_fraction_of_lineages(a, lineages)
                              : positive_fraction(a, x);
}

/// The chains `rows` rows form, or 0 when the layout does not fit them (rows dropped as
/// non-finite, or not a whole number of frames per chain).
int64_t chains_fitting(int64_t chains, int64_t rows) {
    return chains >= 1 && rows % chains == 0 ? chains : 0;
}

nlohmann::json phi_entry(const std::string& name, const PositiveFraction& f) {
    nlohmann::json e = {{"torsion", name},
                        {"fraction", f.fraction},
                        {"standard_error", f.standard_error},
                        {"distinct_samples", f.distinct_samples},
                        {"standard_error_from", f.standard_error_from}};
    if (f.standard_error_from == "chains") e["tau_frames"] = f.tau;
    if (f.standard_error_from == "lineages") e["lineages"] = f.lineages;
    return e;
}

void add_structure_metrics(nlohmann::json& out, const at::Tensor& x, const at::Tensor& angles,
                           int64_t chains, const at::Tensor& lineages,
                           const EvaluationOptions& options) {
    const ChiralityCounts c = count_chirality(x, options.chiral_centres);
    const auto n = static_cast<double>(x.size(0));
    out["chirality"] = {{"l_form", c.l_form},
                        {"mirrored", c.mirrored},
                        {"mixed", c.mixed},
                        {"d_fraction", static_cast<double>(c.mirrored + c.mixed) / n},
                        {"centres", options.chiral_centres.size()}};
    out["broken_bond_fraction"] =
        has_broken_bond(x, options.bonds).to(at::kDouble).mean().item<double>();
    out["phi_positive"] = nlohmann::json::array();
    for (std::size_t k = 0; k < options.torsion_names.size(); ++k) {
        if (options.torsion_names[k].rfind("phi", 0) != 0) continue;
        out["phi_positive"].push_back(
            phi_entry(options.torsion_names[k],
                      phi_positive(angles, static_cast<int64_t>(k), x, chains, lineages)));
    }
}

/// Peptides, against the reference: P(φ > 0) of the reference with z, and the Ramachandran KL
/// per residue with its finite-sample floor (the reference's halves against each other).
void add_reference_structure_metrics(nlohmann::json& out, const at::Tensor& angles,
                                     const at::Tensor& reference_x, const at::Tensor& ref_angles,
                                     int64_t reference_chains, const EvaluationOptions& options) {
    for (auto& entry : out["phi_positive"]) {
        const auto& names = options.torsion_names;
        const auto k = static_cast<int64_t>(
            std::find(names.begin(), names.end(), entry["torsion"].get<std::string>()) -
            names.begin());
        const PositiveFraction r = phi_positive(ref_angles, k, reference_x, reference_chains);
        entry["reference_fraction"] = r.fraction;
        entry["reference_standard_error"] = r.standard_error;
        entry["reference_standard_error_from"] = r.standard_error_from;
        const double se = std::hypot(entry["standard_error"].get<double>(), r.standard_error);
        entry["z"] = se > 0 ? (entry["fraction"].get<double>() - r.fraction) / se : 0.0;
    }
    out["rama_kl"] = nlohmann::json::array();
    const int64_t half = ref_angles.size(0) / 2;
    for (std::size_t i = 0; i < options.torsion_names.size(); ++i) {
        const std::string& name = options.torsion_names[i];
        if (name.rfind("phi ", 0) != 0) continue;
        const std::string residue = name.substr(4);
        const auto psi =
            std::find(options.torsion_names.begin(), options.torsion_names.end(), "psi " + residue);
        if (psi == options.torsion_names.end()) continue;
        const at::Tensor cols = at::tensor(
            {static_cast<int64_t>(i), static_cast<int64_t>(psi - options.torsion_names.begin())},
            at::kLong);
        const at::Tensor gen = angles.index_select(1, cols);
        const at::Tensor ref = ref_angles.index_select(1, cols);
        out["rama_kl"].push_back(
            {{"residue", residue},
             {"kl", ramachandran_kl(ref, gen)},
             {"floor", ramachandran_kl(ref.slice(0, 0, half), ref.slice(0, half, 2 * half))},
             {"floor_samples", half}});
    }
}

/// How the reference's rows were recorded: `chains` interleaved chains (row chains·f + c is
/// frame f of chain c), frames `frame_interval_ps` apart (0 = unknown). From the options, else
/// from the md.json beside the T<T> directories (frames_shape [frames, chains, atoms, 3],
/// frame_interval_ps), else chains = 0: unknown.
struct ReferenceLayout {
    int64_t chains = 0;
    double frame_interval_ps = 0;
};

ReferenceLayout reference_layout(const std::string& reference, const EvaluationOptions& options) {
    ReferenceLayout layout;
    layout.chains = options.tica_chains;
    const std::filesystem::path record = std::filesystem::path(reference).parent_path() / "md.json";
    if (!std::filesystem::exists(record)) return layout;
    std::ifstream in(record);
    const nlohmann::json md = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (md.is_discarded()) return layout;
    if (layout.chains == 0 && md.contains("frames_shape") && md["frames_shape"].is_array() &&
        md["frames_shape"].size() >= 2 && md["frames_shape"][1].is_number_integer())
        layout.chains = md["frames_shape"][1].get<int64_t>();
    if (md.contains("frame_interval_ps") && md["frame_interval_ps"].is_number())
        layout.frame_interval_ps = md["frame_interval_ps"].get<double>();
    return layout;
}

/// Peptides, against the reference: TICA-W1/W2 (pita/metrics/tica.h). TICA is fitted on the
/// whole reference at this temperature (the equilibrium time series of its chains), both sets
/// are projected onto TIC0/TIC1, and the W's are exact 2-D OT between n = min(tica_samples, |R|,
/// |G|) rows of each. The floor is the same metric between the reference's two halves in time
/// (frames 0..F/2 − 1 of every chain against the rest), at min(n, |R|/2) rows: what a perfect
/// sampler's score would be with that many samples. Features and fit take 50–130 ms (8000
/// rows, 36 ALDP or 78 AL3 features; tests/unit/metrics/tica_test.cpp), less than the OT, so
/// the fit is redone per call rather than cached.
void add_tica_metrics(nlohmann::json& out, const at::Tensor& x, const at::Tensor& reference_x,
                      const std::string& reference, const EvaluationOptions& options,
                      at::Generator& gen) {
    const PeptideFeatureSpec& spec = options.tica_features;
    if (spec.size() == 0 || options.tica_samples < 1) return;
    const ReferenceLayout layout = reference_layout(reference, options);
    const int64_t rows = reference_x.size(0);
    if (layout.chains <= 0 || rows % layout.chains != 0 ||
        options.tica_lag >= rows / layout.chains) {
        out["tica_skipped"] = fmt::format(
            "the reference's {} rows are not known as a time series of {} chains longer than "
            "the lag of {} frames (set by md.json's frames_shape beside the reference)",
            rows, layout.chains, options.tica_lag);
        return;
    }
    const at::Tensor ref_features = peptide_features(reference_x, spec);
    const TicaModel model = fit_tica(ref_features, layout.chains, options.tica_lag, 2);
    const at::Tensor ref_tic = project_tica(model, ref_features);
    const at::Tensor gen_tic = project_tica(model, peptide_features(x, spec));
    const int64_t n = std::min({options.tica_samples, rows, gen_tic.size(0)});
    const TicaDistances w = tica_distances(subsample(gen_tic, n, gen), subsample(ref_tic, n, gen));
    const int64_t half = rows / 2;
    const int64_t floor_n = std::min(n, half);
    const TicaDistances floor =
        tica_distances(subsample(ref_tic.slice(0, 0, half), floor_n, gen),
                       subsample(ref_tic.slice(0, half, 2 * half), floor_n, gen));
    out["tica"] = {{"w1", w.w1},
                   {"w2", w.w2},
                   {"floor_w1", floor.w1},
                   {"floor_w2", floor.w2},
                   {"samples", n},
                   {"floor_samples", floor_n},
                   {"lag_frames", options.tica_lag},
                   {"lag_ps", options.tica_lag * layout.frame_interval_ps},
                   {"chains", layout.chains},
                   {"features", spec.size()},
                   {"eigenvalues", model.eigenvalues}};
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
    at::Tensor angles;      // [rows of x_eval, n_torsions], peptides only
    at::Tensor all_angles;  // [rows of x_ok, n_torsions], peptides only
    if (peptide) {
        angles = dihedral_angles(x_eval, torsion_atoms);
        out["torsion_names"] = options.torsion_names;
        out["torsion_mean_cos"] = std::vector<double>();
        const at::Tensor mean_cos = angles.cos().mean(0);
        for (int64_t k = 0; k < mean_cos.numel(); ++k)
            out["torsion_mean_cos"].push_back(mean_cos[k].item<double>());
        all_angles = dihedral_angles(x_ok, torsion_atoms);
        // Only a complete time series keeps its layout: dropped rows would shift the chains.
        const int64_t chains =
            x_ok.size(0) == total ? chains_fitting(options.sample_chains, total) : 0;
        if (options.sample_chains > 0 && chains == 0)
            out["sample_chains_note"] = fmt::format(
                "{} usable rows of {} do not form {} chains: P(φ > 0)'s error treats them as "
                "independent samples",
                x_ok.size(0), total, options.sample_chains);
        // Lineages label the rows as stored; unlike a chain layout they survive dropped rows.
        const bool lineages_fit =
            options.sample_lineages.defined() && options.sample_lineages.numel() == total;
        if (options.sample_lineages.defined() && !lineages_fit)
            out["sample_lineages_note"] = fmt::format(
                "{} lineage labels for {} rows: P(φ > 0)'s error treats the rows as independent "
                "samples",
                options.sample_lineages.numel(), total);
        add_structure_metrics(
            out, x_ok, all_angles, chains,
            lineages_fit ? options.sample_lineages.to(at::kCPU).index({usable}) : at::Tensor(),
            options);
    }
    if (!reference) {
        report_outliers(out, x_ok, e_ok, temperature, energy.translation_invariant(), x_ok, e_ok);
        return out;
    }

    const SampleSet reference_set = read_sample_set(*reference);
    PITA_CHECK_AS(IoError, reference_set.energies.defined(), "[metrics] reference '{}' has no {}.",
                  *reference, kEnergiesFile);
    const at::Tensor rx_all = reference_set.samples.to(at::kDouble);
    const at::Tensor& re_all = reference_set.energies;
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
        const int64_t reference_chains =
            chains_fitting(reference_layout(*reference, options).chains, rx.size(0));
        add_reference_structure_metrics(out, all_angles, rx, dihedral_angles(rx, torsion_atoms),
                                        reference_chains, options);
        add_tica_metrics(out, x_ok, rx, *reference, options, gen);
    } else if (energy.translation_invariant() && options.equivariant_samples > 1) {
        out["equivariant_w2"] = equivariant_w2(subsample(x_eval, options.equivariant_samples, gen),
                                               subsample(r_x, options.equivariant_samples, gen));
        out["equivariant_samples"] = std::min<int64_t>(options.equivariant_samples, x_eval.size(0));
    }
    return out;
}

void add_target_torsions(const Energy& energy, EvaluationOptions& options) {
    options.torsions.clear();
    options.torsion_names.clear();
    for (const Torsion& t : energy.ramachandran_torsions()) {
        options.torsions.push_back(t.atoms);
        options.torsion_names.push_back(t.name);
    }
    if (const MolecularGraph* graph = energy.molecular_graph()) {
        options.bonds = graph->bonds;
        options.chiral_centres = graph->chiral_centres;
        options.tica_features.atoms = tica_feature_atoms(graph->elements);
        options.tica_features.torsions.clear();
        for (const Torsion& t : graph->backbone_torsions)
            options.tica_features.torsions.push_back(t.atoms);
    }
}

}  // namespace pita

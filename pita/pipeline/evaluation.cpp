#include "pita/pipeline/evaluation.h"

#include <algorithm>
#include <filesystem>

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
    const at::Tensor finite_rows = at::isfinite(e_all.to(at::kCPU));
    nlohmann::json out;
    out["samples"] = x_all.size(0);
    out["non_finite_energies"] = x_all.size(0) - finite_rows.sum().item<int64_t>();
    const at::Tensor x_ok = x_all.to(at::kCPU, at::kDouble).index({finite_rows});
    const at::Tensor e_ok = e_all.to(at::kCPU, at::kDouble).index({finite_rows});
    PITA_CHECK_AS(NumericalError, x_ok.size(0) > 1,
                  "[metrics] T = {:g}: fewer than two samples have a finite energy.", temperature);
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
    if (!reference) return out;

    const at::Tensor rx_all = read_npy(*reference + "/samples.npy").to(at::kDouble);
    const at::Tensor re_all = read_npy(*reference + "/energies.npy").to(at::kDouble);
    const at::Tensor rx = rx_all.reshape({rx_all.size(0), x_ok.size(1), x_ok.size(2)});
    PITA_CHECK(re_all.size(0) == rx.size(0),
               "[metrics] reference '{}': {} samples but {} energies.", *reference, rx.size(0),
               re_all.size(0));
    out["reference"] = *reference;
    out["reference_mean_energy"] = re_all.mean().item<double>();
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

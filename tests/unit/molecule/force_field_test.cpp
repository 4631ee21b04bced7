// ForceField against OpenMM itself (Reference platform, double precision), force by force, on
// the peptide targets: the PDB structure, OpenMM's energy minimum, noisy copies of it and
// configurations drawn from 1200 K MD.
#ifdef PITA_WITH_OPENMM

#include "pita/molecule/force_field.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/md/langevin.h"
#include "pita/molecule/molecule.h"
#include "pita/molecule/openmm_reference.h"
#include "pita/molecule/pdb.h"
#include "support/molecule_helpers.h"
#include "support/text_helpers.h"

namespace pita {
namespace {

using testing::read_text;
using testing::source_path;

/// Replaces `from` by `to` in the line of `xml` that holds `marker`.
std::string edit_line(std::string xml, const std::string& marker, const std::string& from,
                      const std::string& to) {
    const size_t at_marker = xml.find(marker);
    EXPECT_NE(at_marker, std::string::npos) << marker;
    const size_t begin = xml.rfind('\n', at_marker) + 1;
    const size_t end = xml.find('\n', at_marker);
    std::string line = xml.substr(begin, end - begin);
    const size_t pos = line.find(from);
    EXPECT_NE(pos, std::string::npos) << from << " in " << line;
    line.replace(pos, from.size(), to);
    return xml.substr(0, begin) + line + xml.substr(end);
}

/// These batches are small: one intra-op thread avoids OpenMP spin-waits, which cost seconds on
/// a loaded 2-core machine and buy nothing here.
class OneThread {
  public:
    OneThread() : saved_(at::get_num_threads()) { at::set_num_threads(1); }
    ~OneThread() { at::set_num_threads(saved_); }
    OneThread(const OneThread&) = delete;
    OneThread& operator=(const OneThread&) = delete;

  private:
    int saved_;
};

struct Tolerance {
    double energy_rel, energy_abs, force_rel_rms;
};
constexpr Tolerance kFloat64{1e-6, 1e-4, 1e-5};
constexpr Tolerance kFloat32{1e-4, 1e-3, 1e-4};

/// Largest errors seen against OpenMM, per term, for the summary line.
struct Worst {
    double energy_rel = 0, force_rel_rms = 0;
};

/// OpenMM's energy and forces of every term of `ff` on the configurations `x`.
std::vector<EnergyAndForce> openmm_terms(const ForceField& ff, OpenMMReference& omm,
                                         const at::Tensor& x) {
    std::vector<EnergyAndForce> out;
    for (const int force_index : ff.term_force_indices())
        out.push_back(omm.evaluate(x, force_index));
    return out;
}

/// Compares every term of `ff` and the total with OpenMM's (`ref`, from openmm_terms) on the
/// configurations `x` (float64) evaluated in `dtype`; returns the worst relative errors per term
/// name ("total" for the sum).
std::map<std::string, Worst> compare_with_openmm(const ForceField& ff,
                                                 const std::vector<EnergyAndForce>& ref_terms,
                                                 const at::Tensor& x, at::ScalarType dtype,
                                                 const Tolerance& tol, const std::string& label) {
    torch::autograd::AutoGradMode enable_grad(true);
    std::map<std::string, Worst> worst;
    const at::Tensor xd = x.to(dtype);
    const at::Tensor terms = ff.term_energies(xd).to(at::kDouble);
    const int64_t batch = x.size(0);
    at::Tensor ref_total = at::zeros({batch}, at::kDouble);
    at::Tensor ref_total_force = at::zeros_like(x);
    at::Tensor term_force_norm2 = at::zeros({batch}, at::kDouble);  // Σ_terms |F_term|²
    // Forces are compared as an RMS ratio to `f_scale` (per row): the force norm for a term,
    // and for the total the norm of its terms' forces, which near a minimum cancel to ~0, so
    // that float32 rounding of the large terms is measured against their own size.
    auto check = [&](const std::string& name, const at::Tensor& e, const at::Tensor& f,
                     const at::Tensor& e_ref, const at::Tensor& f_ref, const at::Tensor& f_scale) {
        for (int64_t b = 0; b < batch; ++b) {
            const double ev = e[b].item<double>(), er = e_ref[b].item<double>();
            EXPECT_NEAR(ev, er, std::max(tol.energy_rel * std::abs(er), tol.energy_abs))
                << label << " term " << name << " row " << b;
            const double f_err = (f[b] - f_ref[b]).norm().item<double>();
            // A term with (almost) no force, e.g. bonds at their minimum, is compared in
            // absolute terms (kJ/mol/nm).
            const double rel_rms = f_err / std::max(f_scale[b].item<double>(), 1.0);
            EXPECT_LT(rel_rms, tol.force_rel_rms) << label << " term " << name << " row " << b;
            Worst& w = worst[name];
            w.energy_rel = std::max(w.energy_rel, std::abs(ev - er) / std::max(std::abs(er), 1.0));
            w.force_rel_rms = std::max(w.force_rel_rms, rel_rms);
        }
    };
    const auto& names = ff.term_names();
    for (size_t t = 0; t < names.size(); ++t) {
        const EnergyAndForce& ref = ref_terms[t];
        ref_total += ref.energy;
        ref_total_force += ref.force;
        term_force_norm2 += ref.force.pow(2).sum({1, 2});
        // Per-term forces by autograd through that term alone.
        at::Tensor xg = xd.detach().clone().requires_grad_(true);
        at::Tensor e_t = ff.term_energies(xg).select(1, static_cast<int64_t>(t));
        at::Tensor grad = torch::autograd::grad({e_t.sum()}, {xg})[0];
        check(names[t], terms.select(1, static_cast<int64_t>(t)), grad.neg().to(at::kDouble),
              ref.energy, ref.force, ref.force.pow(2).sum({1, 2}).sqrt());
    }
    // The total through both implementations: the fused CPU loop (plain input) and LibTorch
    // ops with autograd (input that requires grad).
    const EnergyAndForce total = ff.energy_and_force(xd);
    const at::Tensor total_scale = term_force_norm2.sqrt();
    check("total", total.energy.to(at::kDouble), total.force.to(at::kDouble), ref_total,
          ref_total_force, total_scale);
    const EnergyAndForce total_ops = ff.energy_and_force(xd.detach().requires_grad_(true));
    check("total (autograd)", total_ops.energy.detach().to(at::kDouble),
          total_ops.force.detach().to(at::kDouble), ref_total, ref_total_force, total_scale);
    return worst;
}

void print_summary(const std::string& label, const std::map<std::string, Worst>& worst) {
    std::string line = "[force_field vs OpenMM] " + label + ":";
    for (const auto& [name, w] : worst)
        line += fmt::format(" {} E {:.1e} F {:.1e};", name, w.energy_rel, w.force_rel_rms);
    std::printf("%s\n", line.c_str());
}

class PeptideAgreement : public ::testing::TestWithParam<std::string> {};

TEST_P(PeptideAgreement, EnergiesAndForcesMatchOpenMMPerForceAndInTotal) {
    const OneThread one_thread;
    const std::string name = GetParam();
    const std::string xml_path = source_path("data/molecules/" + name + ".system.xml");
    const ForceField ff{std::filesystem::path(xml_path)};
    OpenMMReference omm(std::filesystem::path(xml_path), OpenMMPlatform::Reference);
    ASSERT_EQ(ff.n_particles(), omm.n_particles());
    ASSERT_THAT(ff.term_names(),
                ::testing::ElementsAre("HarmonicBondForce", "HarmonicAngleForce",
                                       "PeriodicTorsionForce", "NonbondedForce", "CustomGBForce"));

    const at::Tensor pdb = read_pdb_positions(source_path("data/molecules/" + name + ".pdb"));
    ASSERT_EQ(pdb.size(0), ff.n_particles());
    const at::Tensor minimum = omm.minimize(pdb, 5.0);
    at::Generator gen = make_generator(20261124);
    const int64_t n_noisy = 30;
    const at::Tensor noisy =
        minimum.unsqueeze(0) + 0.015 * at::randn({n_noisy, pdb.size(0), 3}, gen, at::kDouble);
    // 100 configurations drawn from 1200 K MD (the check): 100 replicas from the
    // minimum, LangevinMiddle at 1 fs with friction 10/ps so that 1 ps thermalises them.
    LangevinOptions hot;
    hot.temperature = 1200;
    hot.friction = 10;
    const Molecule mol(testing::molecule_params(name));
    const LangevinMiddle md(mol.physical(), mol.masses(), hot);
    MdState s = md.start(minimum.unsqueeze(0).repeat({100, 1, 1}), gen);
    md.run(s, 1000, gen);
    const at::Tensor x = at::cat({pdb.unsqueeze(0), minimum.unsqueeze(0), noisy, s.x});

    const auto ref = openmm_terms(ff, omm, x);
    print_summary(name + " float64",
                  compare_with_openmm(ff, ref, x, at::kDouble, kFloat64, name + " float64"));
    print_summary(name + " float32",
                  compare_with_openmm(ff, ref, x, at::kFloat, kFloat32, name + " float32"));
}

INSTANTIATE_TEST_SUITE_P(ForceField, PeptideAgreement, ::testing::Values("aldp", "aaa", "aaaa"));

/// ALDP with the reference settings, with noise to spread pair distances.
at::Tensor aldp_configurations(int64_t batch, double noise) {
    const at::Tensor pdb = read_pdb_positions(source_path("data/molecules/aldp.pdb"));
    at::Generator gen = make_generator(7);
    return pdb.unsqueeze(0) + noise * at::randn({batch, pdb.size(0), 3}, gen, at::kDouble);
}

TEST(ForceField, ReactionFieldCutoffAndNoCutoffMatchOpenMM) {
    const OneThread one_thread;
    const std::string xml = read_text(source_path("data/molecules/aldp.system.xml"));
    // A solvent dielectric ≠ 1 makes k_rf non-zero; short cutoffs leave ordinary pairs, 1-4
    // exceptions and GB pairs on both sides of them.
    std::string cut =
        edit_line(xml, "name=\"NonbondedForce\"", "rfDielectric=\"1\"", "rfDielectric=\"78.5\"");
    cut = edit_line(cut, "name=\"NonbondedForce\"", "cutoff=\"2\"", "cutoff=\".3\"");
    cut = edit_line(cut, "name=\"CustomGBForce\"", "cutoff=\"2\"", "cutoff=\".45\"");
    std::string none = edit_line(xml, "name=\"NonbondedForce\"", "method=\"1\"", "method=\"0\"");
    none = edit_line(none, "name=\"CustomGBForce\"", "method=\"1\"", "method=\"0\"");
    const at::Tensor x = aldp_configurations(8, 0.01);
    for (const auto& [label, text] : {std::pair{"cutoff", cut}, std::pair{"no cutoff", none}}) {
        const auto ff = ForceField::from_xml_string(text, label);
        OpenMMReference omm(text, label, OpenMMPlatform::Reference);
        print_summary(
            std::string("aldp ") + label,
            compare_with_openmm(*ff, openmm_terms(*ff, omm, x), x, at::kDouble, kFloat64, label));
    }
}

TEST(ForceField, GbsaObcForceMatchesOpenMM) {
    const OneThread one_thread;
    const std::string path = source_path("tests/fixtures/molecule/aldp_amber99_obc.system.xml");
    const ForceField ff{std::filesystem::path(path)};
    EXPECT_THAT(ff.term_names(), ::testing::Contains("GBSAOBCForce"));
    OpenMMReference omm(std::filesystem::path(path), OpenMMPlatform::Reference);
    const at::Tensor x = aldp_configurations(8, 0.01);
    const auto ref = openmm_terms(ff, omm, x);
    print_summary("aldp amber99_obc float64",
                  compare_with_openmm(ff, ref, x, at::kDouble, kFloat64, "amber99_obc"));
    print_summary("aldp amber99_obc float32",
                  compare_with_openmm(ff, ref, x, at::kFloat, kFloat32, "amber99_obc"));
}

TEST(ForceField, GbsaObcEngulfedAtomAndCutoffMatchOpenMM) {
    const OneThread one_thread;
    const std::string path = source_path("tests/fixtures/molecule/gbsa_engulfed.system.xml");
    const ForceField ff{std::filesystem::path(path)};
    OpenMMReference omm(std::filesystem::path(path), OpenMMPlatform::Reference);
    // Particle 0 (small) at 0.02-0.1 nm from particle 1 (large scaled sphere): engulfed; particle
    // 2 moves across the 1 nm cutoff.
    std::vector<double> xyz;
    for (int k = 0; k < 8; ++k) {
        const double d = 0.02 + 0.012 * k;
        xyz.insert(xyz.end(), {0.0, 0.0, 0.0, d, 0.01, 0.0, 0.3 + 0.1 * k, 0.5, 0.0});
    }
    const at::Tensor x = at::tensor(xyz, at::kDouble).view({8, 3, 3});
    const auto ref = openmm_terms(ff, omm, x);
    print_summary("gbsa engulfed", compare_with_openmm(ff, ref, x, at::kDouble, kFloat64, "gbsa"));
    EXPECT_TRUE(at::allclose(ff.energy(x), ff.energy_and_force(x).energy, 0, 0));
}

/// The fused CPU kernel (nonbonded + OBC over pairs in one pass set, other terms term by term)
/// against the LibTorch ops of every term with forces by autograd, on perturbed peptides; and
/// its energy-only path, single rows and two threads against the batch, bit for bit.
TEST(ForceField, FusedCpuKernelMatchesTermByTermOpsOnPerturbedPeptides) {
    const OneThread one_thread;
    for (const std::string name : {"aldp", "aaa", "aaaa"}) {
        const ForceField ff{
            std::filesystem::path(source_path("data/molecules/" + name + ".system.xml"))};
        const at::Tensor pdb = read_pdb_positions(source_path("data/molecules/" + name + ".pdb"));
        at::Generator gen = make_generator(11);
        // Small and large perturbations: overlapping GB spheres, short 1-4 distances.
        const at::Tensor noise = at::randn({24, pdb.size(0), 3}, gen, at::kDouble);
        const at::Tensor scale = at::linspace(0.002, 0.04, 24, at::kDouble).view({24, 1, 1});  // nm
        const at::Tensor x = pdb.unsqueeze(0) + scale * noise;

        const EnergyAndForce fused = ff.energy_and_force(x);
        const EnergyAndForce ops = ff.energy_and_force(x.clone().requires_grad_(true));
        const at::Tensor terms = ff.term_energies(x);
        const at::Tensor e_ops = ops.energy.detach(), f_ops = ops.force.detach();
        for (int64_t b = 0; b < x.size(0); ++b) {
            // Relative to the size of the terms: the total is a sum with cancellation.
            const double e_scale = terms[b].abs().sum().item<double>();
            EXPECT_NEAR(fused.energy[b].item<double>(), e_ops[b].item<double>(), 1e-13 * e_scale)
                << name << " row " << b;
            const double f_scale = f_ops[b].abs().max().item<double>();
            EXPECT_LE((fused.force[b] - f_ops[b]).abs().max().item<double>(), 1e-11 * f_scale)
                << name << " row " << b;
        }
        // The energy-only path and the gradient path share every energy operation.
        EXPECT_TRUE(at::equal(ff.energy(x), fused.energy)) << name;
        // Rows are independent of the batch they come in and of the thread count.
        const EnergyAndForce row = ff.energy_and_force(x.slice(0, 5, 6));
        EXPECT_TRUE(at::equal(row.energy, fused.energy.slice(0, 5, 6))) << name;
        EXPECT_TRUE(at::equal(row.force, fused.force.slice(0, 5, 6))) << name;
        at::set_num_threads(2);
        const EnergyAndForce two = ff.energy_and_force(x);
        at::set_num_threads(1);
        EXPECT_TRUE(at::equal(two.energy, fused.energy)) << name;
        EXPECT_TRUE(at::equal(two.force, fused.force)) << name;
    }
}

TEST(ForceField, NanRowIsNonFiniteAndLeavesOtherRowsUnchanged) {
    const OneThread one_thread;
    const ForceField ff{std::filesystem::path(source_path("data/molecules/aldp.system.xml"))};
    const at::Tensor x = aldp_configurations(3, 0.01);
    const at::Tensor clean = ff.energy_and_force(x).energy;
    at::Tensor bad = x.clone();
    bad[1][0][0] = std::nan("");
    const EnergyAndForce out = ff.energy_and_force(bad);
    EXPECT_FALSE(std::isfinite(out.energy[1].item<double>()));
    EXPECT_EQ(out.energy[0].item<double>(), clean[0].item<double>());
    EXPECT_EQ(out.energy[2].item<double>(), clean[2].item<double>());
    EXPECT_TRUE(out.force[0].isfinite().all().item<bool>());
    EXPECT_TRUE(out.force[2].isfinite().all().item<bool>());
    // Every term sees atom 0, so every term of the bad row is non-finite.
    EXPECT_FALSE(ff.term_energies(bad)[1].isfinite().any().item<bool>());
}

TEST(ForceField, UnsupportedForceIsRefusedWithItsName) {
    const std::string xml = read_text(source_path("data/molecules/aldp.system.xml"));
    const std::string external =
        "\t\t<Force energy=\"x^2\" forceGroup=\"0\" name=\"CustomExternalForce\" "
        "type=\"CustomExternalForce\" version=\"1\">\n\t\t\t<PerParticleParameters/>\n"
        "\t\t\t<GlobalParameters/>\n\t\t\t<Particles/>\n\t\t</Force>\n";
    std::string with_external = xml;
    with_external.insert(with_external.find("\t</Forces>"), external);
    EXPECT_THAT([&] { ForceField::from_xml_string(with_external, "edited"); },
                ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                    ::testing::HasSubstr("unsupported force 'CustomExternalForce'"),
                    ::testing::HasSubstr("Hint"))));

    const std::string other_gb = edit_line(xml, "name=\"B\"", "tanh(0.8*psi", "tanh(0.7*psi");
    EXPECT_THAT([&] { ForceField::from_xml_string(other_gb, "edited"); },
                ::testing::ThrowsMessage<ConfigError>(::testing::AllOf(
                    ::testing::HasSubstr("CustomGBForce"),
                    ::testing::HasSubstr("computed value 'B'"), ::testing::HasSubstr("OBC"))));

    const std::string periodic =
        edit_line(xml, "name=\"HarmonicBondForce\"", "usesPeriodic=\"0\"", "usesPeriodic=\"1\"");
    EXPECT_THAT([&] { ForceField::from_xml_string(periodic, "edited"); },
                ::testing::ThrowsMessage<ConfigError>(
                    ::testing::AllOf(::testing::HasSubstr("HarmonicBondForce"),
                                     ::testing::HasSubstr("periodic boundary conditions"))));

    EXPECT_THROW(ForceField{std::filesystem::path("/nonexistent/system.xml")}, IoError);
}

}  // namespace
}  // namespace pita

#endif  // PITA_WITH_OPENMM

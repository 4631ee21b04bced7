// `pita run` on alanine dipeptide end to end (configs/aldp-smoke.yaml, about a minute): MD data at
// 1200 K, a DiT, one annealing rung with the MD relaxation, and the peptide metrics; a resume
// after `kill -9`; and the bad molecule configs refused before any work.
#ifdef PITA_WITH_OPENMM
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "pita/io/npy.h"
#include "support/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;
using pita::testing::kill_after_start;
using pita::testing::Outcome;
using pita::testing::run_command;

class PeptideRunCliTest : public pita::testing::ScratchDirTest {
  protected:
    static std::string pita_run(const std::string& extra) {
        const std::string src = PITA_SOURCE_DIR;
        return std::string(PITA_BINARY) + " run " + src + "/configs/aldp-smoke.yaml threads=1 " +
               "energy.system=" + src + "/data/molecules/aldp.system.xml energy.pdb=" + src +
               "/data/molecules/aldp.pdb metrics.reference=" + src + "/data/aldp/reference " +
               extra;
    }
    static nlohmann::json json_at(const fs::path& p) {
        return nlohmann::json::parse(std::ifstream(p));
    }
};

TEST_F(PeptideRunCliTest, SmokeRunScoresWhatTheNetworksDeliveredAndTheRelaxedSamples) {
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "minutes under ASan; runs in the Release build";
    const Outcome o = run_command(pita_run("--out " + (dir_ / "r").string()));
    ASSERT_EQ(o.exit_code, 0) << o.output;
    const nlohmann::json m = json_at(dir_ / "r/metrics.json");
    ASSERT_EQ(m["temperatures"].size(), 2u);
    const nlohmann::json& top = m["temperatures"][0];
    const nlohmann::json& low = m["temperatures"][1];
    EXPECT_EQ(top["source"], "md");
    EXPECT_EQ(m["buffers"][0]["provenance"], "md:T=1200");
    // MD at 1200 K is the data: it must already look like the reference there. Loose: energy-W1
    // below 3 kT (320 correlated frames of 8 replicas) and the same φ/ψ region (T-W2 < 1 rad).
    EXPECT_LT(top["energy_w1"].get<double>(), 3.0) << top.dump();
    EXPECT_LT(top["torsion_torus_w2"].get<double>(), 1.0) << top.dump();
    EXPECT_EQ(top["chirality"]["d_fraction"], 0.0);  // MD from the L structure stays L
    EXPECT_EQ(top["broken_bond_fraction"], 0.0);
    // Every peptide metric is there at the annealed rung, final and before relaxation.
    for (const nlohmann::json* set : {&low, &low["before_relaxation"]}) {
        for (const char* k : {"energy_w1", "energy_w2", "torsion_torus_w2", "phi_positive",
                              "rama_kl", "chirality", "broken_bond_fraction"})
            EXPECT_TRUE(set->contains(k)) << k << " " << set->dump();
    }
    EXPECT_EQ(low["before_relaxation"]["source"], "networks");
    // The γ = 1 regeneration check (metrics.regeneration_samples: 32) scores the networks
    // trained at 1200 K against the run's own MD data there: its "reference" P(φ > 0) is the
    // data's, and its error counts the data's replicas (the MD layout), not 1/sqrt(frames).
    ASSERT_TRUE(top.contains("regeneration")) << top.dump();
    const nlohmann::json& check = top["regeneration"];
    EXPECT_EQ(check["source"], "regenerated");
    EXPECT_EQ(check["samples"], 32);
    EXPECT_DOUBLE_EQ(check["phi_positive"][0]["reference_fraction"].get<double>(),
                     top["phi_positive"][0]["fraction"].get<double>());
    EXPECT_EQ(check["phi_positive"][0]["reference_standard_error_from"], "chains") << check.dump();
    EXPECT_EQ(check["phi_positive"][0]["standard_error_from"], "lineages");
    // The run's chirality handling applies to the check as to a rung (here none: counted only).
    EXPECT_EQ(check["chirality_handling"]["fixed"], false) << check.dump();
    EXPECT_EQ(check["chirality_handling"]["before_fix"]["l_form"], check["chirality"]["l_form"]);
    ASSERT_EQ(low["phi_positive"].size(), 1u);
    EXPECT_TRUE(low["phi_positive"][0].contains("reference_fraction"));
    EXPECT_TRUE(low["phi_positive"][0].contains("z"));
    // The SMC samples' error counts their lineages (lineages.npy): after the end correction's
    // resampling when there is one (the smoke config's), as anneal.json counts them.
    const nlohmann::json& smc = low["smc"];
    for (const nlohmann::json* set : {&low, &low["before_relaxation"]}) {
        EXPECT_EQ((*set)["phi_positive"][0]["standard_error_from"], "lineages");
        EXPECT_EQ((*set)["phi_positive"][0]["lineages"], smc.contains("correction_lineages")
                                                             ? smc["correction_lineages"]
                                                             : smc["lineages"]);
    }
    ASSERT_EQ(low["rama_kl"].size(), 1u);
    EXPECT_GT(low["rama_kl"][0]["floor"].get<double>(), 0.0);
    const nlohmann::json anneal = json_at(dir_ / "r/T755.95/anneal.json");
    EXPECT_EQ(anneal["relaxation"]["method"], "md");
    // anneal.resample_end_sigma = 0.19 stops the weights within the 20-step grid (σ 10 → 0.04).
    EXPECT_GT(anneal["sde"]["weighted_steps"].get<int64_t>(), 0) << anneal.dump();
    EXPECT_LT(anneal["sde"]["weighted_steps"].get<int64_t>(), 20) << anneal.dump();
    EXPECT_TRUE(anneal.contains("chirality"));
    // 64 samples × (50 MD steps + 1) relaxation evaluations.
    EXPECT_EQ(m["energy_evaluations"]["relaxation"], 64 * 51);
    for (const char* f :
         {"data/T1200/samples.npy", "T755.95/samples.npy", "T755.95/before_relaxation/samples.npy",
          "train/stage0.pt", "data/T1200/trajectory.dcd", "T755.95/trajectory.dcd"})
        EXPECT_TRUE(fs::exists(dir_ / "r" / f)) << f;
    // φ and ψ of every sample, in the order of torsion_names.
    const at::Tensor angles = pita::read_npy((dir_ / "r/T755.95/torsions.npy").string());
    EXPECT_EQ(angles.sizes(), (std::vector<int64_t>{64, 2}));
    EXPECT_EQ(low["torsion_names"], (nlohmann::json{"phi ALA2", "psi ALA2"}));

    // `pita anneal` from the run's checkpoint honours anneal.fix_mirrored as `pita run` does:
    // whatever the networks drew, no sample is left wholly inverted, and the count is recorded.
    const std::string src = PITA_SOURCE_DIR;
    const Outcome a = run_command(
        std::string(PITA_BINARY) + " anneal " + src + "/configs/aldp-smoke.yaml threads=1 " +
        "anneal.checkpoint=" + (dir_ / "r/train/stage0.pt").string() +
        " anneal.temperature=755.95 anneal.n_samples=16 anneal.steps=10 anneal.relax_md_ps=0 " +
        "anneal.fix_mirrored=true anneal.l_form_only=true --out " + (dir_ / "a").string());
    ASSERT_EQ(a.exit_code, 0) << a.output;
    EXPECT_THAT(a.output, HasSubstr("mirrored back (anneal.fix_mirrored)"));
    EXPECT_THAT(a.output, HasSubstr("not L dropped (anneal.l_form_only)"));
    const nlohmann::json summary = json_at(dir_ / "a/anneal.json");
    const nlohmann::json& chirality = summary["chirality"];
    EXPECT_EQ(chirality["fixed"], true);
    EXPECT_EQ(chirality["after_fix"]["mirrored"], 0) << chirality.dump();
    EXPECT_EQ(chirality["mirrored_back"], chirality["before_fix"]["mirrored"]) << chirality.dump();
    // anneal.l_form_only: ALDP's one centre leaves nothing "mixed", so after the mirror fix every
    // sample is L and none is dropped; the files hold what the summary counts.
    EXPECT_EQ(chirality["dropped_not_l"], chirality["after_fix"]["mixed"]) << chirality.dump();
    EXPECT_EQ(summary["samples"].get<int64_t>() + chirality["dropped_not_l"].get<int64_t>(), 16);
    EXPECT_EQ(pita::read_npy((dir_ / "a/T755.95/samples.npy").string()).size(0),
              summary["samples"].get<int64_t>());

    // anneal.tempering_weight: score_only, end to end: weights to the last step from the score
    // network alone (the end correction, which needs U, off).
    const Outcome so = run_command(
        std::string(PITA_BINARY) + " anneal " + src + "/configs/aldp-smoke.yaml threads=1 " +
        "anneal.checkpoint=" + (dir_ / "r/train/stage0.pt").string() +
        " anneal.temperature=755.95 anneal.n_samples=16 anneal.steps=10 anneal.relax_md_ps=0 " +
        "anneal.tempering_weight=score_only anneal.correct_to_target=false " +
        "anneal.resample_end_sigma=0 --out " + (dir_ / "so").string());
    ASSERT_EQ(so.exit_code, 0) << so.output;
    const nlohmann::json so_json = json_at(dir_ / "so/anneal.json");
    EXPECT_EQ(so_json["tempering_weight"], "score_only");
    EXPECT_EQ(so_json["sde"]["weighted_steps"], 10) << so_json.dump();
    EXPECT_FALSE(so_json.contains("correction"));
}

TEST_F(PeptideRunCliTest, ResumesAfterAKillMidRun) {
    if (PITA_SANITIZED != 0) GTEST_SKIP() << "minutes under ASan; runs in the Release build";
    const std::string out = (dir_ / "r").string();
    const Outcome killed =
        kill_after_start(pita_run("train.steps=400 --out " + out), dir_ / "r/run.json", 3.0);
    ASSERT_NE(killed.exit_code, 0) << "finished before the kill; lengthen the run";
    const Outcome resumed = run_command(pita_run("train.steps=400 --resume " + out));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    const nlohmann::json state = json_at(dir_ / "r/state.json");
    // data, train0, the regeneration check after it (metrics.regeneration_samples), anneal0.
    EXPECT_EQ(state["phases_done"], (nlohmann::json{"anneal0", "data", "regenerate0", "train0"}))
        << state.dump();
    EXPECT_TRUE(fs::exists(dir_ / "r/metrics.json"));
}

TEST_F(PeptideRunCliTest, BadMoleculeConfigsAreRefusedBeforeAnyWork) {
    struct Case {
        std::string overrides;
        std::string message;
    };
    const Case cases[] = {
        // An E(3)-equivariant backbone cannot tell L from D.
        {"model.backbone=egnn", "egnn is E(3)-equivariant"},
        // ... and without atom embeddings it cannot tell one atom from another.
        {"model.backbone=egnn anneal.fix_mirrored=true model.atom_embedding=false",
         "model.atom_embedding"},
        // The MD relaxation needs a molecule; LJ is not one (checked with an LJ energy).
        {"data.sampler=mala anneal.relaxation=md energy.type=lennard_jones energy.n_particles=13 "
         "'energy.system=' 'energy.pdb='",
         "anneal.relaxation"},
        // The SDE's grid cannot end above where it starts (schedule.sigma_max is 10 here).
        {"anneal.sigma_min=20", "anneal.sigma_min"},
        // score_only never runs the energy network, which the end correction (on in the smoke
        // config) needs; and it is a balanced-drift form.
        {"anneal.tempering_weight=score_only", "anneal.correct_to_target"},
        {"anneal.tempering_weight=score_only anneal.correct_to_target=false anneal.drift=reference",
         "anneal.tempering_weight"},
        // The MALA relaxation's step count means nothing to the MD relaxation.
        {"anneal.relax_steps=10", "anneal.relax_steps"},
        // MD data for a target without masses.
        {"energy.type=lennard_jones energy.n_particles=13 'energy.system=' 'energy.pdb=' "
         "anneal.relaxation=mala",
         "data.sampler"},
    };
    for (const Case& c : cases) {
        const Outcome o =
            run_command(pita_run(c.overrides + " --check --out " + (dir_ / "never").string()));
        EXPECT_EQ(o.exit_code, 2) << c.overrides << "\n" << o.output;
        EXPECT_THAT(o.output, HasSubstr(c.message)) << c.overrides << "\n" << o.output;
    }
    // A ladder temperature without reference samples: a warning before any work, and a note in
    // metrics.json (checked here through --check, which prints the warning).
    const Outcome o = run_command(pita_run("'ladder=[1200,700]' --check"));
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_THAT(o.output, HasSubstr("no reference samples for T = 700"));
    EXPECT_FALSE(fs::exists(dir_ / "never"));
}

// Every peptide run config in configs/ parses and validates (`--check` runs nothing). The paper
// configs ask for CUDA and a GPU's memory: here they are checked on the CPU with their batch and
// chunk shrunk to fit this machine (every other key as shipped).
TEST_F(PeptideRunCliTest, ShippedPeptideRunConfigsValidate) {
    const std::string src = PITA_SOURCE_DIR;
    for (const std::string name : {"aldp-smoke", "aldp", "al3", "aldp-paper", "al3-paper"}) {
        const bool paper = name.find("paper") != std::string::npos;
        const Outcome o = run_command(
            std::string(PITA_BINARY) + " run " + src + "/configs/" + name + ".yaml --check " +
            "--device cpu energy.system=" + src + "/data/molecules/" +
            (name.rfind("al3", 0) == 0 ? "aaa" : "aldp") + ".system.xml energy.pdb=" + src +
            "/data/molecules/" + (name.rfind("al3", 0) == 0 ? "aaa" : "aldp") +
            ".pdb metrics.reference= " + (paper ? "train.batch_size=64 anneal.chunk=64 " : "") +
            "--out " + (dir_ / "never").string());
        EXPECT_EQ(o.exit_code, 0) << name << "\n" << o.output;
        EXPECT_THAT(o.output, HasSubstr("config OK")) << name;
    }
    EXPECT_FALSE(fs::exists(dir_ / "never"));
}

}  // namespace
#endif

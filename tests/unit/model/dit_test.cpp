#include "pita/model/dit.h"

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <nlohmann/json.hpp>

#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/model/backbone_factory.h"
#include "pita/model/energy_model.h"
#include "pita/model/rotary.h"
#include "pita/model/score_model.h"
#include "support/test_helpers.h"

namespace pita {
namespace {

using testing::max_abs;

using ::testing::HasSubstr;

constexpr int64_t kDitParticles = 5;

/// A small network for the behavioural tests (head_dim 8, two blocks).
DitOptions small_options() {
    DitOptions o;
    o.n_particles = kDitParticles;
    o.hidden = 32;
    o.cond_dim = 16;
    o.n_blocks = 2;
    o.n_heads = 4;
    return o;
}

/// Adds N(0, noise²) to every parameter (float64): the zero-initialised adaLN and output layers
/// would otherwise make every check on the output vacuous.
void perturb(Backbone& net, uint64_t seed, double noise = 0.1) {
    at::Generator gen = make_generator(seed);
    at::NoGradGuard no_grad;
    for (auto& [name, p] : net.named_parameters())
        p.add_(noise * at::randn(p.sizes(), gen, p.options()));
}

std::unique_ptr<Dit> random_dit(uint64_t seed, DitOptions o = small_options()) {
    auto net = std::make_unique<Dit>(o);
    net->to(c10::Device(c10::kCPU), at::kDouble);
    net->train(false);
    perturb(*net, seed);
    return net;
}

struct DitInputs {
    at::Tensor c_noise, y, beta;
};

DitInputs dit_inputs(int64_t batch, uint64_t seed, int64_t n = kDitParticles) {
    at::Generator gen = make_generator(seed);
    return {0.5 * at::randn({batch}, gen, at::kDouble),
            1.5 * at::randn({batch, n, 3}, gen, at::kDouble),
            at::rand({batch}, gen, at::kDouble) + 0.5};
}

/// Spec §3.4 written out plainly from the named parameters (no folding of scales, torchtune's
/// pair-stacking RoPE, explicit modulate), as an independent check of the fused forward.
at::Tensor plain_forward(const Dit& net, const DitInputs& in) {
    const DitOptions& o = net.options();
    std::map<std::string, at::Tensor> p;
    for (const auto& [name, t] : net.named_parameters()) p[name] = t;
    const int64_t b = in.y.size(0);
    const int64_t n = o.n_particles;
    const int64_t h = o.hidden;
    const int64_t heads = o.n_heads;
    const int64_t hd = h / heads;
    auto lin = [&](const at::Tensor& x, const std::string& name, bool bias = true) {
        at::Tensor out = at::matmul(x, p.at(name + ".weight").t());
        return bias ? out + p.at(name + ".bias") : out;
    };
    auto embed = [&](const at::Tensor& t, const std::string& prefix) {
        const at::Tensor k = at::arange(128, at::kDouble);
        const at::Tensor freqs = at::exp(-std::log(10000.0) * k / 128.0);
        const at::Tensor args = t.unsqueeze(1) * freqs.unsqueeze(0);
        const at::Tensor e = at::cat({at::cos(args), at::sin(args)}, -1);
        return lin(at::silu(lin(e, prefix + ".mlp.0")), prefix + ".mlp.2");
    };
    auto norm = [&](const at::Tensor& x, const std::string& name) {
        return at::layer_norm(x, {h}, {}, {}, 1e-5) * p.at(name + ".weight");
    };
    auto modulate = [](const at::Tensor& x, const at::Tensor& shift, const at::Tensor& scale) {
        return x * (1 + scale) + shift;
    };
    auto rope = [&](const at::Tensor& x) {  // [B, N, heads, hd]
        const at::Tensor pos = at::arange(n, at::kDouble);
        const at::Tensor theta = 1.0 / at::pow(10000.0, at::arange(0, hd, 2, at::kDouble) / hd);
        const at::Tensor angle = at::outer(pos, theta).view({1, n, 1, hd / 2});
        const at::Tensor xs = x.reshape({b, n, heads, hd / 2, 2});
        const at::Tensor x0 = xs.select(-1, 0);
        const at::Tensor x1 = xs.select(-1, 1);
        return at::stack({x0 * at::cos(angle) - x1 * at::sin(angle),
                          x1 * at::cos(angle) + x0 * at::sin(angle)},
                         -1)
            .flatten(3);
    };

    at::Tensor cvec;
    if (o.condition_on_time) cvec = embed(in.c_noise, "sigma_map");
    if (o.condition_on_temperature) {
        const at::Tensor e = embed(in.beta, "sigma_map_temp");
        cvec = cvec.defined() ? cvec + e : e;
    }
    cvec = at::silu(cvec);
    at::Tensor x = lin(in.y, "vocab_embed");
    if (p.count("atom_embed") != 0) x = x + p.at("atom_embed");
    for (int64_t i = 0; i < o.n_blocks; ++i) {
        const std::string pre = "blocks." + std::to_string(i) + ".";
        const auto mod = lin(cvec, pre + "adaLN_modulation").unsqueeze(1).chunk(6, 2);
        const at::Tensor a = modulate(norm(x, pre + "norm1"), mod[0], mod[1]);
        const at::Tensor qkv = lin(a, pre + "attn_qkv", false).view({b, n, 3, heads, hd});
        const at::Tensor q = rope(qkv.select(2, 0)).permute({0, 2, 1, 3});
        const at::Tensor k = rope(qkv.select(2, 1)).permute({0, 2, 1, 3});
        const at::Tensor v = qkv.select(2, 2).permute({0, 2, 1, 3});
        const at::Tensor att =
            at::softmax(at::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hd)), -1);
        const at::Tensor o_heads = at::matmul(att, v).permute({0, 2, 1, 3}).reshape({b, n, h});
        x = x + mod[2] * lin(o_heads, pre + "attn_out", false);
        const at::Tensor m = modulate(norm(x, pre + "norm2"), mod[3], mod[4]);
        x = x + mod[5] * lin(at::gelu(lin(m, pre + "mlp.0"), "tanh"), pre + "mlp.2");
    }
    const auto mod = lin(cvec, "output_layer.adaLN_modulation").unsqueeze(1).chunk(2, 2);
    return lin(modulate(norm(x, "output_layer.norm_final"), mod[0], mod[1]), "output_layer.linear");
}

TEST(Dit, ParameterCountsMatchTheSpec) {
    // Spec §3.5: 3,179,267 at the defaults (41,216 of them in the two condition embedders) and
    // 553,731 for the initial LJ-13 configuration (hidden 128, cond 64, 2 blocks, 2 heads).
    DitOptions o;
    o.n_particles = 22;
    const Dit defaults(o);
    EXPECT_EQ(count_parameters(defaults), 3179267);
    int64_t embedders = 0;
    for (const auto& [name, p] : defaults.named_parameters()) {
        EXPECT_TRUE(p.requires_grad()) << name;
        if (name.rfind("sigma_map", 0) == 0) embedders += p.numel();
    }
    EXPECT_EQ(embedders, 41216);

    o.n_particles = 13;
    o.hidden = 128;
    o.cond_dim = 64;
    o.n_blocks = 2;
    o.n_heads = 2;
    EXPECT_EQ(count_parameters(Dit(o)), 553731);

    // The reference keeps a dead β embedder when not temperature-conditioned; this port does not
    // build it (one embedder: 256·64 + 64 + 64·64 + 64 = 20,608 parameters).
    DitOptions no_beta;
    no_beta.n_particles = 22;
    no_beta.condition_on_temperature = false;
    EXPECT_EQ(count_parameters(Dit(no_beta)), 3179267 - 20608);
}

TEST(Dit, ParameterNamesFollowTheReferenceInAStableOrder) {
    const Dit net(small_options());
    const NamedTensors params = net.named_parameters();
    std::vector<std::string> names;
    for (const auto& [name, p] : params) names.push_back(name);
    const std::vector<std::string> head(names.begin(), names.begin() + 10);
    EXPECT_EQ(head, (std::vector<std::string>{
                        "vocab_embed.weight", "vocab_embed.bias", "sigma_map.mlp.0.weight",
                        "sigma_map.mlp.0.bias", "sigma_map.mlp.2.weight", "sigma_map.mlp.2.bias",
                        "sigma_map_temp.mlp.0.weight", "sigma_map_temp.mlp.0.bias",
                        "sigma_map_temp.mlp.2.weight", "sigma_map_temp.mlp.2.bias"}));
    const std::vector<std::string> block(names.begin() + 10, names.begin() + 20);
    EXPECT_EQ(block,
              (std::vector<std::string>{
                  "blocks.0.norm1.weight", "blocks.0.attn_qkv.weight", "blocks.0.attn_out.weight",
                  "blocks.0.norm2.weight", "blocks.0.mlp.0.weight", "blocks.0.mlp.0.bias",
                  "blocks.0.mlp.2.weight", "blocks.0.mlp.2.bias",
                  "blocks.0.adaLN_modulation.weight", "blocks.0.adaLN_modulation.bias"}));
    const std::vector<std::string> tail(names.end() - 5, names.end());
    EXPECT_EQ(tail, (std::vector<std::string>{
                        "output_layer.norm_final.weight", "output_layer.linear.weight",
                        "output_layer.linear.bias", "output_layer.adaLN_modulation.weight",
                        "output_layer.adaLN_modulation.bias"}));
    const NamedTensors again = net.clone()->named_parameters();
    ASSERT_EQ(again.size(), params.size());
    for (std::size_t i = 0; i < params.size(); ++i) EXPECT_EQ(again[i].first, params[i].first);
}

TEST(Dit, FreshNetworkOutputsExactlyZeroSoThePreconditionedModelsAreGaussian) {
    DitOptions o = small_options();
    o.hidden = 64;
    o.n_heads = 2;
    auto net = std::make_unique<Dit>(o);
    net->to(c10::Device(c10::kCPU), at::kDouble);
    for (const auto& [name, p] : net->named_parameters()) {
        const bool zero_init = name.find("adaLN_modulation") != std::string::npos ||
                               name.rfind("output_layer.linear", 0) == 0;
        if (zero_init) {
            EXPECT_EQ(max_abs(p), 0.0) << name;
        } else if (name.find("norm") != std::string::npos) {
            EXPECT_TRUE(at::equal(p, at::ones_like(p))) << name;
        } else {
            EXPECT_GT(max_abs(p), 0.0) << name;  // LibTorch's default (Kaiming-uniform) draw
        }
    }
    const DitInputs in = dit_inputs(4, 1);
    const at::Tensor out = net->forward(in.c_noise, in.y, in.beta);
    EXPECT_EQ(out.sizes(), in.y.sizes());
    EXPECT_EQ(max_abs(out), 0.0);

    ScoreModel score(std::move(net));
    const at::Tensor x = in.y;
    const at::Tensor hv = at::logspace(-4, 2, 4, 10.0, at::kDouble);
    EXPECT_TRUE(
        at::allclose(score.denoise(x, hv, in.beta), x / (1.0 + hv.view({-1, 1, 1})), 1e-15, 1e-15));
}

TEST(Dit, FusedForwardMatchesAPlainImplementationOfTheSpec) {
    for (const bool temperature : {true, false}) {
        DitOptions o = small_options();
        o.condition_on_temperature = temperature;
        const auto net = random_dit(2, o);
        const DitInputs in = dit_inputs(3, 3);
        const at::Tensor out = net->forward(in.c_noise, in.y, in.beta);
        const at::Tensor expected = plain_forward(*net, in);
        ASSERT_GT(max_abs(expected), 0.1) << "temperature=" << temperature;
        EXPECT_LT(max_abs(out - expected), 1e-12 * max_abs(expected))
            << "temperature=" << temperature;
    }
}

TEST(Dit, OutputIsNotMeanFree) {
    // By design (spec §3.4): no projection; mean-free noise and samples are relied on instead.
    const auto net = random_dit(4);
    const DitInputs in = dit_inputs(3, 5);
    const at::Tensor out = net->forward(in.c_noise, in.y, in.beta);
    EXPECT_GT(max_abs(out.mean(1)), 1e-3);
}

TEST(Dit, Float32MatchesFloat64) {
    const auto net = random_dit(6);
    const DitInputs in = dit_inputs(4, 7);
    const auto net32 = net->clone();
    net32->to(c10::Device(c10::kCPU), at::kFloat);
    const at::Tensor out64 = net->forward(in.c_noise, in.y, in.beta);
    const at::Tensor out32 =
        net32->forward(in.c_noise.to(at::kFloat), in.y.to(at::kFloat), in.beta.to(at::kFloat));
    EXPECT_EQ(out64.scalar_type(), at::kDouble);
    EXPECT_EQ(out32.scalar_type(), at::kFloat);
    EXPECT_LT(max_abs(out32.to(at::kDouble) - out64), 1e-4 * max_abs(out64));
}

TEST(Dit, BatchRowsAreIndependent) {
    const auto net = random_dit(8);
    const DitInputs in = dit_inputs(6, 9);
    const at::Tensor batched = net->forward(in.c_noise, in.y, in.beta);
    for (int64_t r = 0; r < 6; ++r) {
        const at::Tensor single = net->forward(in.c_noise.slice(0, r, r + 1),
                                               in.y.slice(0, r, r + 1), in.beta.slice(0, r, r + 1));
        EXPECT_LT(max_abs(single[0] - batched[r]), 1e-12 * max_abs(batched)) << "row " << r;
    }
}

TEST(Dit, EvalModeIsDeterministicAndTrainModeAppliesDropout) {
    const auto net = random_dit(10);
    const DitInputs in = dit_inputs(4, 11);
    const at::Tensor eval1 = net->forward(in.c_noise, in.y, in.beta);
    EXPECT_TRUE(at::equal(eval1, net->forward(in.c_noise, in.y, in.beta)));

    net->train(true);
    const at::Tensor train1 = net->forward(in.c_noise, in.y, in.beta);
    const at::Tensor train2 = net->forward(in.c_noise, in.y, in.beta);
    EXPECT_GT(max_abs(train1 - train2), 1e-6);
    EXPECT_GT(max_abs(train1 - eval1), 1e-6);
    net->train(false);
    EXPECT_TRUE(at::equal(eval1, net->forward(in.c_noise, in.y, in.beta)));

    // dropout = 0: training mode is the same function.
    DitOptions o = small_options();
    o.dropout = 0.0;
    const auto plain = random_dit(12, o);
    const at::Tensor e = plain->forward(in.c_noise, in.y, in.beta);
    plain->train(true);
    EXPECT_TRUE(at::equal(e, plain->forward(in.c_noise, in.y, in.beta)));
}

TEST(Dit, TrainModeDropoutKeepsTheMeanOutput) {
    // Dropout keeps each branch activation with probability 1 − p and scales it by 1/(1 − p), so
    // averaged over masks the output stays near the eval-mode output (not exactly: the network is
    // nonlinear). A wrong keep probability or scale moves the mean by O(1).
    at::manual_seed(34);  // dropout draws from the global generator
    const auto net = random_dit(35);
    const DitInputs in = dit_inputs(2, 36);
    const at::Tensor eval = net->forward(in.c_noise, in.y, in.beta);
    net->train(true);
    // Rows are independent and every element draws its own mask, so one call on the input
    // repeated `draws` times gives `draws` independent samples.
    const int64_t draws = 200;
    const at::Tensor out = net->forward(in.c_noise.repeat({draws}), in.y.repeat({draws, 1, 1}),
                                        in.beta.repeat({draws}));
    const at::Tensor mean = out.detach().view({draws, 2, kDitParticles, 3}).mean(0);
    const double deviation = max_abs(mean - eval) / max_abs(eval);
    EXPECT_LT(deviation, 0.05) << "(stochastic, seed 34)";
}

TEST(Dit, OutputDependsOnBetaOnlyWhenTemperatureConditioned) {
    const DitInputs in = dit_inputs(3, 13);
    const at::Tensor other_beta = in.beta + 0.7;
    const auto both = random_dit(14);
    EXPECT_GT(max_abs(both->forward(in.c_noise, in.y, in.beta) -
                      both->forward(in.c_noise, in.y, other_beta)),
              1e-6);
    EXPECT_GT(max_abs(both->forward(in.c_noise, in.y, in.beta) -
                      both->forward(in.c_noise + 0.7, in.y, in.beta)),
              1e-6);

    DitOptions o = small_options();
    o.condition_on_temperature = false;
    const auto time_only = random_dit(15, o);
    EXPECT_TRUE(at::equal(time_only->forward(in.c_noise, in.y, in.beta),
                          time_only->forward(in.c_noise, in.y, other_beta)));
    EXPECT_TRUE(at::equal(time_only->forward(in.c_noise, in.y, in.beta),
                          time_only->forward(in.c_noise, in.y, at::Tensor())));

    o.condition_on_time = false;
    const auto unconditioned = random_dit(16, o);
    EXPECT_TRUE(at::equal(unconditioned->forward(in.c_noise, in.y, in.beta),
                          unconditioned->forward(in.c_noise + 0.7, in.y, other_beta)));
}

TEST(Dit, PermutingParticlesDoesNotPermuteTheOutputByDesign) {
    // The particle index is the RoPE position (spec §3.4, §9 item 20): the network sees atom
    // identity through order, so it is deliberately not permutation-equivariant.
    const auto net = random_dit(17);
    const DitInputs in = dit_inputs(4, 18);
    const at::Tensor perm = at::tensor({2, 0, 4, 1, 3}, at::kLong);
    const at::Tensor out = net->forward(in.c_noise, in.y, in.beta);
    const at::Tensor out_perm = net->forward(in.c_noise, in.y.index_select(1, perm), in.beta);
    EXPECT_GT(max_abs(out_perm - out.index_select(1, perm)), 1e-3 * max_abs(out));
}

TEST(Dit, EnergyModelOnADitHasSecondOrderParameterGradients) {
    // Energy-distillation-style loss |D_E(x) − target|² needs ∂/∂θ of ∇_x U (spec §3.2, §4.3).
    EnergyModel energy(random_dit(19));
    energy.backbone().train(false);
    at::Generator gen = make_generator(20);
    const at::Tensor x = at::randn({3, kDitParticles, 3}, gen, at::kDouble);
    const at::Tensor target = at::randn({3, kDitParticles, 3}, gen, at::kDouble);
    const at::Tensor h = at::tensor({0.01, 0.5, 4.0}, at::kDouble);
    const at::Tensor beta = at::tensor({1.0, 0.8, 0.6}, at::kDouble);
    auto loss = [&] { return (energy.denoise(x, h, beta, true) - target).pow(2).mean(); };

    const NamedTensors params = energy.backbone().named_parameters();
    std::vector<at::Tensor> tensors;
    for (const auto& [name, p] : params) tensors.push_back(p);
    const auto grads = torch::autograd::grad({loss()}, tensors, {}, false, false, true);
    for (std::size_t i = 0; i < grads.size(); ++i) {
        ASSERT_TRUE(grads[i].defined()) << params[i].first;
        EXPECT_TRUE(at::isfinite(grads[i]).all().item<bool>()) << params[i].first;
        EXPECT_GT(max_abs(grads[i]), 0.0) << params[i].first;
    }
    // Central differences on one entry each of the time embedder and of the attention input
    // (through RoPE and softmax): float64, step 1e-6.
    for (const std::string target_name : {"sigma_map.mlp.0.weight", "blocks.1.attn_qkv.weight"}) {
        std::size_t k = 0;
        while (k < params.size() && params[k].first != target_name) ++k;
        ASSERT_LT(k, params.size()) << target_name;
        at::Tensor entry = params[k].second.view({-1}).select(0, 5);
        const double analytic = grads[k].view({-1})[5].item<double>();
        const double x0 = entry.item<double>();
        const double eps = 1e-6;
        auto loss_at = [&](double value) {
            {
                at::NoGradGuard no_grad;
                entry.fill_(value);
            }
            return loss().item<double>();
        };
        const double numeric = (loss_at(x0 + eps) - loss_at(x0 - eps)) / (2 * eps);
        loss_at(x0);
        EXPECT_GT(std::abs(analytic), 1e-9) << target_name;
        EXPECT_NEAR(analytic, numeric, 1e-5 * std::abs(numeric) + 1e-10) << target_name;
    }
}

TEST(Dit, EnergyModelDerivativeInHMatchesFiniteDifferences) {
    // ∂U/∂h flows through c_noise = ln(h)/8 and the sinusoidal time embedding.
    EnergyModel energy(random_dit(32));
    at::Generator gen = make_generator(33);
    const at::Tensor x = at::randn({3, kDitParticles, 3}, gen, at::kDouble);
    const at::Tensor h = at::tensor({0.02, 0.7, 9.0}, at::kDouble);
    const at::Tensor beta = at::tensor({1.0, 0.8, 0.6}, at::kDouble);
    const EnergyModelOutputs o = energy.evaluate(x, h, beta, EnergyWant::DEnergyDh, false);
    const at::Tensor step = 1e-6 * h;
    const at::Tensor fd =
        (energy.energy(x, h + step, beta) - energy.energy(x, h - step, beta)).detach() / (2 * step);
    EXPECT_TRUE(at::allclose(o.du_dh, fd, 1e-6, 1e-8));
}

TEST(Dit, CloneGivesEqualValuesAndIndependentParameters) {
    const auto net = random_dit(21);
    net->train(true);
    const auto copy = net->clone();
    const NamedTensors a = net->named_parameters();
    const NamedTensors b = copy->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].first, b[i].first);
        EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << a[i].first;
        EXPECT_NE(a[i].second.data_ptr(), b[i].second.data_ptr()) << a[i].first;
        EXPECT_EQ(b[i].second.scalar_type(), at::kDouble);
        EXPECT_TRUE(b[i].second.requires_grad());
    }
    net->train(false);
    copy->train(false);
    const DitInputs in = dit_inputs(2, 22);
    const at::Tensor out = net->forward(in.c_noise, in.y, in.beta);
    EXPECT_TRUE(at::equal(copy->forward(in.c_noise, in.y, in.beta), out));
    perturb(*copy, 23);
    EXPECT_TRUE(at::equal(net->forward(in.c_noise, in.y, in.beta), out));
    EXPECT_GT(max_abs(copy->forward(in.c_noise, in.y, in.beta) - out), 1e-3);
}

TEST(Dit, FirstCallInInferenceModeDoesNotBreakLaterTraining) {
    // The RoPE/frequency tables are cached on first use; they must not become inference tensors.
    const auto net = random_dit(24);
    const DitInputs in = dit_inputs(2, 25);
    at::Tensor out_inference;
    {
        c10::InferenceMode inference;
        out_inference = net->forward(in.c_noise, in.y, in.beta);
    }
    const at::Tensor y = in.y.clone().requires_grad_(true);
    const at::Tensor out = net->forward(in.c_noise, y, in.beta);
    EXPECT_TRUE(at::equal(out.detach(), out_inference));
    const auto g = torch::autograd::grad({(out * y).sum()}, {y}, {}, true, true)[0];
    EXPECT_TRUE(at::isfinite(g).all().item<bool>());
}

TEST(Dit, ConfigReportsTheResolvedOptions) {
    const Dit net(small_options());
    const nlohmann::json c = net.config();
    EXPECT_EQ(net.name(), "dit");
    EXPECT_EQ(c.at("type"), "dit");
    EXPECT_EQ(c.at("n_particles"), kDitParticles);
    EXPECT_EQ(c.at("hidden"), 32);
    EXPECT_EQ(c.at("cond_dim"), 16);
    EXPECT_EQ(c.at("n_blocks"), 2);
    EXPECT_EQ(c.at("n_heads"), 4);
    EXPECT_EQ(c.at("head_dim"), 8);
    EXPECT_EQ(c.at("mlp_ratio"), 4);
    EXPECT_EQ(c.at("dropout"), 0.1);
    EXPECT_EQ(c.at("condition_on_time"), true);
    EXPECT_EQ(c.at("condition_on_temperature"), true);
    EXPECT_EQ(c.at("mean_free_output"), false);
}

TEST(Dit, RejectsBadOptionsNamingEveryProblem) {
    DitOptions o = small_options();
    o.hidden = 30;  // not a multiple of 4 heads
    EXPECT_THAT(testing::error_message([&] { Dit bad(o); }),
                HasSubstr("hidden=30 is not a multiple of n_heads=4"));
    o = small_options();
    o.hidden = 12;  // head_dim 3
    EXPECT_THAT(testing::error_message([&] { Dit bad(o); }), HasSubstr("= 3 is odd"));
    o = small_options();
    o.n_particles = 0;
    o.dropout = 1.0;
    o.n_blocks = 0;
    const std::string all = testing::error_message([&] { Dit bad(o); });
    EXPECT_THAT(all, HasSubstr("[dit] invalid options"));
    EXPECT_THAT(all, HasSubstr("n_particles: got 0"));
    EXPECT_THAT(all, HasSubstr("dropout: got 1; expected in [0, 1)"));
    EXPECT_THAT(all, HasSubstr("n_blocks: got 0"));
}

TEST(Dit, RejectsBadInputs) {
    const auto net = random_dit(26);
    const DitInputs in = dit_inputs(2, 27);
    EXPECT_THAT(
        testing::error_message([&] { net->forward(in.c_noise, in.y.slice(1, 0, 4), in.beta); }),
        HasSubstr("got shape [2, 4, 3]; expected [batch, 5, 3]"));
    EXPECT_THAT(
        testing::error_message([&] { net->forward(in.c_noise.slice(0, 0, 1), in.y, in.beta); }),
        HasSubstr("c_noise: got 1 elements; expected batch = 2"));
    EXPECT_THAT(
        testing::error_message([&] { net->forward(in.c_noise, in.y, in.beta.slice(0, 0, 1)); }),
        HasSubstr("beta: got 1 elements; expected batch = 2"));
    EXPECT_THAT(
        testing::error_message([&] { net->forward(in.c_noise, in.y.to(at::kFloat), in.beta); }),
        HasSubstr("expected the parameters' Double"));
}

// Runs where a CUDA LibTorch sees a GPU; skips cleanly elsewhere (CI has none).
TEST(Dit, AtomEmbeddingAddsOneVectorPerParticleAndKeepsTheReferenceWeights) {
    // Drawn after every reference layer: the same seed gives the same reference weights.
    DitOptions with = small_options();
    with.atom_embedding = true;
    at::manual_seed(31);
    const Dit plain(small_options());
    at::manual_seed(31);
    const Dit embedded(with);
    std::map<std::string, at::Tensor> b;
    for (const auto& [name, p] : embedded.named_parameters()) b[name] = p;
    const NamedTensors a = plain.named_parameters();
    ASSERT_EQ(b.size(), a.size() + 1);
    for (const auto& [name, p] : a) {
        ASSERT_EQ(b.count(name), 1u) << name;
        EXPECT_TRUE(at::equal(b.at(name), p)) << name;
    }
    ASSERT_EQ(b.count("atom_embed"), 1u);
    EXPECT_EQ(b.at("atom_embed").sizes(), (at::IntArrayRef{kDitParticles, with.hidden}));
    EXPECT_TRUE(embedded.config().value("atom_embedding", false));
    EXPECT_FALSE(plain.config().value("atom_embedding", true));
    // Still exactly zero when fresh (adaLN-Zero): the preconditioned models start Gaussian.
    const DitInputs in = dit_inputs(3, 32);
    EXPECT_EQ(max_abs(embedded.forward(in.c_noise.to(at::kFloat), in.y.to(at::kFloat),
                                       in.beta.to(at::kFloat))),
              0.0);
}

TEST(Dit, AtomEmbeddingTellsParticlesAtOnePointApart) {
    // Every particle at the same point: without the embedding all tokens are equal, so attention
    // (whatever its RoPE weights) keeps them equal and every particle gets the same output; the
    // embedding gives each particle its own.
    DitOptions with = small_options();
    with.atom_embedding = true;
    const auto plain = random_dit(33);
    const auto embedded = random_dit(33, with);
    DitInputs in = dit_inputs(2, 34);
    in.y = in.y.narrow(1, 0, 1).expand({2, kDitParticles, 3}).contiguous();
    const at::Tensor out_plain = plain->forward(in.c_noise, in.y, in.beta);
    const at::Tensor out_embedded = embedded->forward(in.c_noise, in.y, in.beta);
    ASSERT_GT(max_abs(out_plain), 1e-3);  // not a vacuous check
    EXPECT_LT(max_abs(out_plain - out_plain.narrow(1, 0, 1)), 1e-12 * max_abs(out_plain));
    EXPECT_GT(max_abs(out_embedded - out_embedded.narrow(1, 0, 1)), 1e-3 * max_abs(out_embedded));
    // And the fused forward still follows the plain written-out one.
    EXPECT_LT(max_abs(out_embedded - plain_forward(*embedded, in)), 1e-10 * max_abs(out_embedded));
}

TEST(DitGpu, CudaForwardAndGradientMatchCpu) {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this build";
    const auto net = random_dit(28);
    const auto gpu = net->clone();
    gpu->to(c10::Device(c10::kCUDA), at::kDouble);
    const DitInputs in = dit_inputs(4, 29);
    const at::Tensor y = in.y.clone().requires_grad_(true);
    const at::Tensor y_gpu = in.y.to(at::kCUDA).requires_grad_(true);
    const at::Tensor out = net->forward(in.c_noise, y, in.beta);
    const at::Tensor out_gpu = gpu->forward(in.c_noise.to(at::kCUDA), y_gpu, in.beta.to(at::kCUDA));
    EXPECT_TRUE(out_gpu.is_cuda());
    EXPECT_TRUE(at::allclose(out_gpu.cpu(), out, 1e-10, 1e-12));
    const at::Tensor g = torch::autograd::grad({(out * y).sum()}, {y})[0];
    const at::Tensor g_gpu = torch::autograd::grad({(out_gpu * y_gpu).sum()}, {y_gpu})[0];
    EXPECT_TRUE(at::allclose(g_gpu.cpu(), g, 1e-10, 1e-12));
}

TEST(DitRotary, RotatesInterleavedPairsByPositionTimesFrequency) {
    const int64_t hd = 8;
    at::Generator gen = make_generator(30);
    const at::Tensor x = at::randn({3, hd}, gen, at::kDouble);  // positions 0, 1, 2
    const at::Tensor r = detail::apply_rotary(x);
    EXPECT_TRUE(at::equal(r[0], x[0]));  // position 0: identity
    for (int64_t pos = 1; pos < 3; ++pos)
        for (int64_t i = 0; i < hd / 2; ++i) {
            const double angle = pos * std::pow(10000.0, -2.0 * i / hd);
            const double a = x[pos][2 * i].item<double>();
            const double b = x[pos][2 * i + 1].item<double>();
            EXPECT_NEAR(r[pos][2 * i].item<double>(), a * std::cos(angle) - b * std::sin(angle),
                        1e-14)
                << "pos " << pos << " pair " << i;
            EXPECT_NEAR(r[pos][2 * i + 1].item<double>(), b * std::cos(angle) + a * std::sin(angle),
                        1e-14)
                << "pos " << pos << " pair " << i;
        }
    // A rotation: norms are kept.
    EXPECT_TRUE(at::allclose(r.norm(2, -1), x.norm(2, -1), 1e-14, 1e-14));
}

TEST(DitRotary, AttentionLogitsDependOnlyOnRelativePosition) {
    const int64_t n = 7;
    const int64_t hd = 16;
    at::Generator gen = make_generator(31);
    // The same query and key vector at every position, so only the rotation varies.
    const at::Tensor q = at::randn({1, hd}, gen, at::kDouble).expand({n, hd});
    const at::Tensor k = at::randn({1, hd}, gen, at::kDouble).expand({n, hd});
    const at::Tensor logits = at::matmul(detail::apply_rotary(q), detail::apply_rotary(k).t());
    for (int64_t i = 0; i + 1 < n; ++i)
        for (int64_t j = 0; j + 1 < n; ++j) {
            EXPECT_NEAR(logits[i + 1][j + 1].item<double>(), logits[i][j].item<double>(), 1e-12)
                << i << ", " << j;
        }
    // Shifting every position by the same offset leaves all logits unchanged.
    const at::Tensor shifted =
        at::matmul(detail::apply_rotary(q, 11), detail::apply_rotary(k, 11).t());
    EXPECT_TRUE(at::allclose(shifted, logits, 1e-12, 1e-12));
    // ... and the relative position does matter.
    EXPECT_GT(std::abs(logits[0][3].item<double>() - logits[0][0].item<double>()), 1e-3);
    // Batched leading dimensions and the table form agree with the convenience form.
    const detail::RotaryTables t =
        detail::rotary_tables(n, hd, at::kDouble, c10::Device(c10::kCPU));
    const at::Tensor batch = at::randn({2, 3, n, hd}, gen, at::kDouble);
    EXPECT_TRUE(at::equal(detail::apply_rotary(batch, t), detail::apply_rotary(batch)));
    EXPECT_THAT(testing::error_message(
                    [&] { detail::rotary_tables(n, 5, at::kDouble, c10::Device(c10::kCPU)); }),
                HasSubstr("head_dim: got 5"));
}

}  // namespace
}  // namespace pita

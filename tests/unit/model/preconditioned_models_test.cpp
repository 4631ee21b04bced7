#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <nlohmann/json.hpp>

#include "pita/core/rng.h"
#include "pita/model/energy_model.h"
#include "pita/model/mlp.h"
#include "pita/model/score_model.h"

namespace pita {
namespace {

// F ≡ 0, but differentiable in y (so ∇U flows), as a fresh zero-initialised network would be.
class ZeroBackbone final : public Backbone {
  public:
    std::string name() const override { return "zero"; }
    at::Tensor forward(const at::Tensor&, const at::Tensor& y, const at::Tensor&) const override {
        return 0.0 * y;
    }
    NamedTensors named_parameters() const override { return {}; }
    std::unique_ptr<Backbone> clone() const override { return std::make_unique<ZeroBackbone>(); }
    void to(c10::Device, c10::ScalarType) override {}
    void train(bool) override {}
    nlohmann::json config() const override { return {{"type", "zero"}}; }
};

at::Tensor random_batch(int64_t batch, uint64_t seed) {
    at::Generator gen = make_generator(seed);
    return at::randn({batch, 4, 3}, gen, at::kDouble);
}

at::Tensor noise_levels(int64_t batch) {
    return at::logspace(-4, 3, batch, 10.0, at::kDouble);  // σ from 0.01 to ~31
}

TEST(PreconditionedModels, ZeroBackboneGivesTheGaussianIdentities) {
    ScoreModel score(std::make_unique<ZeroBackbone>());
    EnergyModel energy(std::make_unique<ZeroBackbone>());
    const at::Tensor x = random_batch(8, 1);
    const at::Tensor h = noise_levels(8);
    const at::Tensor beta = at::ones({8}, at::kDouble);
    const at::Tensor h3 = h.view({-1, 1, 1});
    EXPECT_TRUE(at::allclose(score.denoise(x, h, beta), x / (1.0 + h3), 1e-14, 1e-14));
    EXPECT_TRUE(at::allclose(energy.energy(x, h, beta), x.pow(2).sum({1, 2}) / (2.0 * (1.0 + h)),
                             1e-14, 1e-14));
    EXPECT_TRUE(at::allclose(energy.denoise(x, h, beta, false), x / (1.0 + h3), 1e-13, 1e-13));
    EXPECT_TRUE(at::allclose(score.score(x, h, beta), -x / (1.0 + h3), 1e-12, 1e-12));
}

// A small MLP with every weight random (its output layer starts at zero by design).
std::unique_ptr<Mlp> random_mlp(uint64_t seed) {
    MlpOptions o;
    o.n_particles = 4;
    o.spatial_dim = 3;
    o.hidden = 16;
    o.n_layers = 2;
    auto mlp = std::make_unique<Mlp>(o);
    mlp->to(c10::Device(c10::kCPU), at::kDouble);
    at::Generator gen = make_generator(seed);
    torch::autograd::GradMode::set_enabled(false);
    for (auto& [name, p] : mlp->named_parameters())
        p.copy_(0.5 * at::randn(p.sizes(), gen, at::kDouble));
    torch::autograd::GradMode::set_enabled(true);
    return mlp;
}

TEST(PreconditionedModels, EnergyDenoiserIsMinusHTimesGradientOfU) {
    EnergyModel energy(random_mlp(2));
    const at::Tensor x = random_batch(6, 3);
    const at::Tensor h = noise_levels(6);
    const at::Tensor beta = at::full({6}, 0.5, at::kDouble);
    const EnergyModelOutputs o = energy.evaluate(x, h, beta, EnergyWant::GradX, false);
    // Central differences of U in x (float64, step 1e-6).
    at::Tensor fd = at::zeros_like(x);
    for (int64_t i = 0; i < 4; ++i)
        for (int64_t k = 0; k < 3; ++k) {
            at::Tensor xp = x.clone();
            at::Tensor xm = x.clone();
            xp.select(1, i).select(1, k).add_(1e-6);
            xm.select(1, i).select(1, k).sub_(1e-6);
            fd.select(1, i).select(1, k).copy_(
                (energy.energy(xp, h, beta) - energy.energy(xm, h, beta)).detach() / 2e-6);
        }
    EXPECT_TRUE(at::allclose(o.grad_x, fd, 1e-5, 1e-6));
    const at::Tensor de = energy.denoise(x, h, beta, false);
    EXPECT_TRUE(at::allclose((de - x) / h.view({-1, 1, 1}), -o.grad_x, 1e-10, 1e-10));
}

TEST(PreconditionedModels, SigmaDataScalesTheGaussianIdentities) {
    const double sd = 2.5;
    const double v = sd * sd;
    ScoreModel score(std::make_unique<ZeroBackbone>(), sd);
    EnergyModel energy(std::make_unique<ZeroBackbone>(), sd);
    const at::Tensor x = random_batch(8, 11);
    const at::Tensor h = noise_levels(8);
    const at::Tensor beta = at::ones({8}, at::kDouble);
    const at::Tensor h3 = h.view({-1, 1, 1});
    EXPECT_TRUE(at::allclose(score.denoise(x, h, beta), v * x / (v + h3), 1e-14, 1e-14));
    EXPECT_TRUE(at::allclose(energy.energy(x, h, beta), x.pow(2).sum({1, 2}) / (2.0 * (v + h)),
                             1e-14, 1e-14));
    EXPECT_TRUE(at::allclose(energy.denoise(x, h, beta, false), v * x / (v + h3), 1e-13, 1e-13));
    // (D − x)/h loses ~s/h_min = 6e4 ulps to cancellation at h = 1e-4.
    EXPECT_TRUE(at::allclose(score.score(x, h, beta), -x / (v + h3), 1e-10, 1e-10));
}

TEST(PreconditionedModels, EnergyDenoiserIsTheEdmFormOfTheGradientField) {
    // D_E = c_skip·x + c_out·∇_y⟨F(y), y⟩ with y = c_in·x, for any σ_data: this pins the
    // sqrt(s/h) factor of the network term in U.
    for (double sd : {1.0, 1.9}) {
        auto mlp = random_mlp(21);
        const Mlp& f = *mlp;
        EnergyModel energy(std::move(mlp), sd);
        const at::Tensor x = random_batch(6, 12);
        const at::Tensor h = noise_levels(6);
        const at::Tensor beta = at::ones({6}, at::kDouble);
        const double v = sd * sd;
        const at::Tensor h3 = h.view({-1, 1, 1});
        const at::Tensor c_in = (v + h3).rsqrt();
        const at::Tensor y = (c_in * x).detach().requires_grad_(true);
        const at::Tensor inner = (f.forward(h.log() / 8.0, y, beta) * y).sum();
        const at::Tensor g = torch::autograd::grad({inner}, {y})[0];
        const at::Tensor expected = v / (v + h3) * x + (h3 * v).sqrt() * c_in * g;
        EXPECT_TRUE(at::allclose(energy.denoise(x, h, beta, false), expected, 1e-10, 1e-10))
            << "sigma_data " << sd;
    }
}

TEST(PreconditionedModels, DerivativeOfEnergyInHMatchesFiniteDifferences) {
    EnergyModel energy(random_mlp(4));
    const at::Tensor x = random_batch(6, 5);
    const at::Tensor h = noise_levels(6);
    const at::Tensor beta = at::ones({6}, at::kDouble);
    const EnergyModelOutputs o = energy.evaluate(x, h, beta, EnergyWant::DEnergyDh, false);
    const at::Tensor step = 1e-6 * h;  // relative step: h spans 7 decades
    const at::Tensor fd =
        (energy.energy(x, h + step, beta) - energy.energy(x, h - step, beta)).detach() / (2 * step);
    EXPECT_TRUE(at::allclose(o.du_dh, fd, 1e-5, 1e-8));
}

TEST(PreconditionedModels, SecondOrderParameterGradientMatchesFiniteDifferences) {
    // Energy-distillation-style loss: |D_E(x) − target|², which needs ∂/∂θ of ∇_x U.
    EnergyModel energy(random_mlp(6));
    const at::Tensor x = random_batch(5, 7);
    const at::Tensor target = random_batch(5, 8);
    const at::Tensor h = noise_levels(5);
    const at::Tensor beta = at::ones({5}, at::kDouble);
    auto loss = [&] { return (energy.denoise(x, h, beta, true) - target).pow(2).mean(); };
    at::Tensor param = energy.backbone().named_parameters().front().second;
    param.mutable_grad() = at::Tensor();
    loss().backward();
    const at::Tensor analytic = param.grad().clone();
    torch::autograd::GradMode::set_enabled(false);
    for (int64_t idx : {0, 7, 20}) {
        const double eps = 1e-6;
        auto flat = param.view({-1});
        const double orig = flat[idx].item<double>();
        flat[idx] = orig + eps;
        torch::autograd::GradMode::set_enabled(true);
        const double up = loss().item<double>();
        torch::autograd::GradMode::set_enabled(false);
        flat[idx] = orig - eps;
        torch::autograd::GradMode::set_enabled(true);
        const double down = loss().item<double>();
        torch::autograd::GradMode::set_enabled(false);
        flat[idx] = orig;
        const double fd = (up - down) / (2 * eps);
        EXPECT_NEAR(analytic.view({-1})[idx].item<double>(), fd, 1e-6 * (1.0 + std::abs(fd)))
            << "parameter entry " << idx;
    }
    torch::autograd::GradMode::set_enabled(true);
}

TEST(Mlp, CloneHasEqualOutputsAndIndependentParameters) {
    auto mlp = random_mlp(9);
    auto copy = mlp->clone();
    const at::Tensor y = random_batch(3, 10);
    const at::Tensor c = at::zeros({3}, at::kDouble);
    const at::Tensor b = at::ones({3}, at::kDouble);
    EXPECT_TRUE(at::equal(mlp->forward(c, y, b), copy->forward(c, y, b)));
    torch::autograd::GradMode::set_enabled(false);
    copy->named_parameters().front().second.add_(1.0);
    torch::autograd::GradMode::set_enabled(true);
    EXPECT_FALSE(at::equal(mlp->forward(c, y, b), copy->forward(c, y, b)));
}

TEST(Mlp, FreshModelIsTheExactModelOfAWideGaussian) {
    MlpOptions o;
    o.n_particles = 1;
    o.spatial_dim = 2;
    ScoreModel score(std::make_unique<Mlp>(o));
    score.backbone().to(c10::Device(c10::kCPU), at::kDouble);
    const at::Tensor x = at::randn({4, 1, 2}, at::kDouble);
    const at::Tensor h = at::full({4}, 0.3, at::kDouble);
    EXPECT_TRUE(
        at::allclose(score.score(x, h, at::ones({4}, at::kDouble)), -x / 1.3, 1e-14, 1e-14));
}

}  // namespace
}  // namespace pita

#pragma once
// PITA's training losses (spec §4.3), with λ(h) = (1+h)/h, the EDM weight for σ_data = 1:
//   score            λ(h)‖D_S(x_t) − x0‖², zero where h < score_h_threshold; mean over the batch
//   target_score     ‖x_t + h·clip(∇log p0) − D_S(x_t)‖² where h < tsm_h_threshold; mean over those
//                    (optionally times λ(h): LossOptions::tsm_lambda_weight)
//   energy_score     λ(h)‖D_E(x_t) − stopgrad D_S(x_t)‖² (second-order autograd; energy net only)
//   energy_matching  (−log p0 − U(x0, h_min))², zero where −log p0 > energy_mask
//   energy_consistency  the within-noise-level variance of h·r, r = ∂U/∂h + ½∇·s − ½⟨∇U, s⟩
//                    (s the score network's score, detached; energy net only). Not in the
//                    reference, see heat_equation_residual().
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>  // the structs hold tensors by value
#include <nlohmann/json.hpp>

#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"

namespace pita {

struct LossWeights {
    double score = 1.0;
    double energy_score = 1.0;
    double energy_matching = 1.0;
    double target_score = 0.0;        ///< LJ-13 recipe: 0; peptides: 0.01
    double energy_consistency = 0.0;  ///< not in the reference (0 = off)
};

struct LossOptions {
    LossWeights weights;
    double h_min = 0.0025;              ///< σ_min², where U is pinned to −log p0
    double score_h_threshold = 0.0025;  ///< reference: h(t = 0) = σ_min²
    double tsm_h_threshold = 0.0;       ///< reference: h(t = 0.2)
    double max_score_norm = 1000.0;     ///< TSM target: whole-configuration norm cap (reference)
    /// Weight the TSM term by λ(h) like the score term. The reference leaves it unweighted (a code
    /// TODO there), which makes it vanish as h² at small noise, exactly where its target (the
    /// stored force) is far less noisy than the DSM target (x0); false = the reference.
    bool tsm_lambda_weight = false;
    double energy_mask = 1000.0;  ///< skip energy matching where −log p0 exceeds this
    /// energy_consistency compares rows that share a noise level: consecutive groups of this
    /// many rows must have equal h (the trainer draws them so; noise_level_groups()).
    int64_t consistency_group = 8;
};

/// A training batch at one or several temperatures.
struct LossBatch {
    at::Tensor x0;           ///< [B, n, d] clean samples
    at::Tensor log_p0;       ///< [B] log p_T(x0) = −E(x0)/T
    at::Tensor grad_log_p0;  ///< [B, n, d] ∇ log p_T(x0)
    at::Tensor beta;         ///< [B] relative inverse temperature of each row
};

/// Scalar losses; a term whose weight is 0 is not computed and is an undefined tensor.
struct LossTerms {
    at::Tensor score, target_score, energy_score, energy_matching, energy_consistency;
    at::Tensor total;
};

/// @param h     [B] noise variances of the rows
/// @param noise [B, n, d] standard normal noise (mean-free for particle systems), x_t = x0 +
/// σ·noise
/// @param gen   draws the Hutchinson probe of energy_consistency (required when its weight > 0)
LossTerms compute_losses(const ScoreModel& score_model, const EnergyModel& energy_model,
                         const LossBatch& batch, const at::Tensor& h, const at::Tensor& noise,
                         const LossOptions& options, at::Generator* gen = nullptr);

/// The heat-equation residual of an energy U against a score s, per row, scaled by h:
///   h·r,  r = ∂U/∂h + ½∇·s − ½⟨∇U, s⟩.
/// It is the γ = 1 annealing log-weight rate per unit h (annealer.h: the increment is g²·r·dt).
/// When s = −∇U = ∇log q_h for the noised density q_h = p * N(0, hI), the heat equation
/// ∂_h q = ½Δq gives ∂_hU = ½(ΔU − |∇U|²), so r = 0 (r is constant in x for U = −log q_h + c(h)):
/// every particle gets the same weight. Denoising trains ∇U and s at each h separately; nothing
/// ties U's change with h to them, and the spread of r across x is what makes the SMC weights
/// select a few trajectories at γ = 1 (docs/RESULTS.md, session 10). The factor h makes the
/// term dimensionless (r scales as 1/h) and weighs each level roughly as the annealer's grid
/// does (the increment over a step is r·Δh, Δh ∝ h^0.93 on the EDM grid with ρ = 7).
/// @param h [B]; du_dh [B]; grad_u, score [B, n, d]; div_score [B]
at::Tensor heat_equation_residual(const at::Tensor& h, const at::Tensor& du_dh,
                                  const at::Tensor& grad_u, const at::Tensor& score,
                                  const at::Tensor& div_score);

/// The mean over consecutive groups of `group` rows of the (biased) variance within each group.
/// @param v [B] with B a multiple of group
at::Tensor within_group_variance(const at::Tensor& v, int64_t group);

/// Each of the [L] noise variances repeated for `group` consecutive rows: [L·group].
at::Tensor noise_level_groups(const at::Tensor& levels, int64_t group);

/// Whether any loss trains the energy network (distillation, energy matching or consistency).
/// With none, a step never evaluates it (the costliest part of a step: distillation
/// differentiates its gradient), and it stays at its initialisation.
bool trains_energy_network(const LossWeights& w);

/// "loss 1.2 dsm 0.8 ..." for a progress line: the total and each defined term.
std::string loss_summary(const LossTerms& t);
/// The defined loss terms as numbers ({"total", "score", ...}).
nlohmann::json terms_json(const LossTerms& t);

}  // namespace pita

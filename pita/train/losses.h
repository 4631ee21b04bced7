#pragma once
// PITA's training losses (spec §4.3), with λ(h) = (1+h)/h, the EDM weight for σ_data = 1:
//   score            λ(h)‖D_S(x_t) − x0‖², zero where h < score_h_threshold; mean over the batch
//   target_score     ‖x_t + h·clip(∇log p0) − D_S(x_t)‖² where h < tsm_h_threshold; mean over those
//                    (optionally times λ(h): LossOptions::tsm_lambda_weight)
//   energy_score     λ(h)‖D_E(x_t) − stopgrad D_S(x_t)‖² (second-order autograd; energy net only)
//   energy_matching  (−log p0 − U(x0, h_min))², zero where −log p0 > energy_mask
#include <string>

#include <ATen/core/Tensor.h>  // the structs hold tensors by value
#include <nlohmann/json.hpp>

#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"

namespace pita {

struct LossWeights {
    double score = 1.0;
    double energy_score = 1.0;
    double energy_matching = 1.0;
    double target_score = 0.0;  ///< LJ-13 recipe: 0; peptides: 0.01
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
    at::Tensor score, target_score, energy_score, energy_matching;
    at::Tensor total;
};

/// @param h     [B] noise variances of the rows
/// @param noise [B, n, d] standard normal noise (mean-free for particle systems), x_t = x0 +
/// σ·noise
LossTerms compute_losses(const ScoreModel& score_model, const EnergyModel& energy_model,
                         const LossBatch& batch, const at::Tensor& h, const at::Tensor& noise,
                         const LossOptions& options);

/// "loss 1.2 dsm 0.8 ..." for a progress line: the total and each defined term.
std::string loss_summary(const LossTerms& t);
/// The defined loss terms as numbers ({"total", "score", ...}).
nlohmann::json terms_json(const LossTerms& t);

}  // namespace pita

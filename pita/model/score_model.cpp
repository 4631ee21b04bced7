#include "pita/model/score_model.h"

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/model/preconditioning.h"

namespace pita {

ScoreModel::ScoreModel(std::unique_ptr<Backbone> backbone, double sigma_data)
    : backbone_(std::move(backbone)), sigma_data_(sigma_data) {
    PITA_ASSERT(backbone_ != nullptr, "ScoreModel needs a backbone");
    PITA_CHECK(sigma_data > 0, "[model] sigma_data: got {}; expected > 0.", sigma_data);
}

at::Tensor ScoreModel::denoise(const at::Tensor& x, const at::Tensor& h,
                               const at::Tensor& beta) const {
    const int64_t batch = x.size(0);
    const Preconditioning p = precondition(h, batch, sigma_data_);
    const at::Tensor f = backbone_->forward(p.c_noise, p.c_in * x, per_row(beta, batch));
    return p.c_skip * x + p.c_out * f;
}

at::Tensor ScoreModel::score(const at::Tensor& x, const at::Tensor& h,
                             const at::Tensor& beta) const {
    const at::Tensor h3 = per_row(h, x.size(0)).view({-1, 1, 1});
    return (denoise(x, h, beta) - x) / h3;
}

}  // namespace pita

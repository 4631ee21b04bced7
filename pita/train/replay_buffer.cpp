#include "pita/train/replay_buffer.h"

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/core/finite_rows.h"

namespace pita {

ReplayBuffer::ReplayBuffer(double temperature, double beta, int64_t max_length,
                           std::string provenance)
    : temperature_(temperature),
      beta_(beta),
      max_length_(max_length),
      provenance_(std::move(provenance)) {
    PITA_CHECK(max_length_ >= 1, "[buffer] max_length: got {}; expected >= 1.", max_length_);
    PITA_CHECK(temperature_ > 0, "[buffer] temperature: got {}; expected > 0.", temperature_);
}

void ReplayBuffer::add(const at::Tensor& x, const at::Tensor& log_p, const at::Tensor& grad_log_p) {
    PITA_CHECK(x.dim() == 3 && log_p.dim() == 1 && log_p.size(0) == x.size(0) &&
                   grad_log_p.sizes() == x.sizes(),
               "[buffer] mismatched dataset: got x [{}], log_p [{}], grad_log_p [{}]; expected "
               "[m, n, d], [m], [m, n, d].",
               fmt::join(x.sizes(), ", "), fmt::join(log_p.sizes(), ", "),
               fmt::join(grad_log_p.sizes(), ", "));
    if (x_.defined()) {
        PITA_CHECK(x.size(1) == x_.size(1) && x.size(2) == x_.size(2),
                   "[buffer] new rows have {} particles × {}; the buffer holds {} × {}.", x.size(1),
                   x.size(2), x_.size(1), x_.size(2));
    }
    const RowFailures bad = failing_rows(finite_rows({x, log_p, grad_log_p}));
    PITA_CHECK(bad.count == 0,
               "[buffer] {} of {} rows have NaN or infinite values (first: row {}). Filter them "
               "before training (the sampler masks non-finite energies).",
               bad.count, x.size(0), bad.first);
    auto append = [&](const at::Tensor& old, const at::Tensor& rows) {
        at::Tensor all = old.defined() ? at::cat({old, rows.to(old.options())}) : rows.clone();
        const int64_t excess = all.size(0) - max_length_;
        return excess > 0 ? all.slice(0, excess).clone() : all;
    };
    x_ = append(x_, x);
    log_p_ = append(log_p_, log_p);
    grad_log_p_ = append(grad_log_p_, grad_log_p);
}

LossBatch ReplayBuffer::sample(int64_t batch, at::Generator& gen) const {
    PITA_CHECK(size() > 0, "[buffer] cannot sample from the empty buffer at T={}.", temperature_);
    const at::Tensor idx =
        at::randint(size(), {batch}, gen, at::TensorOptions().dtype(at::kLong).device(x_.device()));
    LossBatch b;
    b.x0 = x_.index_select(0, idx);
    b.log_p0 = log_p_.index_select(0, idx);
    b.grad_log_p0 = grad_log_p_.index_select(0, idx);
    b.beta = at::full({batch}, beta_, x_.options());
    return b;
}

}  // namespace pita

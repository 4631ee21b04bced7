#pragma once
// One temperature's training data (spec §4.5): a FIFO ring of (x, log p, ∇log p) rows, sampled
// uniformly with replacement. Every buffer records where its rows came from, so a run can prove
// that nothing below the top temperature was trained on unless the sampler produced it.
#include <string>

#include <ATen/core/Tensor.h>  // holds tensors by value

#include "pita/train/losses.h"

namespace pita {

class ReplayBuffer {
  public:
    /// @param temperature  T of the rows (energy units)
    /// @param beta         relative inverse temperature fed to the networks (T_0/T)
    /// @param provenance   e.g. "mcmc:T=4" or "pita-anneal:T=3->2"; recorded, never parsed
    ReplayBuffer(double temperature, double beta, int64_t max_length, std::string provenance);

    /// Appends rows, dropping the oldest beyond max_length.
    /// @param x [m, n, d]  @param log_p [m]  @param grad_log_p [m, n, d]
    /// @throws ConfigError on mismatched shapes or non-finite values (they would poison training)
    void add(const at::Tensor& x, const at::Tensor& log_p, const at::Tensor& grad_log_p);

    /// `batch` rows uniformly with replacement, beta filled in.
    LossBatch sample(int64_t batch, at::Generator& gen) const;

    int64_t size() const { return x_.defined() ? x_.size(0) : 0; }
    double temperature() const { return temperature_; }
    double beta() const { return beta_; }
    int64_t max_length() const { return max_length_; }
    const std::string& provenance() const { return provenance_; }
    const at::Tensor& x() const { return x_; }
    const at::Tensor& log_p() const { return log_p_; }
    const at::Tensor& grad_log_p() const { return grad_log_p_; }

  private:
    double temperature_;
    double beta_;
    int64_t max_length_;
    std::string provenance_;
    at::Tensor x_, log_p_, grad_log_p_;
};

}  // namespace pita

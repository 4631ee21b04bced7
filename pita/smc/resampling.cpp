#include "pita/smc/resampling.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "pita/core/error.h"

namespace pita {

ResamplingScheme parse_resampling_scheme(const std::string& name) {
    if (name == "systematic") return ResamplingScheme::Systematic;
    if (name == "multinomial") return ResamplingScheme::Multinomial;
    if (name == "residual") return ResamplingScheme::Residual;
    throw ConfigError(fmt::format(
        "[smc] resampling scheme: got '{}'; expected systematic, multinomial or residual.", name));
}

std::string to_string(ResamplingScheme scheme) {
    switch (scheme) {
        case ResamplingScheme::Systematic:
            return "systematic";
        case ResamplingScheme::Multinomial:
            return "multinomial";
        case ResamplingScheme::Residual:
            return "residual";
    }
    return "?";
}

namespace {

/// exp(log_w − max) over the finite entries, 0 elsewhere; float64. Undefined if none is finite.
at::Tensor relative_weights(const at::Tensor& log_w) {
    const at::Tensor lw = log_w.to(at::kDouble);
    const at::Tensor finite = at::isfinite(lw);
    if (!finite.any().item<bool>()) return {};
    const at::Tensor masked = at::where(finite, lw, at::full_like(lw, -INFINITY));
    return (masked - masked.max()).exp();
}

}  // namespace

at::Tensor normalized_weights(const at::Tensor& log_w, const std::string& context) {
    PITA_CHECK(log_w.dim() == 1 && log_w.size(0) > 0,
               "[smc] log-weights: got shape [{}]; expected [N] with N >= 1.",
               fmt::join(log_w.sizes(), ", "));
    const at::Tensor w = relative_weights(log_w);
    PITA_CHECK_AS(NumericalError, w.defined(),
                  "[smc] {}: all {} log-weights are NaN or infinite; no particle can survive. "
                  "Look for a diverging SDE (fewer, larger steps?) or an energy that returned "
                  "non-finite values.",
                  context, log_w.size(0));
    return w / w.sum();
}

double effective_sample_size(const at::Tensor& log_w) {
    const at::Tensor w = relative_weights(log_w);
    return w.defined() ? (w.sum().pow(2) / w.pow(2).sum()).item<double>() : 0.0;
}

at::Tensor clamp_above_quantile(const at::Tensor& values, double q) {
    const at::Tensor finite = at::isfinite(values);
    if (!finite.any().item<bool>()) return values;
    const at::Tensor cap = at::quantile(values.masked_select(finite), q);
    return at::where(finite, at::minimum(values, cap), values);
}

int64_t count_unique(const at::Tensor& indices) {
    return std::get<0>(at::_unique(indices)).numel();
}

namespace {

/// Inverse-CDF lookup of sorted points u ∈ [0, 1) in the cumulative weights.
at::Tensor inverse_cdf(const at::Tensor& w, const at::Tensor& u) {
    at::Tensor cdf = w.cumsum(0);
    // Guard the last bin against cdf[N-1] = 1 − ε from rounding: every u < 1 must land somewhere.
    cdf.index_fill_(0, at::tensor({cdf.size(0) - 1}, cdf.options().dtype(at::kLong)), 2.0);
    return at::searchsorted(cdf, u, /*out_int32=*/false, /*right=*/true);
}

at::Tensor multinomial(const at::Tensor& w, int64_t n, at::Generator& gen) {
    return at::multinomial(w, n, /*replacement=*/true, gen);
}

}  // namespace

at::Tensor resample(const at::Tensor& log_w, ResamplingScheme scheme, int64_t n_out,
                    at::Generator& gen, const std::string& context) {
    PITA_CHECK(n_out >= 1, "[smc] number of resampled particles: got {}; expected >= 1.", n_out);
    const at::Tensor w = normalized_weights(log_w, context);
    const auto opts = w.options();
    switch (scheme) {
        case ResamplingScheme::Systematic: {
            const at::Tensor u0 = at::rand({1}, gen, opts);
            const at::Tensor u = (at::arange(n_out, opts) + u0) / static_cast<double>(n_out);
            return inverse_cdf(w, u);
        }
        case ResamplingScheme::Multinomial:
            return multinomial(w, n_out, gen);
        case ResamplingScheme::Residual: {
            const at::Tensor expected = w * static_cast<double>(n_out);
            const at::Tensor copies = expected.floor().to(at::kLong);
            const at::Tensor fixed =
                at::repeat_interleave(at::arange(w.size(0), copies.options()), copies);
            const int64_t rest = n_out - fixed.size(0);
            if (rest == 0) return fixed;
            const at::Tensor residual = expected - copies.to(opts);
            return at::cat({fixed, multinomial(residual / residual.sum(), rest, gen)});
        }
    }
    throw InternalError("unknown resampling scheme");
}

}  // namespace pita

#include "pita/io/sample_set.h"

#include <filesystem>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/io/npy.h"

namespace pita {

bool has_sample_set(const std::string& dir) {
    return std::filesystem::exists(std::filesystem::path(dir) / kSamplesFile);
}

namespace {

/// DIR/`file` as one value per sample in `dtype`, or undefined when the file is absent.
at::Tensor read_per_sample(const std::filesystem::path& d, const char* file, int64_t samples,
                           c10::ScalarType dtype) {
    if (!std::filesystem::exists(d / file)) return {};
    const at::Tensor v = read_npy((d / file).string()).to(dtype);
    PITA_CHECK_AS(IoError, v.dim() == 1 && v.size(0) == samples,
                  "[samples] {}: {} has {} values for {} samples.", d.string(), file, v.numel(),
                  samples);
    return v;
}

}  // namespace

SampleSet read_sample_set(const std::string& dir) {
    const std::filesystem::path d(dir);
    PITA_CHECK_AS(IoError, std::filesystem::exists(d / kSamplesFile),
                  "[samples] {}: no {} there; expected a sample set written by pita (mcmc, run, "
                  "anneal, md).",
                  dir, kSamplesFile);
    SampleSet set;
    set.samples = read_npy((d / kSamplesFile).string());
    set.energies = read_per_sample(d, kEnergiesFile, set.samples.size(0), at::kDouble);
    set.lineages = read_per_sample(d, kLineagesFile, set.samples.size(0), at::kLong);
    return set;
}

void write_sample_set(const std::string& dir, const at::Tensor& samples, const at::Tensor& energies,
                      c10::ScalarType dtype, const at::Tensor& lineages) {
    std::filesystem::create_directories(dir);
    write_npy(dir + "/" + kSamplesFile, samples.to(dtype).cpu());
    write_npy(dir + "/" + kEnergiesFile, energies.to(at::kDouble).cpu());
    if (lineages.defined()) write_npy(dir + "/" + kLineagesFile, lineages.to(at::kLong).cpu());
}

}  // namespace pita

#include "pita/io/sample_set.h"

#include <filesystem>

#include <ATen/ATen.h>

#include "pita/core/error.h"
#include "pita/io/npy.h"

namespace pita {

bool has_sample_set(const std::string& dir) {
    return std::filesystem::exists(std::filesystem::path(dir) / kSamplesFile);
}

SampleSet read_sample_set(const std::string& dir) {
    const std::filesystem::path d(dir);
    PITA_CHECK_AS(IoError, std::filesystem::exists(d / kSamplesFile),
                  "[samples] {}: no {} there; expected a sample set written by pita (mcmc, run, "
                  "anneal, md).",
                  dir, kSamplesFile);
    SampleSet set;
    set.samples = read_npy((d / kSamplesFile).string());
    if (std::filesystem::exists(d / kEnergiesFile)) {
        set.energies = read_npy((d / kEnergiesFile).string()).to(at::kDouble);
        PITA_CHECK_AS(IoError,
                      set.energies.dim() == 1 && set.energies.size(0) == set.samples.size(0),
                      "[samples] {}: {} has {} values for {} samples.", dir, kEnergiesFile,
                      set.energies.numel(), set.samples.size(0));
    }
    if (std::filesystem::exists(d / kLineagesFile)) {
        set.lineages = read_npy((d / kLineagesFile).string()).to(at::kLong);
        PITA_CHECK_AS(IoError,
                      set.lineages.dim() == 1 && set.lineages.size(0) == set.samples.size(0),
                      "[samples] {}: {} has {} values for {} samples.", dir, kLineagesFile,
                      set.lineages.numel(), set.samples.size(0));
    }
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

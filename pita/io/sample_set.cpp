#include "pita/io/sample_set.h"

#include <filesystem>

#include <ATen/ATen.h>

#include "pita/io/npy.h"

namespace pita {

void write_sample_set(const std::string& dir, const at::Tensor& samples, const at::Tensor& energies,
                      c10::ScalarType dtype) {
    std::filesystem::create_directories(dir);
    write_npy(dir + "/samples.npy", samples.to(dtype).cpu());
    write_npy(dir + "/energies.npy", energies.to(at::kDouble).cpu());
}

}  // namespace pita

#pragma once
// The on-disk layout of one temperature's samples, as every command writes it and `pita evaluate`
// and the reference readers read it back:
//   DIR/samples.npy    [N, n, d] configurations (float32 unless asked otherwise)
//   DIR/energies.npy   [N] float64 target energies E (not E/T)
//   DIR/lineages.npy   [N] int64, annealed samples only: the prior draw each descends from
// An annealed rung that was relaxed on the target also keeps what the networks delivered:
//   DIR/before_relaxation/samples.npy, energies.npy   (after the SDE and the end correction)
#include <string>

#include <ATen/core/Tensor.h>  // SampleSet holds tensors by value

#include "pita/core/tensor_fwd.h"

namespace pita {

/// The subfolder of a rung's sample set that holds the samples before the relaxation.
constexpr const char* kBeforeRelaxationDir = "before_relaxation";

/// Writes DIR/samples.npy and DIR/energies.npy (each atomically), creating DIR.
/// @param dtype  of samples.npy: float32 (the default, as every run writes) or float64
/// @throws IoError when a file cannot be written
/// @param lineages  [N] int64 or undefined: written as DIR/lineages.npy when defined
void write_sample_set(const std::string& dir, const at::Tensor& samples, const at::Tensor& energies,
                      c10::ScalarType dtype = c10::kFloat, const at::Tensor& lineages = {});

/// The file names inside a sample-set folder.
constexpr const char* kSamplesFile = "samples.npy";
constexpr const char* kEnergiesFile = "energies.npy";
constexpr const char* kLineagesFile = "lineages.npy";

/// True when DIR holds a samples.npy.
bool has_sample_set(const std::string& dir);

struct SampleSet {
    at::Tensor samples;   ///< as stored ([N, n, d]; float32 for runs)
    at::Tensor energies;  ///< [N] float64; undefined when the folder has no energies.npy
    /// [N] int64: the prior draw each annealed sample descends from (SMC output only);
    /// undefined when the folder has no lineages.npy.
    at::Tensor lineages;
};

/// Reads DIR/samples.npy and, when present, DIR/energies.npy (as float64) and DIR/lineages.npy.
/// @throws IoError when samples.npy is missing or unreadable, or the energies or lineages are not
///         one per sample (the message names the folder)
SampleSet read_sample_set(const std::string& dir);

}  // namespace pita

#pragma once
// A checkpoint file of named tensors plus a JSON record, written atomically (a crash leaves the
// previous file whole). For states that are not a network: MD replicas, their recorded frames
// and the random generator. LibTorch's archive format, so `torch.load`-style tools can read it.
#include <cstdint>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace torch::serialize {
class InputArchive;
}  // namespace torch::serialize

namespace pita {

/// Opens a pita checkpoint file (a LibTorch archive with an integer "format_version") into
/// `archive`: the one place that turns a missing, unreadable or foreign file into an IoError.
/// @param missing_hint     appended to the message when the file does not exist
/// @param format_version   the version this build reads
/// @throws IoError naming `path`
void open_checkpoint_archive(const std::string& path, const std::string& missing_hint,
                             int64_t format_version, torch::serialize::InputArchive& archive);

struct TensorArchive {
    nlohmann::json record;
    std::map<std::string, at::Tensor> tensors;
};

/// Writes `archive` to `path` (via a temporary file and a rename). `kind` names what the file
/// holds (e.g. "md"); load_tensor_archive checks it.
/// @throws IoError when the file cannot be written
void save_tensor_archive(const std::string& path, const std::string& kind,
                         const TensorArchive& archive);

/// @throws IoError when the file is missing, damaged, of another kind or another format version
TensorArchive load_tensor_archive(const std::string& path, const std::string& kind);

}  // namespace pita

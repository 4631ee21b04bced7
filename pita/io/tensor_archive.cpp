#include "pita/io/tensor_archive.h"

#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "pita/core/error.h"
#include "pita/io/atomic_file.h"

namespace pita {

namespace {
constexpr int64_t kFormatVersion = 1;
}  // namespace

void save_tensor_archive(const std::string& path, const std::string& kind,
                         const TensorArchive& archive) {
    torch::serialize::OutputArchive out;
    out.write("format_version", c10::IValue(kFormatVersion));
    out.write("kind", c10::IValue(kind));
    out.write("record", c10::IValue(archive.record.dump()));
    std::vector<std::string> names;
    for (const auto& [name, tensor] : archive.tensors) {
        names.push_back(name);
        out.write("tensor." + name, tensor.cpu());
    }
    out.write("names", c10::IValue(nlohmann::json(names).dump()));
    // Serialised in memory first: LibTorch's zip writer reports a failed write (a full disk) by
    // throwing from its destructor, which ends the process; a plain stream write fails cleanly
    // and write_file_atomically turns that into an IoError and removes its temporary file.
    std::ostringstream bytes;
    out.save_to(bytes);
    write_text_atomically(path, bytes.str());
}

void open_checkpoint_archive(const std::string& path, const std::string& missing_hint,
                             int64_t format_version, torch::serialize::InputArchive& archive) {
    PITA_CHECK_AS(IoError, std::filesystem::is_regular_file(path),
                  "[checkpoint] no checkpoint at '{}'.{}", path,
                  missing_hint.empty() ? "" : " " + missing_hint);
    try {
        archive.load_from(path);
    } catch (const c10::Error& e) {
        throw IoError(
            fmt::format("[checkpoint] cannot read '{}': {}. The file is damaged or not "
                        "a pita checkpoint.",
                        path, e.what_without_backtrace()));
    }
    c10::IValue version;
    PITA_CHECK_AS(IoError, archive.try_read("format_version", version) && version.isInt(),
                  "[checkpoint] '{}' is not a pita checkpoint (no format_version).", path);
    PITA_CHECK_AS(IoError, version.toInt() == format_version,
                  "[checkpoint] '{}' has format version {}; this build reads version {}.", path,
                  version.toInt(), format_version);
}

TensorArchive load_tensor_archive(const std::string& path, const std::string& kind) {
    torch::serialize::InputArchive in;
    open_checkpoint_archive(path, fmt::format("Expected a {} checkpoint.", kind), kFormatVersion,
                            in);
    c10::IValue file_kind, record, names;
    PITA_CHECK_AS(IoError, in.try_read("kind", file_kind) && file_kind.isString(),
                  "[checkpoint] '{}' is not a pita checkpoint.", path);
    PITA_CHECK_AS(IoError, file_kind.toStringRef() == kind,
                  "[checkpoint] '{}' holds a {} checkpoint; expected {}.", path,
                  file_kind.toStringRef(), kind);
    TensorArchive archive;
    try {
        in.read("record", record);
        in.read("names", names);
        archive.record = nlohmann::json::parse(record.toStringRef());
        for (const std::string& name :
             nlohmann::json::parse(names.toStringRef()).get<std::vector<std::string>>()) {
            at::Tensor t;
            in.read("tensor." + name, t);
            archive.tensors[name] = t;
        }
    } catch (const std::exception& e) {
        throw IoError(fmt::format("[checkpoint] '{}' is damaged: {}", path, e.what()));
    }
    return archive;
}

}  // namespace pita

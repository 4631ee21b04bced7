#include "pita/train/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "pita/core/error.h"
#include "pita/io/atomic_file.h"
#include "pita/io/tensor_archive.h"

namespace pita {
namespace {

constexpr int64_t kFormatVersion = 1;

torch::serialize::InputArchive open_archive(const std::string& path) {
    torch::serialize::InputArchive archive;
    open_checkpoint_archive(path,
                            "Give the run directory of an earlier run (it holds "
                            "train/checkpoint.pt).",
                            kFormatVersion, archive);
    return archive;
}

nlohmann::json restore(torch::serialize::InputArchive& archive, Trainer& trainer,
                       std::vector<ReplayBuffer>& buffers, at::Generator& gen);

nlohmann::json read_record(torch::serialize::InputArchive& archive) {
    c10::IValue record;
    archive.read("record", record);
    return nlohmann::json::parse(record.toStringRef());
}

}  // namespace

void save_checkpoint(const std::string& path, const Trainer& trainer,
                     const std::vector<ReplayBuffer>& buffers, const at::Generator& gen,
                     const nlohmann::json& record) {
    torch::serialize::OutputArchive archive;
    archive.write("format_version", c10::IValue(kFormatVersion));
    archive.write("record", c10::IValue(record.dump()));
    trainer.save(archive);
    archive.write("n_buffers", c10::IValue(static_cast<int64_t>(buffers.size())));
    for (std::size_t k = 0; k < buffers.size(); ++k) {
        const ReplayBuffer& b = buffers[k];
        torch::serialize::OutputArchive sub(archive.compilation_unit());
        sub.write("temperature", c10::IValue(b.temperature()));
        sub.write("beta", c10::IValue(b.beta()));
        sub.write("max_length", c10::IValue(b.max_length()));
        sub.write("provenance", c10::IValue(b.provenance()));
        sub.write("size", c10::IValue(b.size()));
        if (b.size() > 0) {
            sub.write("x", b.x());
            sub.write("log_p", b.log_p());
            sub.write("grad_log_p", b.grad_log_p());
        }
        archive.write("buffer_" + std::to_string(k), sub);
    }
    archive.write("generator_device", c10::IValue(gen.device().str()));
    archive.write("generator_state", gen.get_state());
    // Serialised in memory first: LibTorch's zip writer reports a failed write (a full disk) by
    // throwing from its destructor, which ends the process; a plain stream write fails cleanly
    // and write_file_atomically turns that into an IoError and removes its temporary file.
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_text_atomically(path, bytes.str());
}

nlohmann::json load_checkpoint(const std::string& path, Trainer& trainer,
                               std::vector<ReplayBuffer>& buffers, at::Generator& gen) {
    torch::serialize::InputArchive archive = open_archive(path);
    try {
        return restore(archive, trainer, buffers, gen);
    } catch (const c10::Error& e) {
        // A missing entry or a tensor of the wrong shape: a file cut short or from elsewhere.
        throw IoError(
            fmt::format("[checkpoint] '{}' is damaged or incomplete: {}. Resume from an "
                        "intact checkpoint (train/stage<i>.pt keeps one per stage).",
                        path, e.what_without_backtrace()));
    } catch (const nlohmann::json::exception& e) {
        throw IoError(fmt::format("[checkpoint] '{}' has a damaged record: {}.", path, e.what()));
    }
}

nlohmann::json load_network_weights(const std::string& path, Trainer& trainer,
                                    const nlohmann::json& model_config) {
    torch::serialize::InputArchive archive = open_archive(path);
    nlohmann::json record;
    try {
        record = read_record(archive);
    } catch (const nlohmann::json::exception& e) {
        throw IoError(fmt::format("[checkpoint] '{}' has a damaged record: {}.", path, e.what()));
    }
    const nlohmann::json saved_model =
        record.contains("config") ? record["config"].value("model", nlohmann::json()) : nullptr;
    PITA_CHECK(saved_model == model_config,
               "[train] init_from {}: its networks were built with the model section {}, this "
               "run's is {}. Start from a checkpoint of the same model section, or train from "
               "scratch.",
               path, saved_model.dump(), model_config.dump());
    try {
        trainer.load_weights(archive);
    } catch (const c10::Error& e) {
        throw IoError(
            fmt::format("[checkpoint] init_from '{}': its networks do not load into "
                        "this run's ({}). Is it a checkpoint of the same target?",
                        path, e.what_without_backtrace()));
    }
    return record;
}

namespace {
nlohmann::json restore(torch::serialize::InputArchive& archive, Trainer& trainer,
                       std::vector<ReplayBuffer>& buffers, at::Generator& gen) {
    const nlohmann::json record = read_record(archive);
    trainer.load(archive);
    c10::IValue n_buffers;
    archive.read("n_buffers", n_buffers);
    std::vector<ReplayBuffer> restored;
    for (int64_t k = 0; k < n_buffers.toInt(); ++k) {
        torch::serialize::InputArchive sub;
        archive.read("buffer_" + std::to_string(k), sub);
        c10::IValue temperature, beta, max_length, provenance, size;
        sub.read("temperature", temperature);
        sub.read("beta", beta);
        sub.read("max_length", max_length);
        sub.read("provenance", provenance);
        sub.read("size", size);
        ReplayBuffer b(temperature.toDouble(), beta.toDouble(), max_length.toInt(),
                       provenance.toStringRef());
        if (size.toInt() > 0) {
            at::Tensor x, log_p, grad_log_p;
            sub.read("x", x);
            sub.read("log_p", log_p);
            sub.read("grad_log_p", grad_log_p);
            b.add(x, log_p, grad_log_p);
        }
        restored.push_back(std::move(b));
    }
    buffers = std::move(restored);
    c10::IValue device;
    archive.read("generator_device", device);
    PITA_CHECK(device.toStringRef() == gen.device().str(),
               "[checkpoint] the run's random generator was on {}; this run's is on {}. Resume "
               "on the same device (bitwise continuation needs the same generator).",
               device.toStringRef(), gen.device().str());
    at::Tensor state;
    archive.read("generator_state", state);
    gen.set_state(state);
    return record;
}
}  // namespace

nlohmann::json read_checkpoint_record(const std::string& path) {
    torch::serialize::InputArchive archive = open_archive(path);
    try {
        return read_record(archive);
    } catch (const std::exception& e) {
        throw IoError(
            fmt::format("[checkpoint] '{}' has no readable record: {}. The file is "
                        "damaged or not a pita checkpoint.",
                        path, e.what()));
    }
}

}  // namespace pita

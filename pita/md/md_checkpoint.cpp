#include "pita/md/md_checkpoint.h"

#include <stdexcept>

#include <ATen/core/Generator.h>
#include <fmt/format.h>

#include "pita/core/error.h"
#include "pita/io/tensor_archive.h"
#include "pita/md/replica_exchange.h"

namespace pita {
namespace {
constexpr const char* kCheckpointKind = "md";
}  // namespace

void save_md_checkpoint(const std::string& path, const MdRunState& run,
                        const ReplicaExchange& exchange, const at::Generator& gen) {
    TensorArchive a;
    a.record = {{"frames_done", run.frames_done},
                {"warmup_done", run.warmup_done},
                {"evaluations", run.evaluations},
                {"seconds", run.seconds},
                {"steps", run.state.steps},
                {"exchange", exchange.save()},
                {"start", run.start}};
    a.tensors = {{"x", run.state.x},
                 {"v", run.state.v},
                 {"force", run.state.force},
                 {"potential_now", run.state.potential},
                 {"temperature", run.state.temperature},
                 {"frames", run.frames},
                 {"t_kin", run.t_kin},
                 {"potential", run.potential},
                 {"virial", run.virial},
                 {"generator", gen.get_state()}};
    save_tensor_archive(path, kCheckpointKind, a);
}

MdRunState load_md_checkpoint(const std::string& path, ReplicaExchange& exchange,
                              at::Generator& gen) {
    TensorArchive a = load_tensor_archive(path, kCheckpointKind);
    MdRunState run;
    try {
        run.frames_done = a.record.at("frames_done").get<int64_t>();
        run.warmup_done = a.record.at("warmup_done").get<bool>();
        run.evaluations = a.record.at("evaluations").get<int64_t>();
        run.seconds = a.record.at("seconds").get<double>();
        run.state.steps = a.record.at("steps").get<int64_t>();
        run.start = a.record.at("start");
        exchange.load(a.record.at("exchange"));
        run.state.x = a.tensors.at("x");
        run.state.v = a.tensors.at("v");
        run.state.force = a.tensors.at("force");
        run.state.potential = a.tensors.at("potential_now");
        run.state.temperature = a.tensors.at("temperature");
        run.frames = a.tensors.at("frames");
        run.t_kin = a.tensors.at("t_kin");
        run.potential = a.tensors.at("potential");
        run.virial = a.tensors.at("virial");
        gen.set_state(a.tensors.at("generator"));
    } catch (const std::out_of_range& e) {
        throw IoError(
            fmt::format("[md] checkpoint '{}' lacks an entry ({}); it was not written "
                        "by this version of pita md.",
                        path, e.what()));
    }
    return run;
}

}  // namespace pita

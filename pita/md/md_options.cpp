#include "pita/md/md_options.h"

#include <fmt/format.h>

#include "pita/config/config.h"

namespace pita {

void read_md_dynamics(const ConfigNode& node, MdRunOptions& p) {
    p.langevin.friction =
        node.get_double("friction", p.langevin.friction, Bounds::above(0));  // 1/ps
    p.langevin.step_size =
        node.get_double("step_size", p.langevin.step_size, Bounds::above(0).at_most(0.01));  // ps
    p.n_replicas = node.get_int("n_replicas", p.n_replicas, Bounds::at_least(1));
    p.minimize = node.get_bool("minimize", p.minimize);
    p.minimize_tolerance =
        node.get_double("minimize_tolerance", p.minimize_tolerance, Bounds::above(0));  // kJ/mol/nm
    p.warmup_steps = node.get_int("warmup_steps", p.warmup_steps, Bounds::at_least(0));
    p.n_frames = node.get_int("n_frames", p.n_frames, Bounds::at_least(1));
    p.steps_per_frame = node.get_int("steps_per_frame", p.steps_per_frame, Bounds::at_least(1));
}

MdRunOptions read_md_run_options(const ConfigNode& root) {
    const ConfigNode node = root.child("md");
    MdRunOptions p;
    read_md_dynamics(node, p);
    const bool has_ladder = node.has("temperatures");
    if (has_ladder && node.has("temperature"))
        node.error("temperature",
                   "give either temperature (plain MD) or temperatures (replica exchange), not "
                   "both");
    p.temperatures =
        has_ladder ? node.get_double_list("temperatures", {}, Bounds::above(0))
                   : std::vector<double>{node.get_double("temperature", 300.0, Bounds::above(0))};
    if (p.temperatures.empty()) node.error("temperatures", "expected at least one temperature (K)");
    for (size_t k = 1; k < p.temperatures.size(); ++k)
        if (!(p.temperatures[k] > p.temperatures[k - 1]))
            node.error("temperatures",
                       fmt::format("expected a strictly increasing ladder; got {} after {}",
                                   p.temperatures[k], p.temperatures[k - 1]));
    p.langevin.temperature = p.temperatures.front();
    p.exchange_interval =
        node.get_int("exchange_interval", p.exchange_interval, Bounds::at_least(1));
    const ConfigNode out = root.child("output");
    p.frames_dtype = out.get_choice("frames_dtype", "float32", {"float32", "float64"}) == "float32"
                         ? at::kFloat
                         : at::kDouble;
    p.dcd = out.get_bool("dcd", p.dcd);
    // 0: every frame.
    p.checkpoint_minutes =
        out.get_double("checkpoint_minutes", p.checkpoint_minutes, Bounds::at_least(0));
    p.conf_samples =
        out.get_int("configurational_temperature_samples", p.conf_samples, Bounds::at_least(1));
    return p;
}

MemoryEstimate md_memory_estimate(const MdRunOptions& options, int64_t n_atoms) {
    const auto rows = options.n_replicas * static_cast<int64_t>(options.temperatures.size());
    MemoryEstimate memory;
    memory.add("md.n_replicas", sampler_state_bytes(rows, n_atoms, 3), "the replicas' states");
    // Frames (kept for the whole run and in the checkpoint), their samples and torsions.
    memory.add("md.n_frames", 4.0 * stored_rows_bytes(options.n_frames * rows, n_atoms, 3),
               "recorded frames");
    return memory;
}

bool md_key_may_change_on_resume(const std::string& key) {
    return key == "output_dir" || key == "threads" || key == "device" || key == "md.n_frames" ||
           key == "output.checkpoint_minutes" || key == "output.dcd" ||
           key == "output.configurational_temperature_samples";
}

const char* const kMdKeysThatMayChangeOnResume =
    "threads, device, output_dir, md.n_frames, output.checkpoint_minutes, output.dcd and "
    "output.configurational_temperature_samples";

}  // namespace pita

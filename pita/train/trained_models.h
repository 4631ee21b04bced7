#pragma once
// The networks of a training checkpoint, rebuilt for sampling or inspection: the target, the
// noise schedule, the score and energy networks (with their EMA weights, as sampling uses them,
// spec §4.6) and the replay buffers, all from the checkpoint's own record, so no config has to
// repeat how the networks were trained.
#include <memory>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <nlohmann/json.hpp>

#include "pita/energy/energy.h"
#include "pita/model/energy_model.h"
#include "pita/model/score_model.h"
#include "pita/schedule/noise_schedule.h"
#include "pita/train/replay_buffer.h"

namespace pita {

struct TrainedModels {
    std::unique_ptr<Energy> energy;  ///< the target the networks were trained on
    NoiseSchedule schedule;
    std::unique_ptr<ScoreModel> score;          ///< EMA weights, eval mode
    std::unique_ptr<EnergyModel> energy_model;  ///< EMA weights, eval mode
    std::vector<ReplayBuffer> buffers;  ///< oldest first; the newest is what it learned last
    nlohmann::json record;              ///< the checkpoint's record (config, step, ...)
    /// Whether its training config gave the energy network a loss (trains_energy_network).
    bool energy_network_trained = true;
    std::string path;

    const ReplayBuffer& newest_buffer() const { return buffers.back(); }
};

/// @param context  the command or stage, for messages ("anneal")
/// @throws IoError when the file is missing or unreadable; ConfigError when its record has no
///         training config or no replay buffer
TrainedModels load_trained_models(const std::string& checkpoint, const c10::Device& device,
                                  c10::ScalarType dtype, const std::string& context);

}  // namespace pita

#include "pita/train/trained_models.h"

#include "pita/config/config.h"
#include "pita/core/error.h"
#include "pita/core/rng.h"
#include "pita/model/backbone_factory.h"
#include "pita/targets/energy_factory.h"
#include "pita/train/checkpoint.h"
#include "pita/train/trainer.h"
#include "pita/train/trainer_config.h"

namespace pita {

TrainedModels load_trained_models(const std::string& checkpoint, const c10::Device& device,
                                  c10::ScalarType dtype, const std::string& context) {
    nlohmann::json record = read_checkpoint_record(checkpoint);
    PITA_CHECK(record.contains("config"),
               "[{}] '{}' has no training config in its record; was it written by `pita train` "
               "or `pita run`?",
               context, checkpoint);
    const Config trained = Config::from_string(record["config"].dump());
    const ConfigNode root = trained.root();
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    NoiseSchedule schedule = make_noise_schedule(root.child("schedule"));
    const double sigma_data = read_sigma_data(root.child("model"));
    auto score = std::make_unique<ScoreModel>(
        make_backbone(root.child("model"), energy->n_particles(), energy->spatial_dim(), 0),
        sigma_data);
    auto energy_model = std::make_unique<EnergyModel>(score->backbone().clone(), sigma_data);
    score->backbone().to(device, dtype);
    energy_model->backbone().to(device, dtype);
    std::vector<ReplayBuffer> buffers;
    const TrainerOptions training = read_trainer_options(root.child("train"), schedule);
    {
        // The trainer only carries the checkpoint's weights and EMAs into the two models.
        Trainer trainer(*score, *energy_model, schedule, training, energy->translation_invariant());
        at::Generator unused = make_generator(0, device);
        load_checkpoint(checkpoint, trainer, buffers, unused);
        trainer.copy_ema_to(*score, *energy_model);  // sampling uses the EMA weights (spec §4.6)
    }
    score->backbone().train(false);
    energy_model->backbone().train(false);
    PITA_CHECK(!buffers.empty(), "[{}] '{}' holds no replay buffer.", context, checkpoint);
    return TrainedModels{std::move(energy),
                         std::move(schedule),
                         std::move(score),
                         std::move(energy_model),
                         std::move(buffers),
                         std::move(record),
                         trains_energy_network(training.losses.weights),
                         checkpoint};
}

}  // namespace pita

#include "pita/train/trainer.h"

#include <torch/torch.h>

#include "pita/core/error.h"
#include "pita/mcmc/mean_free.h"
#include "pita/train/ema.h"
#include "pita/train/random_rotation.h"

namespace pita {

struct Trainer::Impl {
    ScoreModel& score;
    EnergyModel& energy;
    NoiseSchedule schedule;
    TrainerOptions options;
    bool particle_system;
    std::vector<at::Tensor> parameters;
    std::unique_ptr<torch::optim::Adam> adam;
    Ema score_ema;
    Ema energy_ema;

    Impl(ScoreModel& s, EnergyModel& e, NoiseSchedule sch, TrainerOptions o, bool particles)
        : score(s),
          energy(e),
          schedule(sch),
          options(o),
          particle_system(particles),
          score_ema(s.backbone(), o.ema_decay),
          energy_ema(e.backbone(), o.ema_decay) {
        for (auto* b : {&s.backbone(), &e.backbone()})
            for (auto& [name, p] : b->named_parameters()) parameters.push_back(p);
        adam = std::make_unique<torch::optim::Adam>(
            parameters, torch::optim::AdamOptions(options.learning_rate));
    }
};

Trainer::Trainer(ScoreModel& score, EnergyModel& energy, NoiseSchedule schedule,
                 TrainerOptions options, bool particle_system)
    : impl_(std::make_unique<Impl>(score, energy, schedule, options, particle_system)) {
    PITA_CHECK(options.batch_size >= 1, "[train] batch_size: got {}; expected >= 1.",
               options.batch_size);
    PITA_CHECK(options.learning_rate > 0, "[train] learning_rate: got {}; expected > 0.",
               options.learning_rate);
}

Trainer::~Trainer() = default;

LossTerms Trainer::step(const std::vector<ReplayBuffer>& buffers, at::Generator& gen) {
    PITA_CHECK(!buffers.empty(), "[train] no replay buffer to train on.");
    Impl& m = *impl_;
    std::size_t k = buffers.size() - 1;
    if (m.options.train_on == TrainOn::AllBuffers && buffers.size() > 1) {
        k = static_cast<std::size_t>(
            at::randint(static_cast<int64_t>(buffers.size()), {1}, gen, at::kLong).item<int64_t>());
    }
    LossBatch batch = buffers[k].sample(m.options.batch_size, gen);
    const auto opts = batch.x0.options();
    if (m.particle_system && batch.x0.size(2) == 3 && m.options.random_rotations) {
        const at::Tensor r = random_rotations(batch.x0.size(0), gen, opts);
        batch.x0 = rotate(batch.x0, r);
        batch.grad_log_p0 = rotate(batch.grad_log_p0, r);
    }
    at::Tensor noise = at::randn(batch.x0.sizes(), gen, opts);
    if (m.particle_system) {
        noise = remove_mean(noise);
        batch.x0 = remove_mean(batch.x0);
    }
    const at::Tensor h = m.schedule.sample_training_h(batch.x0.size(0), gen, opts);

    m.adam->zero_grad();
    LossTerms terms = compute_losses(m.score, m.energy, batch, h, noise, m.options.losses);
    terms.total.backward();
    if (m.options.grad_clip > 0)
        torch::nn::utils::clip_grad_norm_(m.parameters, m.options.grad_clip);
    m.adam->step();
    m.score_ema.update(m.score.backbone());
    m.energy_ema.update(m.energy.backbone());
    ++steps_;
    for (at::Tensor* t : {&terms.score, &terms.target_score, &terms.energy_score,
                          &terms.energy_matching, &terms.total})
        if (t->defined()) *t = t->detach();
    return terms;
}

void Trainer::copy_ema_to(ScoreModel& score, EnergyModel& energy) const {
    impl_->score_ema.copy_to(score.backbone());
    impl_->energy_ema.copy_to(energy.backbone());
}

}  // namespace pita

#include "pita/train/trainer.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "pita/core/error.h"
#include "pita/core/rng.h"
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
    std::vector<at::Tensor> parameters;  ///< score net's, then energy net's
    std::vector<at::Tensor> score_parameters;
    std::vector<at::Tensor> energy_parameters;
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
        for (auto& [name, p] : s.backbone().named_parameters()) score_parameters.push_back(p);
        for (auto& [name, p] : e.backbone().named_parameters()) energy_parameters.push_back(p);
        parameters = score_parameters;
        parameters.insert(parameters.end(), energy_parameters.begin(), energy_parameters.end());
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
        // On the generator's device (rng.h): a CPU draw would refuse a CUDA generator.
        k = static_cast<std::size_t>(at::randint(static_cast<int64_t>(buffers.size()), {1}, gen,
                                                 at::TensorOptions(at::kLong).device(gen.device()))
                                         .item<int64_t>());
    }
    require_generator_on(gen, buffers[k].x().device(), "train");
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
    const LossOptions& lo = m.options.losses;
    // energy_consistency compares rows at one noise level: draw batch/group levels instead
    // (the same distribution per row; without the term the draws stay as they were).
    const at::Tensor h =
        lo.weights.energy_consistency > 0
            ? noise_level_groups(
                  m.schedule.sample_training_h(batch.x0.size(0) / lo.consistency_group, gen, opts),
                  lo.consistency_group)
            : m.schedule.sample_training_h(batch.x0.size(0), gen, opts);

    m.adam->zero_grad();
    LossTerms terms = compute_losses(m.score, m.energy, batch, h, noise, lo, &gen);
    terms.total.backward();
    // clip_grad_norm_ returns the norm before clipping; with clipping off, compute it anyway (it
    // is logged) by clipping at infinity.
    const double max_norm =
        m.options.grad_clip > 0 ? m.options.grad_clip : std::numeric_limits<double>::infinity();
    if (m.options.clip_per_network) {
        const double s = torch::nn::utils::clip_grad_norm_(m.score_parameters, max_norm);
        const double e = torch::nn::utils::clip_grad_norm_(m.energy_parameters, max_norm);
        last_grad_norm_ = std::sqrt(s * s + e * e);
    } else {
        last_grad_norm_ = torch::nn::utils::clip_grad_norm_(m.parameters, max_norm);
    }
    last_buffer_ = static_cast<int64_t>(k);
    m.adam->step();
    m.score_ema.update(m.score.backbone());
    m.energy_ema.update(m.energy.backbone());
    ++steps_;
    for (at::Tensor* t : {&terms.score, &terms.target_score, &terms.energy_score,
                          &terms.energy_matching, &terms.energy_consistency, &terms.total})
        if (t->defined()) *t = t->detach();
    return terms;
}

namespace {

c10::List<at::Tensor> tensor_list(const NamedTensors& named) {
    c10::List<at::Tensor> list;
    for (const auto& [name, t] : named) list.push_back(t.detach());
    return list;
}

std::string names_of(const NamedTensors& named) {
    std::string names;
    for (const auto& [name, t] : named) names += name + "\n";
    return names;
}

/// Reads a tensor list written by tensor_list() and checks it against `like` (names and shapes).
NamedTensors read_named(torch::serialize::InputArchive& archive, const std::string& key,
                        const NamedTensors& like) {
    c10::IValue names_value, tensors_value;
    archive.read(key + "_names", names_value);
    archive.read(key, tensors_value);
    PITA_CHECK(names_value.toStringRef() == names_of(like),
               "[checkpoint] '{}' holds other parameters than this model has. The checkpoint "
               "was written by a different model configuration (backbone, sizes, conditioning).",
               key);
    const c10::List<at::Tensor> list = tensors_value.toTensorList();
    NamedTensors out;
    for (std::size_t i = 0; i < like.size(); ++i) {
        const at::Tensor t = list.get(i);
        PITA_CHECK(
            t.sizes() == like[i].second.sizes(),
            "[checkpoint] '{}' tensor '{}': got shape [{}]; expected [{}]. The checkpoint was "
            "written by a different model configuration.",
            key, like[i].first, fmt::join(t.sizes(), ", "),
            fmt::join(like[i].second.sizes(), ", "));
        out.emplace_back(like[i].first, t);
    }
    return out;
}

void write_named(torch::serialize::OutputArchive& archive, const std::string& key,
                 const NamedTensors& named) {
    archive.write(key, c10::IValue(tensor_list(named)));
    archive.write(key + "_names", c10::IValue(names_of(named)));
}

}  // namespace

void Trainer::save(torch::serialize::OutputArchive& archive) const {
    const Impl& m = *impl_;
    write_named(archive, "score_params", m.score.backbone().named_parameters());
    write_named(archive, "energy_params", m.energy.backbone().named_parameters());
    write_named(archive, "score_ema", m.score_ema.shadow());
    write_named(archive, "energy_ema", m.energy_ema.shadow());
    archive.write("ema_updates",
                  c10::IValue(c10::List<int64_t>({m.score_ema.updates(), m.energy_ema.updates()})));
    archive.write("steps", c10::IValue(steps_));
    torch::serialize::OutputArchive adam(archive.compilation_unit());
    m.adam->save(adam);
    archive.write("adam", adam);
}

void Trainer::load(torch::serialize::InputArchive& archive) {
    load_weights(archive);
    c10::IValue steps;
    archive.read("steps", steps);
    steps_ = steps.toInt();
    torch::serialize::InputArchive adam;
    archive.read("adam", adam);
    impl_->adam->load(adam);
}

void Trainer::load_weights(torch::serialize::InputArchive& archive) {
    Impl& m = *impl_;
    at::NoGradGuard no_grad;
    for (auto [key, model] :
         {std::pair<const char*, Backbone*>{"score_params", &m.score.backbone()},
          {"energy_params", &m.energy.backbone()}}) {
        const NamedTensors params = model->named_parameters();
        const NamedTensors saved = read_named(archive, key, params);
        for (std::size_t i = 0; i < params.size(); ++i) params[i].second.copy_(saved[i].second);
    }
    c10::IValue updates;
    archive.read("ema_updates", updates);
    const c10::List<int64_t> n = updates.toIntList();
    m.score_ema.restore(read_named(archive, "score_ema", m.score_ema.shadow()), n.get(0));
    m.energy_ema.restore(read_named(archive, "energy_ema", m.energy_ema.shadow()), n.get(1));
}

void Trainer::copy_ema_to(ScoreModel& score, EnergyModel& energy) const {
    impl_->score_ema.copy_to(score.backbone());
    impl_->energy_ema.copy_to(energy.backbone());
}

}  // namespace pita

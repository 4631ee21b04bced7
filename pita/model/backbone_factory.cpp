#include "pita/model/backbone_factory.h"

#include <ATen/Context.h>
#include <fmt/format.h>

#include "pita/model/dit.h"
#include "pita/model/egnn.h"
#include "pita/model/mlp.h"

namespace pita {
namespace {

Egnn make_egnn(const ConfigNode& m, int64_t n_particles, int64_t spatial_dim) {
    EgnnOptions o;
    o.n_particles = n_particles;
    o.spatial_dim = spatial_dim;
    o.hidden = m.get_int("hidden", o.hidden);
    o.n_layers = m.get_int("n_layers", o.n_layers);
    o.attention = m.get_bool("attention", o.attention);
    o.tanh = m.get_bool("tanh", o.tanh);
    o.coords_range = m.get_double("coords_range", o.coords_range);
    o.condition_on_time = m.get_bool("condition_on_time", o.condition_on_time);
    o.condition_on_temperature = m.get_bool("condition_on_temperature", o.condition_on_temperature);
    return Egnn(o);
}

MlpOptions mlp_options(const ConfigNode& m, int64_t n_particles, int64_t spatial_dim) {
    MlpOptions o;
    o.n_particles = n_particles;
    o.spatial_dim = spatial_dim;
    o.hidden = m.get_int("hidden", o.hidden);
    o.n_layers = m.get_int("n_layers", o.n_layers);
    o.condition_on_time = m.get_bool("condition_on_time", o.condition_on_time);
    o.condition_on_temperature = m.get_bool("condition_on_temperature", o.condition_on_temperature);
    o.mean_free_output = m.get_bool("mean_free_output", o.mean_free_output);
    return o;
}

#ifdef PITA_HAVE_DIT
DitOptions dit_options(const ConfigNode& m, int64_t n_particles, int64_t spatial_dim) {
    DitOptions o;
    o.n_particles = n_particles;
    o.spatial_dim = spatial_dim;
    o.hidden = m.get_int("hidden", o.hidden);
    o.cond_dim = m.get_int("cond_dim", o.cond_dim);
    o.n_blocks = m.get_int("n_blocks", o.n_blocks);
    o.n_heads = m.get_int("n_heads", o.n_heads);
    o.mlp_ratio = m.get_int("mlp_ratio", o.mlp_ratio);
    o.dropout = m.get_double("dropout", o.dropout);
    o.condition_on_time = m.get_bool("condition_on_time", o.condition_on_time);
    o.condition_on_temperature = m.get_bool("condition_on_temperature", o.condition_on_temperature);
    return o;
}
#endif

}  // namespace

std::unique_ptr<Backbone> make_backbone(const ConfigNode& model, int64_t n_particles,
                                        int64_t spatial_dim, uint64_t init_seed) {
    const std::string kind = model.get_choice("backbone", "egnn", {"egnn", "mlp", "dit"});
    at::manual_seed(init_seed);
    if (kind == "mlp") return std::make_unique<Mlp>(mlp_options(model, n_particles, spatial_dim));
#ifdef PITA_HAVE_DIT
    if (kind == "dit") return std::make_unique<Dit>(dit_options(model, n_particles, spatial_dim));
#endif
    return std::make_unique<Egnn>(make_egnn(model, n_particles, spatial_dim));
}

double read_sigma_data(const ConfigNode& model) {
    const double s = model.get_double("sigma_data", 1.0);
    if (!(s > 0))
        model.error("sigma_data", fmt::format("out of range: got {}; expected > 0 (the data's "
                                              "per-coordinate standard deviation).",
                                              s));
    return s > 0 ? s : 1.0;
}

}  // namespace pita

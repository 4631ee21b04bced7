// `pita diagnose CONFIG`: is the configured target self-consistent? Forces against central finite
// differences of the energy (float64), and float32 against float64, on the sampler's own start
// configurations. Exit code 1 when a check fails.
#include <cmath>
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "pita/config/config.h"
#include "pita/core/device.h"
#include "pita/core/rng.h"
#include "pita/targets/energy_factory.h"
#include "run_settings.h"

namespace pita::cli {

int run_diagnose(const CommonArgs& args) {
    Config cfg = Config::load_file(args.config, args.overrides);
    const ConfigNode root = cfg.root();
    const RunSettings settings = read_run_settings(root, "diagnose");
    std::unique_ptr<Energy> energy = make_energy(root.child("energy"));
    // Any config with an energy can be diagnosed as it is: the sections of the other commands
    // are accepted unread.
    for (const char* other : {"mcmc", "output", "data", "schedule", "model", "train", "anneal",
                              "ladder", "metrics", "md"})
        root.ignore(other);
    const ConfigNode node = root.child("diagnose");
    const int64_t batch = node.get_int("batch", 8, Bounds::between(1, 1 << 20));
    const double fd_step = node.get_double("fd_step", 1e-5, Bounds::above(0).below(1));
    cfg.finish();
    if (args.check_only) {
        return finish_check(args.print_config, cfg,
                            fmt::format("config OK: {} · {} configurations · fd_step {:g}\n",
                                        energy->name(), batch, fd_step));
    }
    set_threads(settings.threads);

    at::Generator gen = make_generator(settings.seed);
    const at::Tensor x = energy->initial_configurations(batch, gen).to(settings.device);
    const EnergyAndForce ef = energy->energy_and_force(x);
    // Central differences: error O(fd_step²·E''') against rounding O(ε·|E|/fd_step).
    at::Tensor fd = at::zeros_like(x);
    const int64_t n = x.size(1);
    const int64_t d = x.size(2);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < d; ++k) {
            at::Tensor plus = x.clone();
            at::Tensor minus = x.clone();
            plus.select(1, i).select(1, k).add_(fd_step);
            minus.select(1, i).select(1, k).sub_(fd_step);
            const at::Tensor diff = (energy->energy(plus) - energy->energy(minus)) / (2 * fd_step);
            fd.select(1, i).select(1, k).copy_(diff.neg());
        }
    }
    const double force_scale = ef.force.abs().max().item<double>() + 1e-300;
    const double force_err = (ef.force - fd).abs().max().item<double>() / force_scale;
    const at::Tensor e32 = energy->energy(x.to(at::kFloat)).to(at::kDouble);
    const double energy_err =
        ((e32 - ef.energy).abs() / (ef.energy.abs() + 1.0)).max().item<double>();

    const double force_tol = 1e-5;
    const double energy_tol = 1e-5;  // float32 has ~6e-8 relative precision; sums of ~100 terms
    const bool ok = force_err < force_tol && energy_err < energy_tol && std::isfinite(force_err);
    fmt::print("{}: {} configurations, {} particles x {}\n", energy->name(), batch, n, d);
    fmt::print("  force vs finite differences (max |ΔF|/max|F|): {:.2e}  (tolerance {:.0e}) {}\n",
               force_err, force_tol, force_err < force_tol ? "ok" : "FAIL");
    fmt::print("  float32 vs float64 energy (max |ΔE|/(|E|+1)):   {:.2e}  (tolerance {:.0e}) {}\n",
               energy_err, energy_tol, energy_err < energy_tol ? "ok" : "FAIL");
    return ok ? 0 : 1;
}

}  // namespace pita::cli

#pragma once
// Helpers shared by the commands that train (`pita train`, `pita run`).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pita/model/backbone.h"
#include "pita/train/losses.h"

namespace pita::cli {

int64_t count_parameters(const Backbone& b);

/// Dotted keys whose values differ between two resolved configs, except those `may_change`
/// accepts (what a resumed run may change).
std::vector<std::string> changed_keys(const nlohmann::json& a, const nlohmann::json& b,
                                      const std::function<bool(const std::string&)>& may_change);

/// "loss 1.2 dsm 0.8 ..." for the progress line.
std::string loss_summary(const LossTerms& t);
/// The defined loss terms as numbers.
nlohmann::json terms_json(const LossTerms& t);

}  // namespace pita::cli

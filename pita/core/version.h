#pragma once
// What this binary is: pita's version, git hash and the versions of the libraries it runs on.
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace pita {

std::string version();
std::string git_hash();
/// {"pita":..., "git":..., "libtorch":..., "openmm":..., "compiler":..., ...} for run.json.
nlohmann::json build_info();

}  // namespace pita

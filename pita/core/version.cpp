#include "pita/core/version.h"

#include "pita_git_hash.h"  // generated at build time by cmake/git_version.cmake

#include <fmt/format.h>
#include <torch/csrc/api/include/torch/version.h>
#include <yaml-cpp/yaml.h>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#ifdef PITA_WITH_OPENMM
#include <openmm/Platform.h>
#endif

namespace pita {

std::string version() { return PITA_VERSION; }
std::string git_hash() { return PITA_GIT_HASH; }

nlohmann::json build_info() {
    nlohmann::json info;
    info["pita"] = version();
    info["git"] = git_hash();
    info["libtorch"] = TORCH_VERSION;
    info["eigen"] =
        fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
    info["fmt"] = FMT_VERSION;
    info["nlohmann_json"] = fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                        NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH);
#ifdef PITA_WITH_OPENMM
    info["openmm"] = OpenMM::Platform::getOpenMMVersion();
#else
    info["openmm"] = nullptr;
#endif
#if defined(__clang__)
    info["compiler"] = fmt::format("clang {}", __clang_version__);
#elif defined(__GNUC__)
    info["compiler"] = fmt::format("gcc {}", __VERSION__);
#endif
    return info;
}

}  // namespace pita

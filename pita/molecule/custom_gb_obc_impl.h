#pragma once
// Module-internal: recognise the OBC generalized-Born model in an OpenMM CustomGBForce. A
// CustomGBForce is arbitrary algebra; pita implements only the expressions that OpenMM's
// app/internal/customgbforces.py writes for implicit/obc1.xml and obc2.xml, and refuses the rest.
#include <string>

#include "pita/molecule/force_term_impl.h"

namespace OpenMM {
class CustomGBForce;
}  // namespace OpenMM

namespace pita::detail {

/// The OBC parameters of `force`.
/// @param where  names the force in messages, e.g. "force 5 (CustomGBForce) of aldp.system.xml"
/// @throws ConfigError naming the first expression or setting that is not the OBC model
ObcParams obc_params_from_custom_gb(const OpenMM::CustomGBForce& force, const std::string& where);

}  // namespace pita::detail

#pragma once
// Transitional: the factory moved to pita/targets/energy_factory.h (it builds molecules too, and
// energy/ sits below molecule/). Kept only for apps/pita/cmd_md.cpp, which is being rewritten;
// delete this file once nothing includes it.
#include "pita/targets/energy_factory.h"

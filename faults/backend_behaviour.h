#pragma once

#include "faults/catalogue.h"

// The backend behaviour family — errors, slow, hang, health_fail and overload: a built-in
// backend's behaviour changed through its control socket (harness/backend/behaviour.h) and
// changed back exactly; declared and implemented in backend_behaviour.cc.
namespace lbchaos::faults {

extern const Family kBackendBehaviourFamily;

// The action names other code builds faults with (the catalogue declares them with these).
inline constexpr std::string_view kHealthFailAction = "health_fail";

}  // namespace lbchaos::faults

#pragma once

#include <string_view>

namespace lbchaos {

// Safety rule: the harness only ever targets loopback (127.0.0.0/8 or ::1).
[[nodiscard]] bool is_loopback_address(std::string_view address);

}  // namespace lbchaos

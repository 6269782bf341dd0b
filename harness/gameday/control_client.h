#pragma once

#include <chrono>
#include <filesystem>

#include "harness/gameday/control_protocol.h"

namespace lbchaos::gameday {

// Sends one request to the control socket and returns the response (blocking; for the CLI).
// Throws EnvironmentError when the socket does not answer within `timeout`.
[[nodiscard]] ControlResponse send_request(const std::filesystem::path& socket,
                                           const ControlRequest& request,
                                           std::chrono::milliseconds timeout);

}  // namespace lbchaos::gameday

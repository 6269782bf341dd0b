#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/topology/gameday_settings.h"
#include "harness/traffic/request_record.h"

// The topology's [gameday] halt_if, judged on the traffic of the trailing `over` window and on
// the alerts firing now.
namespace lbchaos::gameday {

// Requests that finished inside a window.
struct WindowStats {
  std::uint64_t requests = 0;
  std::uint64_t failed = 0;
  std::optional<Duration> p99;  // of every finished request, from its intended send time

  [[nodiscard]] double availability() const {
    return requests == 0 ? 1.0
                         : static_cast<double>(requests - failed) / static_cast<double>(requests);
  }
};

// Below this many requests in the window, availability and p99 cannot judge (no trip).
inline constexpr std::uint64_t kMinRequestsToJudge = 20;

// The requests of `records` (ordered by intended time) finished in [now - window, now).
// `timeout` bounds how long a request may take, so only the tail of `records` is read.
[[nodiscard]] WindowStats window_stats(const std::vector<traffic::RequestRecord>& records,
                                       std::int64_t now_ns, Duration window, Duration timeout);

// Why the exercise must halt, or nullopt: "availability 62.1% over the last 2s is below 95%".
[[nodiscard]] std::optional<std::string> check_halt(const topology::HaltConditions& halt_if,
                                                    const WindowStats& window,
                                                    const std::vector<std::string>& firing);

}  // namespace lbchaos::gameday

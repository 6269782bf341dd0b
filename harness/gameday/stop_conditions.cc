#include "harness/gameday/stop_conditions.h"

#include <fmt/format.h>

#include <algorithm>

namespace lbchaos::gameday {

using namespace std::chrono_literals;

namespace {

std::string percent(double ratio) { return fmt::format("{:.1f}%", ratio * 100); }

std::string spell(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
}

}  // namespace

WindowStats window_stats(const std::vector<traffic::RequestRecord>& records, std::int64_t now_ns,
                         Duration window, Duration timeout) {
  WindowStats stats;
  const std::int64_t from = now_ns - window.count();
  // A request due before `from - timeout` finished (or timed out) before the window.
  const std::int64_t oldest_intended = from - timeout.count() - std::chrono::nanoseconds(1s).count();
  std::vector<std::int64_t> latencies;
  for (auto it = records.rbegin(); it != records.rend() && it->intended_ns >= oldest_intended; ++it) {
    if (it->done_ns == 0 || it->done_ns < from || it->done_ns >= now_ns) continue;
    ++stats.requests;
    if (it->failed()) ++stats.failed;
    latencies.push_back(it->latency_ns());
  }
  if (!latencies.empty()) {
    const std::size_t rank = (latencies.size() * 99 + 99) / 100 - 1;  // nearest rank
    std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(rank),
                     latencies.end());
    stats.p99 = Duration(latencies[rank]);
  }
  return stats;
}

std::optional<std::string> check_halt(const topology::HaltConditions& halt_if,
                                      const WindowStats& window,
                                      const std::vector<std::string>& firing) {
  const bool can_judge = window.requests >= kMinRequestsToJudge;
  if (halt_if.availability_below && can_judge &&
      window.availability() < *halt_if.availability_below) {
    return fmt::format("availability {} over the last {} is below {} ({} of {} requests failed)",
                       percent(window.availability()), spell(halt_if.over),
                       percent(*halt_if.availability_below), window.failed, window.requests);
  }
  if (halt_if.p99_above && can_judge && window.p99 && *window.p99 > *halt_if.p99_above) {
    return fmt::format("p99 latency {:.0f}ms over the last {} is above {}",
                       std::chrono::duration<double, std::milli>(*window.p99).count(),
                       spell(halt_if.over), spell(*halt_if.p99_above));
  }
  if (!halt_if.alert.empty() &&
      std::find(firing.begin(), firing.end(), halt_if.alert) != firing.end()) {
    return fmt::format("alert {} is firing", halt_if.alert);
  }
  return std::nullopt;
}

}  // namespace lbchaos::gameday

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/probes/probe.h"

// What every probe family shares: windows, fault and server lookups, judging against the
// threshold, and wording. Internal to harness/probes.
namespace lbchaos::probes {

// [begin, end) on the run's clock.
struct TimeRange {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;

  [[nodiscard]] bool contains(std::int64_t t) const { return t >= begin_ns && t < end_ns; }
};

// The expectation's window over the run, or why the run has none (no fault, never healed...).
struct ResolvedWindow {
  std::optional<TimeRange> range;
  std::string why_none;
};
[[nodiscard]] ResolvedWindow resolve_window(scenario::Window window,
                                            const scenario::RunRecording& run);

// The earliest fault injected on `target` (exact name), or null.
[[nodiscard]] const scenario::FaultEvent* first_fault_on(const scenario::RunRecording& run,
                                                         std::string_view target);
// The id records carry for "backend/server", when any record named it.
[[nodiscard]] std::optional<std::uint16_t> server_id(const scenario::RunRecording& run,
                                                     std::string_view key);

// A result carrying the expectation's identity and threshold, verdict kError, measured NaN.
[[nodiscard]] ProbeResult make_result(const scenario::Expectation& expectation,
                                      std::string_view unit);
// The probe cannot judge: kError, measured NaN, `why` as the detail.
[[nodiscard]] ProbeResult cannot_judge(ProbeResult result, std::string why);
// A measurement compared with the threshold (kError when there is none, or two).
[[nodiscard]] ProbeResult judge(ProbeResult result, double measured, std::string detail);
// A failure whatever the threshold says (e.g. the target never served again); `measured` is
// what was observed, typically a lower bound.
[[nodiscard]] ProbeResult fail(ProbeResult result, double measured, std::string detail);

// Wording.
[[nodiscard]] double to_seconds(std::int64_t ns);
[[nodiscard]] std::string seconds(std::int64_t ns);       // "0.31 s"
[[nodiscard]] std::string latency(std::int64_t ns);       // "850 µs", "12.3 ms", "1.25 s"
[[nodiscard]] std::string percent(double ratio);          // "99.62%"
// "1 request", "2 requests"
[[nodiscard]] std::string plural(std::int64_t n, std::string_view noun);
// "12 successful responses with no known server: ...": responses that named no server (no
// X-Lbchaos-Server header, and no haproxy log line naming a server that answered: UDP syslog
// drops lines under load). Probes count them rather than guess.
[[nodiscard]] std::string unknown_servers(std::int64_t n);
// "+6.00 s": from traffic start.
[[nodiscard]] std::string run_offset(const scenario::RunRecording& run, std::int64_t at_ns);
// "it was killed", "the blackhole fault was injected": what happened to the fault's target.
[[nodiscard]] std::string what_happened(const scenario::FaultEvent& fault,
                                        std::string_view subject);

}  // namespace lbchaos::probes

#pragma once

#include <chrono>
#include <cstdint>

namespace lbchaos {

// The one clock of a run: requests, faults and haproxy events are all stamped with it, so
// every duration the harness reports is a subtraction on this clock (CLOCK_MONOTONIC).
using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;

inline MonoTime mono_now() { return MonoClock::now(); }

inline std::int64_t to_ns(MonoTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace lbchaos

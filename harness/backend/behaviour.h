#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/common/duration.h"
#include "harness/topology/model.h"

// What a built-in backend does, and the control commands that change it at run time. Pure
// data and parsing: no sockets, so every command is unit-testable.
namespace lbchaos::backend {

using topology::OverloadBehaviour;

inline constexpr int kDefaultErrorStatus = 500;
inline constexpr int kDefaultMaxInflight = 64;

// The knobs the fault injector turns (DESIGN.md, "backend behaviour").
struct BackendBehaviour {
  Duration latency{};        // base service time of a normal request
  Duration added_latency{};  // `set latency`: on top of the base
  double error_ratio = 0.0;  // probability that a request is answered with error_status
  int error_status = kDefaultErrorStatus;
  bool hang = false;         // answer nothing at all, /health included
  bool health_fail = false;  // /health answers 503, traffic is unaffected
  int max_inflight = kDefaultMaxInflight;  // requests in service at once
  OverloadBehaviour overload = OverloadBehaviour::kQueue;

  [[nodiscard]] Duration service_time() const { return latency + added_latency; }
  bool operator==(const BackendBehaviour&) const = default;
};

// What the backend has done so far; reported by `get`, never reset.
struct BackendCounters {
  std::uint64_t inflight = 0;       // requests in service now
  std::uint64_t queued = 0;         // requests waiting for a slot now (overload = queue)
  std::uint64_t served = 0;         // non-health requests answered, any status
  std::uint64_t errors_served = 0;  // of those, answered with status >= 500 (injected or 503)
  std::uint64_t rejected = 0;       // of those, refused with 503 (overload = reject)
};

struct BackendState {
  std::string name;          // "app/web1"
  BackendBehaviour initial;  // the start-up behaviour `reset` restores
  BackendBehaviour current;
  BackendCounters counters;
};

// A fresh state whose current behaviour is `initial`.
[[nodiscard]] BackendState make_backend_state(std::string name, const BackendBehaviour& initial);

// Applies one line of the control protocol and returns its one-line reply (without newline):
//   ping                                          -> pong
//   get                                           -> the state as one line of JSON
//   set latency <duration>                        -> ok   (added latency, e.g. 50ms)
//   set errors <ratio 0..1> [<status 400..599>]   -> ok   (status defaults to 500)
//   set hang on|off                               -> ok
//   set health_fail on|off                        -> ok
//   set overload <max_inflight >= 1> <queue|reject|crash> -> ok
//   reset                                         -> ok   (back to the start-up behaviour)
// Anything else: "error: <reason>", and the state is left unchanged.
[[nodiscard]] std::string apply_control_command(BackendState& state, std::string_view line);

// {"name":..., "latency_ms":..., "added_latency_ms":..., "error_ratio":..., "error_status":...,
//  "hang":..., "health_fail":..., "max_inflight":..., "overload":"queue", "inflight":...,
//  "queued":..., "served":..., "errors_served":..., "rejected":...} on one line.
[[nodiscard]] std::string state_json(const BackendState& state);

}  // namespace lbchaos::backend

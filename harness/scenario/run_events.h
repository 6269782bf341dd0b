#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/alerting/alert_events.h"
#include "harness/traffic/request_record.h"

// Everything a scenario run recorded, on one monotonic clock (ns): what probes evaluate and
// what the JSON journal and the timeline are made of.
namespace lbchaos::scenario {

// A fault as it happened: injected_at, and healed_at once healed (never, if it was not).
struct FaultEvent {
  std::string action;  // "kill", "restart", ... (DESIGN.md fault catalogue)
  std::string target;  // "app/web1", "lb0", ...
  std::int64_t injected_ns = 0;
  std::optional<std::int64_t> healed_ns;
  std::string detail;  // for people: "SIGKILL to process group 1234"
  std::string apply = {};  // config_corrupt only: "reload" or "restart"
};

// A server state change as haproxy reported it (syslog "Server app/web1 is DOWN").
struct HaproxyEvent {
  std::int64_t at_ns = 0;
  int instance = 0;
  std::string server;  // "app/web1"
  std::string state;   // UP, DOWN, MAINT, DRAIN
  std::string reason;
};

// A reload attempt through the master CLI and its outcome (for `reload_rejected`).
struct ReloadEvent {
  std::int64_t at_ns = 0;
  int instance = 0;
  bool accepted = false;      // the new config is running
  bool old_worker_kept = false;  // refused, and the previous worker still serves
  std::string detail;
};

// The whole recording of one scenario run.
struct RunRecording {
  std::int64_t traffic_start_ns = 0;  // first intended send
  std::int64_t steady_start_ns = 0;   // traffic_start + warmup
  std::int64_t traffic_end_ns = 0;    // traffic_start + duration
  std::vector<traffic::RequestRecord> records;  // ordered by seq (= intended time)
  traffic::ServerTable servers;       // ids used in records
  std::vector<FaultEvent> faults;
  std::vector<HaproxyEvent> haproxy_events;
  std::vector<ReloadEvent> reloads;
  alerting::AlertRecording alerts;    // alert state changes and webhook deliveries
};

}  // namespace lbchaos::scenario

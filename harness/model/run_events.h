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

// What a fault does to its target, as the probes need to know it. Each action declares its
// effects in the fault catalogue (faults/); the runner stamps them on the event.
enum FaultEffect : unsigned {
  kNoEffect = 0,
  kChecksFailAtOnce = 1,  // the server's health checks fail at once (refused, reset)
  kChecksHang = 2,        // the server's health checks time out
  kLbOutage = 4,          // an haproxy instance stops serving until the heal (mttr)
  kConfigChange = 8,      // a new haproxy config is applied (reload_rejected)
};

// A fault as it happened: injected_at, and healed_at once its heal succeeded. A heal that threw
// leaves healed_ns empty and says why in heal_error.
struct FaultEvent {
  std::string action;  // an action of the fault catalogue (faults/catalogue.h)
  std::string target;  // "app/web1", "lb0", ...
  std::int64_t injected_ns = 0;
  std::optional<std::int64_t> healed_ns;
  std::string detail;  // for people: "SIGKILL to process group 1234"
  unsigned effects = kNoEffect;  // FaultEffect bits
  std::string verb = {};         // "killed", "paused": how probes say what happened; may be empty
  bool heal_failed = false;
  std::string heal_error = {};
  // A fault people injected by hand (`lbchaos inject` against `up` or `run --live`), not one of
  // the schedule: its id ("f1") and who injected it (the user of the control socket's peer).
  bool manual = false;
  std::string id = {};
  std::string actor = {};
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

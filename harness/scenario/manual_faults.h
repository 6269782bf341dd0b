#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/model/run_events.h"

namespace lbchaos::deploy {
class Deployment;
}
namespace lbchaos::alerting {
class AlertEngine;
}
namespace lbchaos::traffic {
class LoadGenerator;
}

// Faults that are not in a scenario's schedule: `lbchaos run --live` lets people inject them into
// a running scenario (gameday/ implements the source, with its control socket and live view).
// The runner tells the source when traffic starts and asks it, when traffic is over, to heal what
// it injected and hand back what happened; those faults join the run's recording, marked manual.
namespace lbchaos::scenario {

// What the runner offers the source while traffic runs (implemented by the runner).
class RunControl {
 public:
  virtual ~RunControl() = default;
  // The schedule's faults injected and not healed yet, as "kill app/web1", with when.
  struct ActiveFault {
    std::string action;
    std::string target;
    MonoTime injected_at{};
    std::string detail;
  };
  [[nodiscard]] virtual std::vector<ActiveFault> active_scheduled() const = 0;
  // `lbchaos halt`: heals every scheduled fault now and injects no more of the schedule; returns
  // the faults healed and those whose heal failed ("kill app/web1").
  virtual boost::asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>>
  halt_schedule() = 0;
  // `lbchaos halt --stop`: the traffic stops and the run ends early, reported as aborted (`why`).
  virtual void stop(std::string why) = 0;
};

// What the source sees of the running scenario; valid until ManualFaultSource::finish returns.
struct LiveRun {
  deploy::Deployment& deployment;
  alerting::AlertEngine* alerts;     // may be null
  traffic::LoadGenerator& generator;  // the scenario's traffic
  MonoTime traffic_start;
  RunControl& control;
};

class ManualFaultSource {
 public:
  virtual ~ManualFaultSource() = default;
  // Traffic is about to start. Throws EnvironmentError when the source cannot start (the run is
  // then an error, torn down like any other).
  virtual void started(LiveRun run) = 0;
  // Traffic is over (or stopped): heal every manual fault still active, stop taking requests,
  // return every manual fault that was applied (manual = true, with id and actor). Never throws.
  virtual boost::asio::awaitable<std::vector<FaultEvent>> finish(std::string why) = 0;
};

}  // namespace lbchaos::scenario

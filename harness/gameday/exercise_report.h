#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/model/model.h"
#include "harness/model/run_events.h"
#include "harness/scenario/result.h"

// A game day (`lbchaos up`) as one scenario result, so that the run report (report/json_journal.h,
// report/html_report.h) draws the whole exercise: the background traffic's charts, haproxy's
// server lanes, the alert lanes, and every manual fault as a fault window marked manual.
namespace lbchaos::gameday {

// Everything the exercise recorded, on the run's monotonic clock.
struct ExerciseRecording {
  topology::Topology topology;
  MonoTime start{};  // start of traffic (or of the exercise, without traffic)
  MonoTime end{};    // when the exercise ended
  double traffic_rate = 0;
  std::vector<traffic::RequestRecord> records;
  traffic::ServerTable servers;
  std::vector<scenario::FaultEvent> faults;
  std::vector<scenario::HaproxyEvent> haproxy_events;
  alerting::AlertRecording alerts;
  std::map<std::string, std::string> config_sha256;
  std::string haproxy_version;
  double wall_seconds = 0;
};

// The result keeps a pointer to its scenario: both live here, together.
struct ExerciseReport {
  std::unique_ptr<scenario::Scenario> scenario;
  scenario::ScenarioResult result;
};

// A scenario named "game day: TOPOLOGY" with no probes; passed, or an error when a manual fault's
// heal failed (it may still be in place).
[[nodiscard]] ExerciseReport exercise_report(ExerciseRecording recording);

}  // namespace lbchaos::gameday

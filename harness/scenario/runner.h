#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "harness/model/model.h"
#include "harness/scenario/manual_faults.h"
#include "harness/scenario/result.h"

namespace lbchaos::traffic {
class LoadGenerator;
}

namespace lbchaos::scenario {

struct RunOptions {
  bool keep = false;                    // keep the run directory
  std::optional<std::uint64_t> seed;    // overrides the scenario's seed
  // `run --live`: faults injected by hand while traffic runs (scenario/manual_faults.h); not owned.
  ManualFaultSource* manual = nullptr;
};

// A snapshot for the live progress line.
struct Progress {
  double elapsed_s = 0;
  double total_s = 0;
  double rate = 0;           // requests/s over the last second
  std::uint64_t errors = 0;  // failed requests so far
  std::string fault;         // active faults, "" when none
};

// Runs one scenario: bring the topology up, warm up, drive traffic, inject and heal faults on
// schedule, tear down, evaluate every expectation. Every injected fault is healed — at its
// heal_after, at the end of traffic, on Ctrl-C and on error — and every heal is recorded.
class ScenarioRunner {
 public:
  ScenarioRunner(boost::asio::io_context& io, const Scenario& scenario, RunOptions options);
  ~ScenarioRunner();

  // Never throws for a scenario that cannot run: that is an kError result.
  boost::asio::awaitable<ScenarioResult> run();
  // Ctrl-C: stop traffic, heal, tear down; the result is marked interrupted.
  void request_stop();
  [[nodiscard]] Progress progress() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lbchaos::scenario

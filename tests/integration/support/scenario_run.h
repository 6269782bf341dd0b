#pragma once

// The integration fixture for scenarios, in the style of Envoy's test/integration: configure
// (a ScenarioRunConfig: the scenario file, extra flags, the user folders that must stay
// untouched), start and run (`lbchaos run ... --json`, the real binary, real haproxy and
// backends), then assert on what a user sees: the exit code, the console, the journal. Every
// wait is bounded and returns a result; the defaults fit a scenario of up to a minute on a busy
// 2-core machine. Header-only (tests/integration/*.cc is globbed flat).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/user_files.h"

namespace lbchaos::test_support {

// How long `lbchaos run` may take before the fixture gives up on it.
inline constexpr std::chrono::seconds kDefaultRunTimeout{120};
// How long the run's processes may take to be reaped after lbchaos has exited.
inline constexpr std::chrono::milliseconds kDefaultReapTimeout{2000};

struct ScenarioRunConfig {
  std::filesystem::path scenario;
  std::vector<std::string> extra_args = {};  // "--seed", "42"
  // Folders snapshotted before the run and compared after it; empty: the scenario's folder.
  std::vector<std::filesystem::path> user_folders = {};
  bool keep = false;  // --keep: the run directory stays (inside the fixture's temp dir)
  std::chrono::seconds timeout = kDefaultRunTimeout;
};

// What one run produced, and the temp dir it ran in (removed with it).
struct ScenarioRun {
  int exit_code = -1;          // -1: lbchaos did not exit within the timeout
  std::string output;          // lbchaos's stdout and stderr
  nlohmann::json journal;      // null when no journal was written
  nlohmann::json scenario;     // journal["scenarios"][0], or null
  std::size_t leftover_processes = 0;
  ::testing::AssertionResult files_unchanged = ::testing::AssertionSuccess();
  std::vector<std::filesystem::path> run_directories;  // with keep
  std::shared_ptr<TempDir> dir;

  // Nothing of the run is left and the user's files are as they were.
  [[nodiscard]] ::testing::AssertionResult clean() const {
    if (leftover_processes != 0) {
      return ::testing::AssertionFailure() << leftover_processes << " process(es) of the run left";
    }
    return files_unchanged;
  }
};

// configure -> start: `lbchaos run <scenario> --json <dir>/journal.json [--keep] ...` starts at
// construction; a test may act on the run (its processes carry LBCHAOS_RUN_DIR=<dir>/...)
// before finish() waits for it, bounded by the config's timeout.
class RunningScenario {
 public:
  explicit RunningScenario(ScenarioRunConfig config)
      : config_(std::move(config)),
        user_files_(config_.user_folders.empty()
                        ? std::vector<std::filesystem::path>{config_.scenario.parent_path()}
                        : config_.user_folders),
        dir_(std::make_shared<TempDir>()),
        lbchaos_(arguments(), dir_->path()) {}

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_->path(); }
  [[nodiscard]] LbchaosProcess& process() { return lbchaos_; }

  // Waits for lbchaos to exit and for every process of its run to be gone (both bounded), then
  // reads what it left.
  ScenarioRun finish() {
    ScenarioRun run;
    run.dir = dir_;
    run.exit_code = lbchaos_.exit_code(config_.timeout);
    run.output = lbchaos_.output();
    const std::string text = read_file(dir() / "journal.json");
    if (!text.empty()) {
      run.journal = nlohmann::json::parse(text);
      run.scenario = run.journal["scenarios"][0];
    }
    eventually([&] { return processes_of_run(dir().string()).empty(); }, kDefaultReapTimeout);
    run.leftover_processes = processes_of_run(dir().string()).size();
    run.files_unchanged = unchanged(user_files_);
    if (config_.keep) run.run_directories = run_directories_in(dir());
    return run;
  }

 private:
  [[nodiscard]] std::vector<std::string> arguments() const {
    std::vector<std::string> args{"run", config_.scenario.string(), "--json",
                                  (dir_->path() / "journal.json").string()};
    if (config_.keep) args.emplace_back("--keep");
    args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());
    return args;
  }

  ScenarioRunConfig config_;
  UserFiles user_files_;
  std::shared_ptr<TempDir> dir_;
  LbchaosProcess lbchaos_;
};

// configure -> start -> run, in one call.
inline ScenarioRun run_scenario(const ScenarioRunConfig& config) {
  return RunningScenario(config).finish();
}

// The journal's result of probe `name` (over `window` when given; else the first of that name).
// Throws, listing the probes there are, when there is none: a test then fails saying why.
inline const nlohmann::json& probe(const nlohmann::json& scenario, const std::string& name,
                                   const std::string& window = "") {
  for (const auto& p : scenario.at("probes")) {
    if (p.at("probe") == name && (window.empty() || p.at("window") == window)) return p;
  }
  throw std::runtime_error("no probe " + name + (window.empty() ? "" : " over " + window) +
                           " in " + scenario.at("probes").dump(1));
}

// The journal's fault events of `action` (on `target` when given), in injection order.
inline std::vector<nlohmann::json> fault_events(const nlohmann::json& scenario,
                                                const std::string& action,
                                                const std::string& target = "") {
  std::vector<nlohmann::json> events;
  for (const auto& e : scenario.at("fault_events")) {
    if (e.at("action") == action && (target.empty() || e.at("target") == target)) {
      events.push_back(e);
    }
  }
  return events;
}

}  // namespace lbchaos::test_support

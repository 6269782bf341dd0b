// `lbchaos run PATH... [--json F] [--junit F] [--seed N] [--keep]`: run scenarios, print a
// table per scenario, write the journal and JUnit XML, exit 0/1/2/3.
#include <unistd.h>

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>
#include <optional>

#include "harness/cli/commands.h"
#include "harness/cli/input_paths.h"
#include "harness/cli/logging.h"
#include "harness/cli/run_io.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/report/console_report.h"
#include "harness/report/json_journal.h"
#include "harness/report/junit_report.h"
#include "harness/scenario/loader.h"
#include "harness/scenario/preflight.h"
#include "harness/scenario/runner.h"

namespace lbchaos::cli {

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct RunCommandOptions {
  std::vector<std::string> paths;
  std::string json;
  std::string junit;
  std::optional<std::uint64_t> seed;
  bool keep = false;
  bool verbose = false;
};

// Every scenario named by the paths (topology files in a folder are skipped), loaded before
// anything runs so that one bad file stops the run with exit 2 and nothing started.
std::vector<scenario::Scenario> load_scenarios(const std::vector<std::string>& paths) {
  std::vector<scenario::Scenario> scenarios;
  for (const auto& file : expand_toml_paths(paths)) {
    const bool named = std::find(paths.begin(), paths.end(), file.string()) != paths.end();
    if (!named && !scenario::looks_like_scenario(file)) continue;
    scenarios.push_back(scenario::load_scenario(file));
  }
  if (scenarios.empty()) {
    throw InputError(fmt::format("no scenario files in {}", fmt::join(paths, ", ")));
  }
  return scenarios;
}

// What `lbchaos check` verifies, for every scenario before the first runs: a fault that cannot
// apply, a config haproxy refuses or a broken rules file is exit 2 with nothing started.
int preflight_all(asio::io_context& io, const std::vector<scenario::Scenario>& scenarios,
                  std::optional<std::uint64_t> seed) {
  int code = kExitOk;
  auto check_all = [&]() -> asio::awaitable<void> {
    for (const auto& s : scenarios) {
      try {
        co_await scenario::preflight(io, s.topology, &s, seed);
      } catch (const InputError& e) {
        spdlog::error("{}", e.what());
        code = kExitBadInput;
        co_return;
      } catch (const EnvironmentError& e) {
        spdlog::error("{}", e.what());
        code = kExitEnvironment;
        co_return;
      }
    }
  };
  if (!run_io(io, check_all())) return kExitEnvironment;
  io.restart();
  return code;
}

constexpr const char* kClearLine = "\r\033[K";

// The live progress line, on a terminal only, redrawn every 250 ms until `*done`. It may wake
// once more after the runner is gone: `done` is shared so that it then returns untouched.
asio::awaitable<void> show_progress(const scenario::ScenarioRunner& runner,
                                    std::shared_ptr<const bool> done) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (!*done) {
    const auto p = runner.progress();
    if (p.elapsed_s > 0) {
      // Healing and tearing down after the traffic show as the end of it.
      fmt::print(stderr, "{}[{:5.1f}s/{:.1f}s] {:6.0f} req/s  {} errors{}", kClearLine,
                 std::min(p.elapsed_s, p.total_s), p.total_s, p.rate, p.errors,
                 p.fault.empty() ? "" : "  fault: " + p.fault);
      std::fflush(stderr);
    }
    tick.expires_after(250ms);
    boost::system::error_code ignored;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

int run_scenarios(const RunCommandOptions& options) {
  const bool live = ::isatty(STDERR_FILENO) != 0;
  setup_logging(options.verbose, live);
  std::vector<scenario::Scenario> scenarios;
  try {
    scenarios = load_scenarios(options.paths);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }

  asio::io_context io(1);  // one thread owns everything: no locking
  if (const int code = preflight_all(io, scenarios, options.seed); code != kExitOk) return code;
  std::vector<scenario::ScenarioResult> results;
  scenario::ScenarioRunner* current = nullptr;
  bool interrupted = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::warn("received SIG{}: healing faults, tearing down, writing results",
                 sigabbrev_np(signal));
    interrupted = true;
    if (current != nullptr) current->request_stop();
  });

  auto main = [&]() -> asio::awaitable<void> {
    for (const auto& s : scenarios) {
      if (interrupted) break;
      scenario::ScenarioRunner runner(io, s, {options.keep, options.seed});
      current = &runner;
      auto done = std::make_shared<bool>(false);
      if (live) asio::co_spawn(io, show_progress(runner, done), asio::detached);
      results.push_back(co_await runner.run());
      *done = true;
      if (live) fmt::print(stderr, "{}", kClearLine);  // before the table, on a shared terminal
      current = nullptr;
      report::print_scenario(stdout, results.back());
    }
    signals.cancel();
  };
  if (!run_io(io, main())) {
    return kExitEnvironment;
  }

  report::print_summary(stdout, results);
  try {
    if (!options.json.empty()) report::write_json_journal(options.json, results);
    if (!options.junit.empty()) report::write_junit(options.junit, results);
  } catch (const EnvironmentError& e) {
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  }
  return scenario::exit_code_for(results);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunCommandOptions>();
  auto* run = app.add_subcommand("run", "Run scenarios (files, or folders of them) and check their probes");
  run->add_option("paths", options->paths, "Scenario files or folders")->required();
  run->add_option("--json", options->json, "Write the JSON journal here");
  run->add_option("--junit", options->junit, "Write JUnit XML here");
  run->add_option("--seed", options->seed, "Override every scenario's seed");
  run->add_flag("--keep", options->keep, "Keep run directories (configs, logs)");
  run->add_flag("-v,--verbose", options->verbose, "Debug logging");
  run->callback([options, &exit_code] { exit_code = run_scenarios(*options); });
}

}  // namespace lbchaos::cli

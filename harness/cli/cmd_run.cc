// `lbchaos run PATH... [--json F] [--junit F] [--html F] [--seed N] [--shard I/N] [--keep] [--live]`: run
// scenarios (all, or one shard of them), print a table per scenario, write the journal, JUnit XML
// and HTML report, exit 0/1/2/3.
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
#include "harness/cli/command_line.h"
#include "harness/gameday/journal.h"
#include "harness/gameday/live_run.h"
#include "harness/process/run_directory.h"
#include "harness/topology/gameday_settings.h"
#include "harness/process/network_isolation.h"
#include "harness/report/console_report.h"
#include "harness/report/html_report.h"
#include "harness/report/json_journal.h"
#include "harness/report/junit_report.h"
#include "harness/scenario/loader.h"
#include "harness/scenario/preflight.h"
#include "harness/scenario/runner.h"
#include "harness/scenario/shard.h"

namespace lbchaos::cli {

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct RunCommandOptions {
  std::vector<std::string> paths;
  std::string json;
  std::string junit;
  std::string html;
  std::string shard;
  std::optional<std::uint64_t> seed;
  bool keep = false;
  bool verbose = false;
  bool no_isolate = false;
  bool live = false;
};

// A scenario of the suite with its place in it (what `merge` orders shards' scenarios by).
struct SuiteEntry {
  std::size_t suite_index = 0;
  std::string suite_path;  // relative to the folder or file it was named by
};

// Every scenario named by the paths (topology files in a folder are skipped), loaded before
// anything runs so that one bad file stops the run with exit 2 and nothing started; with a shard,
// only the scenarios that fall in it.
std::vector<scenario::Scenario> load_scenarios(const RunCommandOptions& options,
                                               const std::optional<scenario::Shard>& shard,
                                               std::vector<SuiteEntry>& entries) {
  const auto& paths = options.paths;
  std::vector<scenario::Scenario> scenarios;
  std::size_t index = 0;
  for (const auto& file : expand_toml_paths(paths)) {
    const bool named = std::find(paths.begin(), paths.end(), file.string()) != paths.end();
    if (!named && !scenario::looks_like_scenario(file)) continue;
    auto loaded = scenario::load_scenario(file);
    SuiteEntry entry{index++, scenario::suite_relative_path(file, paths)};
    if (shard && scenario::shard_of(entry.suite_path, options.seed.value_or(loaded.seed),
                                    shard->total) != shard->index) {
      continue;
    }
    scenarios.push_back(std::move(loaded));
    entries.push_back(std::move(entry));
  }
  if (index == 0) {
    throw InputError(fmt::format("no scenario files in {}", fmt::join(paths, ", ")));
  }
  return scenarios;
}

// The journal as written to --json and drawn by --html: the results, the command line, the
// shard, and each scenario's place in the suite and exit code (for `merge`).
nlohmann::json run_journal(const std::vector<scenario::ScenarioResult>& results,
                           const std::vector<SuiteEntry>& entries,
                           const std::optional<scenario::Shard>& shard,
                           const process::NetworkIsolation& isolation) {
  auto journal = report::journal_json(results, isolation);
  journal["command_line"] = command_line();
  journal["shard"] = shard ? nlohmann::json{{"index", shard->index}, {"total", shard->total}}
                           : nlohmann::json(nullptr);
  for (std::size_t i = 0; i < results.size() && i < entries.size(); ++i) {
    auto& s = journal["scenarios"][i];
    s["suite_index"] = entries[i].suite_index;
    s["suite_path"] = entries[i].suite_path;
    const auto& r = results[i];
    using Outcome = scenario::ScenarioResult::Outcome;
    s["exit_code"] = r.outcome == Outcome::kPassed  ? int{kExitOk}
                     : r.outcome == Outcome::kError ? r.error_exit_code
                                                    : int{kExitProbeFailed};
  }
  return journal;
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
  // --live: the game day's view (stdout a terminal) or its event lines, instead of the progress
  // line.
  const bool live = ::isatty(STDERR_FILENO) != 0 && !options.live;
  const bool live_view = options.live && ::isatty(STDOUT_FILENO) != 0;
  setup_logging(options.verbose, live);
  if (live_view && !options.verbose) spdlog::set_level(spdlog::level::warn);  // the view shows it
  // First, before any socket or thread: the whole run lives in the namespace it makes.
  process::NetworkIsolation isolation;
  try {
    isolation = process::isolate_network(!options.no_isolate);
  } catch (const EnvironmentError& e) {
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  }
  spdlog::info("network: {}", isolation.why);
  std::vector<scenario::Scenario> scenarios;
  std::vector<SuiteEntry> entries;
  std::optional<scenario::Shard> shard;
  std::vector<topology::GameDaySettings> gameday_settings;  // --live: each scenario's topology's
  try {
    if (!options.shard.empty()) shard = scenario::parse_shard(options.shard);
    scenarios = load_scenarios(options, shard, entries);
    if (options.live) {
      for (const auto& s : scenarios) {
        gameday_settings.push_back(topology::load_gameday_settings(s.topology.file));
      }
    }
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  if (shard) {
    spdlog::info("shard {}/{}: {} scenario(s) of the suite", shard->index, shard->total,
                 scenarios.size());
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
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const auto& s = scenarios[i];
      if (interrupted) break;
      std::unique_ptr<gameday::LiveFaultSource> manual;
      if (options.live) {
        manual = std::make_unique<gameday::LiveFaultSource>(
            io, gameday::LiveRunOptions{s.name, gameday_settings[i], live_view,
                                        gameday::default_journal_path(
                                            process::RunDirectory::base_directory(), s.name,
                                            std::chrono::system_clock::now())});
      }
      scenario::ScenarioRunner runner(io, s, {options.keep, options.seed, manual.get()});
      current = &runner;
      auto done = std::make_shared<bool>(false);
      if (live) asio::co_spawn(io, show_progress(runner, done), asio::detached);
      results.push_back(co_await runner.run());
      *done = true;
      if (live) fmt::print(stderr, "{}", kClearLine);  // before the table, on a shared terminal
      current = nullptr;
      report::print_scenario(stdout, results.back());
      if (manual) fmt::print("game-day journal: {}\n", manual->journal_path().string());
    }
    signals.cancel();
  };
  if (!run_io(io, main())) {
    return kExitEnvironment;
  }

  report::print_summary(stdout, results);
  try {
    if (!options.json.empty() || !options.html.empty()) {
      const auto journal = run_journal(results, entries, shard, isolation);
      if (!options.json.empty()) report::write_json(options.json, journal);
      if (!options.html.empty()) report::write_html_report(journal, options.html);
    }
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
  run->add_option("--html", options->html, "Write the self-contained HTML report here");
  run->add_option("--shard", options->shard,
                  "Run only shard I of N (I/N, 1-based): a stable split by path and seed");
  run->add_option("--seed", options->seed, "Override every scenario's seed");
  run->add_flag("--keep", options->keep, "Keep run directories (configs, logs)");
  run->add_flag("--live", options->live,
                "While traffic runs: the game day's live view, and its control socket for "
                "lbchaos inject/heal/status/halt/note");
  run->add_flag("-v,--verbose", options->verbose, "Debug logging");
  run->add_flag("--no-isolate", options->no_isolate,
                "Run in the host's network namespace (as root, a run gets a private one holding "
                "only loopback)");
  run->callback([options, &exit_code] { exit_code = run_scenarios(*options); });
}

}  // namespace lbchaos::cli

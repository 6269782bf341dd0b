// `lbchaos validate --config FILE [--baseline FILE] [--topology T] [--suite DIR] [--repeat N]
// [--no-static] [--json F] [--junit F] [--html F]`: haproxy's check, static analysis against
// the SLOs, a generated suite on the real haproxy, and the candidate against the baseline.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "harness/cli/command_line.h"
#include "harness/cli/commands.h"
#include "harness/cli/input_paths.h"
#include "harness/cli/logging.h"
#include "harness/cli/run_io.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/report/html_validation.h"
#include "harness/report/validation_report.h"
#include "harness/scenario/loader.h"
#include "harness/validate/validation.h"

namespace lbchaos::cli {
namespace {

namespace fs = std::filesystem;

struct ValidateCommandOptions {
  std::string config;
  std::string baseline;
  std::string topology;
  std::string suite;
  int repeat = 1;
  bool no_static = false;
  bool keep = false;
  bool verbose = false;
  std::uint64_t seed = 1;
  std::string json;
  std::string junit;
  std::string html;
};

int run_validate(const ValidateCommandOptions& o) {
  setup_logging(o.verbose);
  validate::ValidateOptions options;
  options.config = o.config;
  if (!o.baseline.empty()) options.baseline = o.baseline;
  if (!o.topology.empty()) options.topology = o.topology;
  options.repeat = o.repeat;
  options.static_analysis = !o.no_static;
  options.keep = o.keep;
  options.seed = o.seed;
  for (const auto& file : {o.config, o.baseline}) {
    std::error_code ec;
    if (!file.empty() && !fs::is_regular_file(file, ec)) {
      spdlog::error("{}: no such config file", file);
      return kExitBadInput;
    }
  }
  try {
    if (!o.suite.empty()) {
      // As `run` reads a folder: its topology files are what the scenarios refer to, not tests.
      for (const auto& file : expand_toml_paths({o.suite})) {
        if (file.string() != o.suite && !scenario::looks_like_scenario(file)) continue;
        options.team_scenarios.push_back(scenario::load_scenario(file));
      }
      if (options.team_scenarios.empty()) {
        throw InputError(fmt::format("--suite {}: no scenario files", o.suite));
      }
    }
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }

  boost::asio::io_context io(1);
  validate::ValidationReport report;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code& ec, int) {
    if (!ec) spdlog::warn("interrupted: validate finishes the run in progress, then stops");
  });
  auto main = [&]() -> boost::asio::awaitable<void> {
    report = co_await validate::validate(io, options);
    signals.cancel();
  };
  if (!run_io(io, main())) return kExitEnvironment;

  report::print_validation(stdout, report);
  try {
    if (!o.json.empty()) report::write_validation_json(o.json, report);
    if (!o.junit.empty()) report::write_validation_junit(o.junit, report);
    if (!o.html.empty()) report::write_html_validation(o.html, report, command_line());
  } catch (const EnvironmentError& e) {
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  }
  return report.exit_code;
}

}  // namespace

void add_validate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ValidateCommandOptions>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Judge a haproxy config change: haproxy -c, static analysis against the SLOs, a generated "
      "suite on the real haproxy, and a statistical comparison with the baseline");
  cmd->add_option("--config", o->config, "The candidate haproxy.cfg")->required();
  cmd->add_option("--baseline", o->baseline, "The config that runs today: compare against it");
  cmd->add_option("--topology", o->topology,
                  "Servers (capacity, service time) and [slo]; its [haproxy] config is replaced");
  cmd->add_option("--suite", o->suite, "Also run your own scenarios (a folder) on the candidate");
  cmd->add_option("--repeat", o->repeat, "Runs of the suite per config (interleaved)")
      ->check(CLI::Range(1, 20));
  cmd->add_flag("--no-static", o->no_static, "Skip static analysis: judge by measurements only");
  cmd->add_option("--seed", o->seed, "Seed of the generated suite");
  cmd->add_option("--json", o->json, "Write everything as JSON here");
  cmd->add_option("--junit", o->junit, "Write JUnit XML here");
  cmd->add_option("--html", o->html,
                  "Write one self-contained HTML page here: findings, the suite's charts, "
                  "baseline over candidate");
  cmd->add_flag("--keep", o->keep, "Keep run directories (configs, logs)");
  cmd->add_flag("-v,--verbose", o->verbose, "Debug logging");
  cmd->callback([o, &exit_code] { exit_code = run_validate(*o); });
}

}  // namespace lbchaos::cli

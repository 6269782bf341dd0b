// `lbchaos check PATH...`: parse, render, `haproxy -c` the result, check the alert rules and
// that every fault can apply to its target. Nothing is started.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "harness/alerting/rule_loader.h"
#include "harness/cli/commands.h"
#include "harness/cli/input_paths.h"
#include "harness/cli/logging.h"
#include "harness/cli/run_io.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/scenario/loader.h"
#include "harness/scenario/preflight.h"
#include "harness/topology/loader.h"

namespace lbchaos::cli {

namespace {

namespace fs = std::filesystem;

// 0 when haproxy accepts the file's config (and the alert engine its rules), else the exit
// code for what went wrong. An embedded rules file ([[rule]] tables) is checked on its own.
int check_one(const fs::path& file) {
  try {
    if (alerting::looks_like_rules_file(file)) {
      const auto rules = alerting::load_rules_file(file);
      fmt::print("ok    {} ({} alert rules)\n", file.string(), rules.size());
      return kExitOk;
    }
    // A scenario is checked through the topology it runs against, and its faults against that.
    std::optional<scenario::Scenario> scenario;
    if (scenario::looks_like_scenario(file)) scenario = scenario::load_scenario(file);
    auto topology = scenario ? scenario->topology : topology::load_topology(file);
    boost::asio::io_context io;
    std::exception_ptr failure;
    auto checked = [&]() -> boost::asio::awaitable<void> {
      try {
        co_await scenario::preflight(io, std::move(topology), scenario ? &*scenario : nullptr);
      } catch (...) {
        failure = std::current_exception();
      }
    };
    if (!run_io(io, checked())) return kExitEnvironment;
    if (failure) std::rethrow_exception(failure);
    fmt::print("ok    {}\n", file.string());
    return kExitOk;
  } catch (const InputError& e) {
    fmt::print("FAIL  {}\n", file.string());
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const EnvironmentError& e) {
    fmt::print("FAIL  {}\n", file.string());
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  }
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* check = app.add_subcommand(
      "check", "Validate topology and scenario files: parse, render the haproxy config, run `haproxy -c`");
  check->add_option("paths", *paths, "Files or folders (every *.toml below)")->required();
  check->callback([paths, &exit_code] {
    setup_logging(false);
    const auto files = expand_toml_paths(*paths);
    if (files.empty()) {
      spdlog::error("no .toml files in {}", fmt::join(*paths, ", "));
      exit_code = kExitBadInput;
      return;
    }
    int worst = kExitOk;
    for (const auto& file : files) worst = std::max(worst, check_one(file));
    exit_code = worst;
  });
}

}  // namespace lbchaos::cli

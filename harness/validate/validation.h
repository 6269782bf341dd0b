#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/result.h"
#include "harness/validate/comparison.h"
#include "harness/validate/finding.h"
#include "harness/validate/haproxy_config.h"
#include "harness/validate/suite.h"

// `lbchaos validate`: a config change judged before it ships, in four stages — haproxy's own
// check, static analysis against the SLOs, a generated suite on the real haproxy, and (with a
// baseline) the candidate against what runs today.
namespace lbchaos::validate {

struct ValidateOptions {
  std::filesystem::path config;                  // the candidate
  std::optional<std::filesystem::path> baseline;
  std::optional<std::filesystem::path> topology;  // servers, SLOs; its [haproxy] config is replaced
  std::vector<scenario::Scenario> team_scenarios;  // --suite DIR, loaded by the caller
  int repeat = 1;
  bool static_analysis = true;
  bool keep = false;
  std::uint64_t seed = 1;
};

// One config through stages 1 and 3. The results keep their recordings: the HTML page draws
// every run (and the baseline over the candidate) from them. Their `scenario` pointers are not
// to be followed once the report has been moved (validate() returns it by value): the
// scenarios as run are plan.resilience and plan.peak (team_scenario_specs for the team's).
struct ConfigRun {
  std::filesystem::path config;
  SuitePlan plan;
  std::vector<scenario::ScenarioResult> resilience;  // one per repeat
  std::vector<scenario::ScenarioResult> peak;
  // evaluate_suite's rows per repeat (the candidate's only: the baseline is not judged alone);
  // a row belongs to the peak run when its phase is plan.peak_phase.name.
  std::vector<std::vector<SuiteCheck>> checks;
};

struct ValidationReport {
  std::filesystem::path config;
  std::optional<std::filesystem::path> baseline;
  std::string topology_source;  // the topology file, or "servers from the config (built-in)"
  topology::Topology topology;  // as run for the candidate (servers described)
  topology::Slo slo;            // the topology's [slo], or the defaults
  std::string haproxy_message;  // stage 1: haproxy's rejection, at the user's lines
  bool static_analysis = true;
  std::vector<Finding> findings;
  ConfigRun candidate;
  std::optional<ConfigRun> baseline_run;
  std::vector<SuiteCheck> suite;  // every repeat of the candidate's suite
  std::vector<scenario::Scenario> team_scenario_specs;  // as run: topology replaced
  std::vector<scenario::ScenarioResult> team_scenarios;
  std::vector<Comparison> comparisons;
  std::vector<std::string> reasons;  // why the candidate is not valid; empty when it is
  int exit_code = 0;                 // 0 valid, 1 not valid, 2 invalid input, 3 environment
  double wall_seconds = 0;
};

// The topology a config runs in: the user's (its [haproxy] config replaced by `config_path`) or
// one made from the config alone. Every server of the config is described; the ones the user's
// topology does not mention are built-in backends of capacity 1 with the [slo] table's service
// time and concurrency. ready_timeout covers the slowest server's first check.
[[nodiscard]] topology::Topology make_run_topology(
    const std::filesystem::path& config_path, const HaproxyConfig& config,
    const std::optional<topology::Topology>& user_topology, const topology::Slo& slo);

// Never throws for invalid input or a broken environment: that is the report's exit code with
// the message in `reasons`.
boost::asio::awaitable<ValidationReport> validate(boost::asio::io_context& io,
                                                  const ValidateOptions& options);

}  // namespace lbchaos::validate

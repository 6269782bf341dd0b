#include "harness/validate/validation.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "harness/common/clock.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/scenario/preflight.h"
#include "harness/scenario/runner.h"
#include "harness/topology/loader.h"
#include "harness/topology/slo_loader.h"
#include "harness/validate/static_analysis.h"

// GCC 12 reports a false -Wmismatched-new-delete on the frame of the long coroutine below
// (asio's awaitable frame allocator); the frame is allocated and freed by asio alone.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace lbchaos::validate {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kMinReadyTimeout = 5s;
constexpr auto kMaxReadyTimeout = 60s;
constexpr auto kReadySlack = 3s;

}  // namespace

namespace {

// How many requests at once a server the topology does not describe serves: the SLO's
// `server_concurrency` when set; else at least 2, more when the proxy's active servers are
// fewer than it takes to absorb the peak rate with half again to spare (Little's law).
int default_concurrency(const Proxy& proxy, const topology::Slo& slo) {
  if (slo.server_concurrency_set) return slo.server_concurrency;
  const auto active = std::count_if(proxy.servers.begin(), proxy.servers.end(),
                                    [](const ServerDecl& s) { return !s.backup && !s.disabled; });
  if (active == 0) return slo.server_concurrency;
  constexpr double kHeadroom = 1.5;
  const double needed = kHeadroom * slo.peak_rate *
                        std::chrono::duration<double>(slo.service_time).count() /
                        static_cast<double>(active);
  return std::max(slo.server_concurrency, static_cast<int>(std::ceil(needed - 1e-9)));
}

}  // namespace

topology::Topology make_run_topology(const fs::path& config_path, const HaproxyConfig& config,
                                     const std::optional<topology::Topology>& user_topology,
                                     const topology::Slo& slo) {
  topology::Topology t;
  if (user_topology) {
    t = *user_topology;
  } else {
    t.name = "validate-" + config_path.stem().string();
    t.file = config_path;
  }
  t.haproxy.config = config_path;
  Duration slowest_inter = 0s;
  for (const auto& proxy : config.proxies) {
    if (!proxy.has_servers_section() || proxy.servers.empty()) continue;
    const int concurrency = default_concurrency(proxy, slo);
    auto it = std::find_if(t.backends.begin(), t.backends.end(),
                           [&](const topology::Backend& b) { return b.name == proxy.name; });
    if (it == t.backends.end()) {
      topology::Backend backend;
      backend.name = proxy.name;
      t.backends.push_back(std::move(backend));
      it = std::prev(t.backends.end());
    }
    for (const auto& decl : proxy.servers) {
      if (decl.check) slowest_inter = std::max(slowest_inter, decl.inter);
      auto server = std::find_if(it->servers.begin(), it->servers.end(),
                                 [&](const topology::Server& s) { return s.name == decl.name; });
      if (server == it->servers.end()) {
        topology::Server s;
        s.name = decl.name;
        s.latency = slo.service_time;
        s.max_inflight = concurrency;
        it->servers.push_back(std::move(s));
        server = std::prev(it->servers.end());
      }
      server->backup = decl.backup;
    }
    // Servers nobody described answer their health endpoint as a web tier does (200 "ok"), the
    // answer static analysis judges the config's `http-check expect` against, so the suite
    // measures the same mismatch (servers that never come UP) instead of answering whatever the
    // config expects, as `up` and `run` do to bring a team's config up.
    const bool described = it->health || std::any_of(it->servers.begin(), it->servers.end(),
                                                      [](const topology::Server& s) { return s.health.has_value(); });
    if (proxy.httpchk.value && !described) it->health = topology::HealthAnswer{};
  }
  // Readiness waits for the first check of every server.
  const Duration ready = std::clamp<Duration>(slowest_inter + kReadySlack, kMinReadyTimeout,
                                              kMaxReadyTimeout);
  t.haproxy.ready_timeout = user_topology ? std::max(t.haproxy.ready_timeout, ready) : ready;
  return t;
}

namespace {

std::string describe_failure(const SuiteCheck& row) {
  const auto& r = row.result;
  if (r.verdict == probes::ProbeResult::kError) {
    return fmt::format("{}: {} could not judge: {}", row.phase, r.probe, r.detail);
  }
  return fmt::format("{}: {} failed: {}", row.phase, r.probe, r.detail);
}

class Validation {
 public:
  Validation(asio::io_context& io, const ValidateOptions& options, ValidationReport& report)
      : io_(io), options_(options), report_(report) {}

  asio::awaitable<void> run() {
    report_.config = fs::absolute(options_.config).lexically_normal();
    if (options_.baseline) report_.baseline = fs::absolute(*options_.baseline).lexically_normal();
    report_.static_analysis = options_.static_analysis;

    std::optional<topology::Topology> user_topology;
    HaproxyConfig candidate_config;
    std::optional<HaproxyConfig> baseline_config;
    try {
      if (options_.topology) {
        user_topology = topology::load_topology(*options_.topology);
        if (!user_topology->uses_user_config()) {
          throw InputError(user_topology->haproxy.where,
                           "a topology for `lbchaos validate` names your config: set [haproxy] "
                           "config = \"haproxy.cfg\" (validate replaces it with --config)");
        }
        report_.topology_source = user_topology->file.string();
        report_.slo = topology::load_slo(*options_.topology);
      } else {
        report_.topology_source = "none: servers from the config, built-in backends of equal "
                                  "capacity, default SLOs";
      }
      candidate_config = read_haproxy_config(report_.config);
      report_.topology = make_run_topology(report_.config, candidate_config, user_topology, report_.slo);
      if (report_.baseline) baseline_config = read_haproxy_config(*report_.baseline);
    } catch (const InputError& e) {
      co_return fail(kExitBadInput, e.what());
    }

    // Stage 1: haproxy's own check, through the same rewrite every run uses.
    if (!co_await haproxy_accepts(report_.topology, "candidate")) co_return;
    std::optional<topology::Topology> baseline_topology;
    if (baseline_config) {
      baseline_topology = make_run_topology(*report_.baseline, *baseline_config, user_topology, report_.slo);
      if (!co_await haproxy_accepts(*baseline_topology, "baseline")) co_return;
    }

    // Stage 2.
    if (options_.static_analysis) {
      report_.findings = analyse(candidate_config, report_.topology, report_.slo);
      for (const auto& f : report_.findings) {
        if (f.severity == Finding::Severity::kError) {
          report_.reasons.push_back(
              fmt::format("{}: {}: {}", f.where.to_string(), f.check, f.message));
        }
      }
    }

    // Stage 3 (and the runs stage 4 compares), interleaved: baseline, candidate, baseline...
    report_.candidate.config = report_.config;
    report_.candidate.plan = plan_suite(candidate_config, report_.topology, report_.slo, options_.seed);
    if (baseline_config) {
      report_.baseline_run.emplace();
      report_.baseline_run->config = *report_.baseline;
      report_.baseline_run->plan = plan_suite(*baseline_config, *baseline_topology, report_.slo, options_.seed);
    }
    const int repeat = std::max(1, options_.repeat);
    for (int i = 0; i < repeat; ++i) {
      if (report_.baseline_run) co_await run_suite(*report_.baseline_run, "baseline", i);
      co_await run_suite(report_.candidate, "candidate", i);
    }
    for (int i = 0; i < repeat; ++i) {
      auto rows = evaluate_suite(report_.candidate.plan, report_.candidate.resilience[i],
                                 report_.candidate.peak[i]);
      report_.candidate.checks.push_back(rows);
      for (auto& row : rows) {
        if (repeat > 1) row.phase += fmt::format(" (run {})", i + 1);
        report_.suite.push_back(std::move(row));
      }
    }
    for (const auto& row : report_.suite) {
      if (row.result.verdict == probes::ProbeResult::kPass) continue;
      if (row.result.probe == "run") environment_error_ = true;
      report_.reasons.push_back(describe_failure(row));
    }
    for (const auto* result : {&report_.candidate.resilience, &report_.candidate.peak}) {
      for (const auto& r : *result) {
        if (r.outcome == scenario::ScenarioResult::Outcome::kError &&
            r.error.find("UP within") == std::string::npos) {
          worst_error_code_ = std::max(worst_error_code_, r.error_exit_code);
        }
      }
    }

    co_await run_team_scenarios();

    if (report_.baseline_run) {
      SuiteRuns baseline{&report_.baseline_run->plan, {}, {}};
      SuiteRuns candidate{&report_.candidate.plan, {}, {}};
      for (int i = 0; i < repeat; ++i) {
        baseline.resilience.push_back(&report_.baseline_run->resilience[i]);
        baseline.peak.push_back(&report_.baseline_run->peak[i]);
        candidate.resilience.push_back(&report_.candidate.resilience[i]);
        candidate.peak.push_back(&report_.candidate.peak[i]);
      }
      report_.comparisons = compare(baseline, candidate, report_.slo);
      for (const auto& c : report_.comparisons) {
        if (c.verdict == Comparison::Verdict::kRegression) {
          report_.reasons.push_back(
              fmt::format("baseline comparison: {} regressed: {}", c.metric, c.detail));
        }
      }
    }
    if (worst_error_code_ != 0) {
      report_.exit_code = worst_error_code_;
    } else {
      report_.exit_code = report_.reasons.empty() ? kExitOk : kExitProbeFailed;
    }
  }

 private:
  void fail(int code, std::string message) {
    report_.exit_code = code;
    report_.reasons.push_back(std::move(message));
  }

  asio::awaitable<bool> haproxy_accepts(const topology::Topology& topology, std::string_view who) {
    std::string error;
    int code = kExitOk;
    try {
      co_await scenario::preflight(io_, topology);
    } catch (const InputError& e) {
      error = e.what();
      code = kExitBadInput;
    } catch (const EnvironmentError& e) {
      error = e.what();
      code = kExitEnvironment;
    }
    if (code == kExitOk) co_return true;
    if (who == "candidate" || report_.haproxy_message.empty()) report_.haproxy_message = error;
    fail(code, fmt::format("{}: {}", who, error));
    co_return false;
  }

  asio::awaitable<void> run_suite(ConfigRun& run, std::string_view who, int repeat_index) {
    scenario::RunOptions options;
    options.keep = options_.keep;
    spdlog::info("validate: {} {} (run {}): {:.0f}s of traffic at {:.0f}/s, then {:.0f}s at the "
                 "peak {:.0f}/s",
                 who, run.config.filename().string(), repeat_index + 1,
                 std::chrono::duration<double>(run.plan.resilience.traffic.duration).count(),
                 run.plan.resilience.traffic.rate,
                 std::chrono::duration<double>(run.plan.peak.traffic.duration).count(),
                 run.plan.peak.traffic.rate);
    {
      scenario::ScenarioRunner runner(io_, run.plan.resilience, options);
      run.resilience.push_back(co_await runner.run());
    }
    {
      scenario::ScenarioRunner runner(io_, run.plan.peak, options);
      run.peak.push_back(co_await runner.run());
    }
  }

  asio::awaitable<void> run_team_scenarios() {
    report_.team_scenario_specs.reserve(options_.team_scenarios.size());
    for (auto s : options_.team_scenarios) {
      if (s.topology.uses_user_config()) {
        s.topology.haproxy.config = report_.config;
      } else {
        s.topology = report_.topology;
      }
      report_.team_scenario_specs.push_back(std::move(s));
    }
    for (const auto& s : report_.team_scenario_specs) {
      scenario::ScenarioRunner runner(io_, s, {options_.keep, std::nullopt});
      report_.team_scenarios.push_back(co_await runner.run());
      const auto& result = report_.team_scenarios.back();
      if (result.outcome == scenario::ScenarioResult::Outcome::kError) {
        report_.reasons.push_back(fmt::format("scenario {}: could not run: {}", s.name, result.error));
        worst_error_code_ = std::max(worst_error_code_, result.error_exit_code);
        continue;
      }
      for (const auto& p : result.probes) {
        if (p.verdict == probes::ProbeResult::kPass) continue;
        report_.reasons.push_back(fmt::format("scenario {}: {} {}: {}", s.name, p.probe,
                                              p.verdict == probes::ProbeResult::kFail
                                                  ? "failed"
                                                  : "could not judge",
                                              p.detail));
      }
    }
  }

  asio::io_context& io_;
  const ValidateOptions& options_;
  ValidationReport& report_;
  int worst_error_code_ = 0;
  bool environment_error_ = false;
};

}  // namespace

asio::awaitable<ValidationReport> validate(asio::io_context& io, const ValidateOptions& options) {
  const MonoTime started = mono_now();
  ValidationReport report;
  Validation validation(io, options, report);
  co_await validation.run();
  report.wall_seconds = std::chrono::duration<double>(mono_now() - started).count();
  co_return report;
}

}  // namespace lbchaos::validate

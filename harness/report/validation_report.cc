#include "harness/report/validation_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/report/format.h"

namespace lbchaos::report {
namespace {

using validate::Comparison;
using validate::Finding;
using validate::ValidationReport;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string verdict_word(probes::ProbeResult::Verdict v) {
  switch (v) {
    case probes::ProbeResult::kPass: return "PASS";
    case probes::ProbeResult::kFail: return "FAIL";
    case probes::ProbeResult::kError: return "ERROR";
  }
  return "?";
}

std::string number(double v) {
  if (std::isnan(v)) return "-";
  return fmt::format("{:.2f}", v);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' ? ' ' : c;
    }
  }
  return out;
}

nlohmann::json probe_json(const probes::ProbeResult& p) {
  nlohmann::json j{{"probe", p.probe},     {"target", p.target},         {"unit", p.unit},
                   {"verdict", std::string(probes::to_string(p.verdict))}, {"detail", p.detail}};
  j["measured"] = std::isnan(p.measured) ? nlohmann::json(nullptr) : nlohmann::json(p.measured);
  j["threshold"] = p.threshold ? nlohmann::json(*p.threshold) : nlohmann::json(nullptr);
  j["comparison"] = p.comparison;
  return j;
}

nlohmann::json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

std::string slo_line(const topology::Slo& slo) {
  return fmt::format(
      "availability >= {:.2f}%, p99 <= {}, detection <= {}, failover <= {}, recovery <= {}, "
      "distribution within {:.0f} points, rate {:.0f}/s, peak {:.0f}/s, {} client addresses; "
      "servers not described: {} per request, {} at once{}",
      slo.availability * 100, human_duration(slo.p99_latency), human_duration(slo.detection),
      human_duration(slo.failover), human_duration(slo.recovery), slo.distribution * 100, slo.rate,
      slo.peak_rate, slo.clients, human_duration(slo.service_time), slo.server_concurrency,
      slo.server_concurrency_set ? "" : " (more where fewer servers must carry the peak)");
}

std::string verdict_sentence(const ValidationReport& r) {
  if (r.exit_code == 0) {
    return fmt::format("VALID: {} passes haproxy's check, {}the generated suite{} ({:.0f}s)",
                       r.config.filename().string(),
                       r.static_analysis ? "static analysis, " : "",
                       r.baseline ? " and the baseline comparison" : "", r.wall_seconds);
  }
  return fmt::format("{}: {} ({} reason{}, {:.0f}s)", validation_verdict(r), r.config.filename().string(),
                     r.reasons.size(), r.reasons.size() == 1 ? "" : "s", r.wall_seconds);
}

std::string_view validation_verdict(const ValidationReport& r) {
  switch (r.exit_code) {
    case 0: return "VALID";
    case 2: return "INVALID INPUT";
    case 3: return "ENVIRONMENT ERROR";
    default: return "NOT VALID";
  }
}

void print_validation(std::FILE* out, const ValidationReport& r) {
  fmt::print(out, "lbchaos validate {}{}\n", r.config.string(),
             r.baseline ? " against baseline " + r.baseline->string() : "");
  fmt::print(out, "topology: {}\nSLOs: {}\n", r.topology_source, slo_line(r.slo));

  fmt::print(out, "\n== 1. haproxy's check\n");
  if (!r.haproxy_message.empty()) {
    fmt::print(out, "REJECTED\n{}\n", r.haproxy_message);
  } else if (r.exit_code == 2 && r.findings.empty() && r.suite.empty()) {
    fmt::print(out, "not run\n");
  } else {
    fmt::print(out, "ok: haproxy -c accepts the config (as rewritten for the run)\n");
  }
  const bool checked = r.haproxy_message.empty() && !(r.exit_code == 2 && r.suite.empty());

  fmt::print(out, "\n== 2. Static analysis\n");
  if (!checked) {
    fmt::print(out, "not run\n");
  } else if (!r.static_analysis) {
    fmt::print(out, "off (--no-static): the verdict rests on measurements only\n");
  } else if (checked) {
    int errors = 0;
    for (const auto& f : r.findings) {
      errors += f.severity == Finding::Severity::kError ? 1 : 0;
      fmt::print(out, "{:<7} {}: {}: {}", validate::to_string(f.severity),
                 f.where.to_string(), f.check, f.message);
      if (!f.slo.empty()) fmt::print(out, " [threatens {}]", f.slo);
      fmt::print(out, "\n");
    }
    fmt::print(out, "{} finding(s): {} error(s), {} warning(s)\n", r.findings.size(), errors,
               r.findings.size() - static_cast<std::size_t>(errors));
  }

  fmt::print(out, "\n== 3. Generated suite\n");
  if (!checked) fmt::print(out, "not run\n");
  if (checked) {
    const auto& plan = r.candidate.plan;
    if (!plan.backend.empty()) {
      fmt::print(out, "backend {}: predicted detection {:.2f}-{:.2f}s, recovery {:.2f}-{:.2f}s{}\n",
                 plan.backend, seconds(plan.detection.low), seconds(plan.detection.high),
                 seconds(plan.recovery.low), seconds(plan.recovery.high),
                 plan.why_no_suite.empty() ? "" : " (" + plan.why_no_suite + ")");
    } else if (!plan.why_no_suite.empty()) {
      fmt::print(out, "no failover phases: {}\n", plan.why_no_suite);
    }
    fmt::print(out, "{:<38} {:<15} {:>10} {:>12}  {}\n", "phase", "probe", "measured",
               "threshold", "verdict");
    for (const auto& row : r.suite) {
      const auto& p = row.result;
      fmt::print(out, "{:<38} {:<15} {:>10} {:>12}  {}\n", row.phase, p.probe,
                 format_value(p.measured, p.unit),
                 format_threshold(p.threshold, p.comparison, p.unit), verdict_word(p.verdict));
      if (p.verdict != probes::ProbeResult::kPass) fmt::print(out, "    {}\n", p.detail);
    }
    for (std::size_t i = 0; i < r.team_scenarios.size(); ++i) {
      const auto& result = r.team_scenarios[i];
      fmt::print(out, "team scenario {}: {}\n", r.team_scenario_specs[i].name,
                 scenario::to_string(result.outcome));
      for (const auto& p : result.probes) {
        fmt::print(out, "    {:<15} {:>10} {:>12}  {}\n", p.probe, format_value(p.measured, p.unit),
                   format_threshold(p.threshold, p.comparison, p.unit), verdict_word(p.verdict));
      }
    }
  }

  if (r.baseline) {
    fmt::print(out, "\n== 4. Baseline comparison ({} vs {})\n", r.baseline->filename().string(),
               r.config.filename().string());
    fmt::print(out, "{:<42} {:>10} {:>10} {:>28}  {}\n", "metric", "baseline", "candidate",
               "difference [98% CI]", "verdict");
    for (const auto& c : r.comparisons) {
      const std::string diff =
          c.verdict == Comparison::Verdict::kNotEnoughData
              ? "-"
              : fmt::format("{:+.2f} [{:+.2f}, {:+.2f}] {}", c.difference, c.low, c.high, c.unit);
      fmt::print(out, "{:<42} {:>10} {:>10} {:>28}  {}\n", c.metric,
                 number(c.baseline) + (c.unit == "%" ? "%" : ""),
                 number(c.candidate) + (c.unit == "%" ? "%" : ""), diff,
                 validate::to_string(c.verdict));
      fmt::print(out, "    {}: {}\n", c.test, c.detail);
    }
  }

  fmt::print(out, "\n{}\n", verdict_sentence(r));
  if (r.exit_code == 0) return;
  for (const auto& reason : r.reasons) fmt::print(out, "  - {}\n", reason);
}

void write_validation_json(const std::filesystem::path& file, const ValidationReport& r) {
  nlohmann::json j;
  j["config"] = r.config.string();
  j["baseline"] = r.baseline ? nlohmann::json(r.baseline->string()) : nlohmann::json(nullptr);
  j["topology"] = r.topology_source;
  const auto& slo = r.slo;
  j["slo"] = {{"availability", slo.availability},
              {"p99_latency_s", seconds(slo.p99_latency)},
              {"detection_s", seconds(slo.detection)},
              {"failover_s", seconds(slo.failover)},
              {"recovery_s", seconds(slo.recovery)},
              {"distribution", slo.distribution},
              {"rate", slo.rate},
              {"peak_rate", slo.peak_rate},
              {"clients", slo.clients},
              {"service_time_s", seconds(slo.service_time)},
              {"server_concurrency", slo.server_concurrency}};
  j["haproxy_check"] = {{"accepted", r.haproxy_message.empty()}, {"message", r.haproxy_message}};
  j["static_analysis"] = r.static_analysis;
  auto& findings = j["findings"] = nlohmann::json::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"check", f.check},
                        {"severity", std::string(validate::to_string(f.severity))},
                        {"file", f.where.file},
                        {"line", f.where.line},
                        {"message", f.message},
                        {"value", f.value ? nlohmann::json(*f.value) : nlohmann::json(nullptr)},
                        {"unit", f.unit},
                        {"slo", f.slo}});
  }
  const auto& plan = r.candidate.plan;
  j["suite"] = {{"backend", plan.backend},
                {"predicted_detection_s", {seconds(plan.detection.low), seconds(plan.detection.high)}},
                {"predicted_recovery_s", {seconds(plan.recovery.low), seconds(plan.recovery.high)}}};
  auto& rows = j["suite"]["probes"] = nlohmann::json::array();
  for (const auto& row : r.suite) {
    auto p = probe_json(row.result);
    p["phase"] = row.phase;
    rows.push_back(std::move(p));
  }
  auto& team = j["team_scenarios"] = nlohmann::json::array();
  for (std::size_t i = 0; i < r.team_scenarios.size(); ++i) {
    nlohmann::json s{{"name", r.team_scenario_specs[i].name},
                     {"outcome", scenario::to_string(r.team_scenarios[i].outcome)},
                     {"error", r.team_scenarios[i].error}};
    for (const auto& p : r.team_scenarios[i].probes) s["probes"].push_back(probe_json(p));
    team.push_back(std::move(s));
  }
  auto& comparisons = j["comparisons"] = nlohmann::json::array();
  for (const auto& c : r.comparisons) {
    comparisons.push_back({{"metric", c.metric},
                           {"unit", c.unit},
                           {"baseline", finite_or_null(c.baseline)},
                           {"candidate", finite_or_null(c.candidate)},
                           {"difference", finite_or_null(c.difference)},
                           {"ci98", {finite_or_null(c.low), finite_or_null(c.high)}},
                           {"tolerance", c.tolerance},
                           {"p_value", finite_or_null(c.p_value)},
                           {"test", c.test},
                           {"baseline_samples", c.baseline_samples},
                           {"candidate_samples", c.candidate_samples},
                           {"verdict", std::string(validate::to_string(c.verdict))},
                           {"detail", c.detail}});
  }
  j["reasons"] = r.reasons;
  j["valid"] = r.exit_code == 0;
  j["exit_code"] = r.exit_code;
  j["wall_seconds"] = r.wall_seconds;
  std::ofstream out(file, std::ios::trunc);
  out << j.dump(2) << "\n";
  if (!out.flush()) throw EnvironmentError(fmt::format("cannot write {}", file.string()));
}

void write_validation_junit(const std::filesystem::path& file, const ValidationReport& r) {
  std::string body;
  int tests = 0;
  int failures = 0;
  const auto testcase = [&](const std::string& suite, const std::string& name,
                            const std::string& failure) {
    ++tests;
    body += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_escape(suite),
                        xml_escape(name));
    if (failure.empty()) {
      body += "/>\n";
    } else {
      ++failures;
      body += fmt::format("><failure message=\"{}\"/></testcase>\n", xml_escape(failure));
    }
  };
  testcase("validate.haproxy_check", "haproxy -c", r.haproxy_message);
  for (const auto& f : r.findings) {
    if (f.severity != Finding::Severity::kError) continue;
    testcase("validate.static_analysis", fmt::format("{} {}", f.check, f.where.to_string()),
             f.message);
  }
  for (const auto& row : r.suite) {
    const auto& p = row.result;
    const std::string name = fmt::format("{}: {}{}", row.phase, p.probe,
                                         p.target.empty() ? "" : " " + p.target);
    testcase("validate.suite", name,
             p.verdict == probes::ProbeResult::kPass
                 ? ""
                 : fmt::format("{} (measured {}, expected {})", p.detail,
                               format_value(p.measured, p.unit),
                               format_threshold(p.threshold, p.comparison, p.unit)));
  }
  for (std::size_t i = 0; i < r.team_scenarios.size(); ++i) {
    for (const auto& p : r.team_scenarios[i].probes) {
      testcase("validate.team." + r.team_scenario_specs[i].name, p.probe,
               p.verdict == probes::ProbeResult::kPass ? "" : p.detail);
    }
  }
  for (const auto& c : r.comparisons) {
    testcase("validate.baseline", c.metric,
             c.verdict == Comparison::Verdict::kRegression ? c.detail : "");
  }
  std::ofstream out(file, std::ios::trunc);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"lbchaos validate\" tests=\"{}\" failures=\"{}\">\n", tests,
                     failures);
  out << fmt::format("  <testsuite name=\"validate {}\" tests=\"{}\" failures=\"{}\">\n",
                     xml_escape(r.config.filename().string()), tests, failures);
  out << body << "  </testsuite>\n</testsuites>\n";
  if (!out.flush()) throw EnvironmentError(fmt::format("cannot write {}", file.string()));
}

}  // namespace lbchaos::report

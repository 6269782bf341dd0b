#include "harness/report/junit_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/report/format.h"

namespace lbchaos::report {

namespace {

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string testcase_name(const probes::ProbeResult& p) {
  std::string name = p.probe;
  if (!p.target.empty()) name += " " + p.target;
  return name + " (" + p.window + ")";
}

// Why an interrupted scenario's partial verdicts are not a pass: how much of its traffic ran.
std::string interrupted_message(const scenario::ScenarioResult& r) {
  const auto& run = r.recording;
  std::string ran = "before traffic started";
  if (!run.records.empty()) {
    const auto ran_ns = run.records.back().intended_ns - run.traffic_start_ns;
    const double ran_s = std::max(0.0, static_cast<double>(ran_ns) / 1e9);
    const double planned_s = std::chrono::duration<double>(r.scenario->traffic.duration).count();
    ran = fmt::format("after {:.1f} s of its {:.1f} s of traffic", ran_s, planned_s);
  }
  return fmt::format(
      "interrupted (SIGINT or SIGTERM) {}: faults were healed and everything torn down, but the "
      "probes judged only a partial run",
      ran);
}

}  // namespace

std::string junit_xml(const std::vector<scenario::ScenarioResult>& results) {
  int tests = 0, failures = 0, errors = 0;
  std::string suites;
  for (const auto& r : results) {
    const auto& name = r.scenario->name;
    std::string cases;
    int suite_tests = 0, suite_failures = 0, suite_errors = 0;
    if (r.outcome == scenario::ScenarioResult::Outcome::kError) {
      ++suite_tests;
      ++suite_errors;
      cases += fmt::format("    <testcase classname=\"{0}\" name=\"run\" time=\"{1:.3f}\">\n"
                           "      <error message=\"{2}\"/>\n    </testcase>\n",
                           xml_escape(name), r.wall_seconds, xml_escape(r.error));
    }
    if (r.outcome == scenario::ScenarioResult::Outcome::kInterrupted) {
      ++suite_tests;
      ++suite_errors;
      cases += fmt::format(
          "    <testcase classname=\"{0}\" name=\"interrupted\" time=\"{1:.3f}\">\n"
          "      <error type=\"interrupted\" message=\"{2}\"/>\n    </testcase>\n",
          xml_escape(name), r.wall_seconds, xml_escape(interrupted_message(r)));
    }
    for (const auto& p : r.probes) {
      ++suite_tests;
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n",
                           xml_escape(name), xml_escape(testcase_name(p)));
      const std::string message =
          fmt::format("measured {} vs threshold {}", format_value(p.measured, p.unit),
                      format_threshold(p.threshold, p.comparison, p.unit));
      if (p.verdict == probes::ProbeResult::kFail) {
        ++suite_failures;
        cases += fmt::format("      <failure message=\"{}\">{}</failure>\n", xml_escape(message),
                             xml_escape(p.detail));
      } else if (p.verdict == probes::ProbeResult::kError) {
        ++suite_errors;
        cases += fmt::format("      <error message=\"{}\">{}</error>\n", xml_escape(p.detail),
                             xml_escape(message));
      } else {
        cases += fmt::format("      <system-out>{}</system-out>\n", xml_escape(p.detail));
      }
      cases += "    </testcase>\n";
    }
    suites += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n{}"
        "  </testsuite>\n",
        xml_escape(name), suite_tests, suite_failures, suite_errors, r.wall_seconds, cases);
    tests += suite_tests;
    failures += suite_failures;
    errors += suite_errors;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"lbchaos\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n{}</testsuites>\n",
      tests, failures, errors, suites);
}

void write_junit(const std::filesystem::path& file,
                 const std::vector<scenario::ScenarioResult>& results) {
  std::ofstream out(file, std::ios::trunc);
  out << junit_xml(results);
  if (!out.flush()) throw EnvironmentError("cannot write " + file.string());
}

}  // namespace lbchaos::report

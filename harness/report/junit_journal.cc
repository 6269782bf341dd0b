#include "harness/report/junit_journal.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/report/format.h"
#include "harness/report/html_svg.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;

// XML 1.0 forbids most control characters, even escaped.
std::string xml_text(const std::string& text) {
  std::string clean = text;
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') c = ' ';
  }
  return html_escape(clean);
}

std::string string_of(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string junit_xml_from_journal(const json& journal) {
  int tests = 0, failures = 0, errors = 0;
  std::string suites;
  for (const auto& s : journal.value("scenarios", json::array())) {
    const std::string name = xml_text(s.value("scenario", json::object()).value("name", "?"));
    const std::string outcome = string_of(s, "outcome");
    const double seconds = s.value("wall_seconds", 0.0);
    std::string cases;
    int suite_tests = 0, suite_failures = 0, suite_errors = 0;
    if (outcome == "error" || outcome == "interrupted") {
      ++suite_tests;
      ++suite_errors;
      const std::string message =
          outcome == "error" ? string_of(s, "error")
                             : "interrupted (SIGINT or SIGTERM): faults were healed and everything "
                               "torn down, but the probes judged only a partial run";
      cases += fmt::format(
          "    <testcase classname=\"{0}\" name=\"{1}\" time=\"{2:.3f}\">\n"
          "      <error{3} message=\"{4}\"/>\n    </testcase>\n",
          name, outcome == "error" ? "run" : "interrupted", seconds,
          outcome == "error" ? "" : " type=\"interrupted\"", xml_text(message));
    }
    for (const auto& p : s.value("probes", json::array())) {
      ++suite_tests;
      std::string test = string_of(p, "probe");
      if (!string_of(p, "target").empty()) test += " " + string_of(p, "target");
      test += " (" + string_of(p, "window") + ")";
      const std::string unit = string_of(p, "unit");
      const json measured = p.value("measured", json());
      const json threshold = p.value("threshold", json());
      const std::string message = fmt::format(
          "measured {} vs threshold {}",
          format_value(measured.is_number() ? measured.get<double>() : std::nan(""), unit),
          format_threshold(threshold.is_number() ? std::optional(threshold.get<double>())
                                                 : std::nullopt,
                           string_of(p, "comparison"), unit));
      const std::string verdict = string_of(p, "verdict");
      const std::string detail = xml_text(string_of(p, "detail"));
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", name,
                           xml_text(test));
      if (verdict == "fail") {
        ++suite_failures;
        cases += fmt::format("      <failure message=\"{}\">{}</failure>\n", xml_text(message), detail);
      } else if (verdict != "pass") {
        ++suite_errors;
        cases += fmt::format("      <error message=\"{}\">{}</error>\n", detail, xml_text(message));
      } else {
        cases += fmt::format("      <system-out>{}</system-out>\n", detail);
      }
      cases += "    </testcase>\n";
    }
    suites += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n{}"
        "  </testsuite>\n",
        name, suite_tests, suite_failures, suite_errors, seconds, cases);
    tests += suite_tests;
    failures += suite_failures;
    errors += suite_errors;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"lbchaos\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n{}</testsuites>\n",
      tests, failures, errors, suites);
}

void write_junit_from_journal(const std::filesystem::path& file, const json& journal) {
  std::ofstream out(file, std::ios::trunc);
  out << junit_xml_from_journal(journal);
  if (!out.flush()) throw EnvironmentError("cannot write " + file.string());
}

}  // namespace lbchaos::report

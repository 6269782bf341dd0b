#include "harness/report/html_validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/report/format.h"
#include "harness/report/html_overlay.h"
#include "harness/report/html_page.h"
#include "harness/report/html_scenario.h"
#include "harness/report/html_svg.h"
#include "harness/report/json_journal.h"
#include "harness/report/validation_report.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;
using validate::Comparison;
using validate::Finding;
using validate::SuiteCheck;
using validate::ValidationReport;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// "not valid" -> "not-valid": a CSS class word.
std::string css_word(std::string_view text) {
  std::string out;
  for (const char c : text) out += c == ' ' ? '-' : static_cast<char>(std::tolower(c));
  return out;
}

std::string pill(std::string_view label) {
  std::string text(label);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return badge(text, css_word(text));
}

// --- the generated suite as journal scenarios ------------------------------------------------

json row_json(const SuiteCheck& row) {
  const auto& p = row.result;
  return {{"probe", p.probe},
          {"target", p.target},
          {"window", row.phase},
          {"measured", std::isnan(p.measured) ? json(nullptr) : json(p.measured)},
          {"threshold", p.threshold ? json(*p.threshold) : json(nullptr)},
          {"comparison", p.comparison},
          {"unit", p.unit},
          {"verdict", std::string(probes::to_string(p.verdict))},
          {"detail", p.detail}};
}

// One run of the generated suite as the journal writes a scenario, its probes the suite's rows
// of that run (phase in "window") and its outcome failed when one of them did not pass.
json generated_run(const scenario::ScenarioResult& result, const scenario::Scenario& as_run,
                   const std::vector<const SuiteCheck*>& rows, const std::string& name) {
  json s = scenario_journal_json(result, as_run);
  s["scenario"]["name"] = name;
  json probes = json::array();
  bool all_passed = true;
  for (const auto* row : rows) {
    probes.push_back(row_json(*row));
    all_passed = all_passed && row->result.verdict == probes::ProbeResult::kPass;
  }
  s["probes"] = probes;
  if (!all_passed && s["outcome"] == "passed") s["outcome"] = "failed";
  return s;
}

std::string run_name(const std::string& scenario, std::size_t repeat, std::size_t repeats) {
  return repeats > 1 ? fmt::format("{} (run {})", scenario, repeat + 1) : scenario;
}

// Every run of the candidate's suite, then the team's scenarios.
json suite_scenarios(const ValidationReport& r) {
  json scenarios = json::array();
  const auto& c = r.candidate;
  const std::size_t repeats = c.resilience.size();
  for (std::size_t i = 0; i < repeats; ++i) {
    std::vector<const SuiteCheck*> resilience_rows, peak_rows;
    if (i < c.checks.size()) {
      for (const auto& row : c.checks[i]) {
        (row.phase == c.plan.peak_phase.name ? peak_rows : resilience_rows).push_back(&row);
      }
    }
    scenarios.push_back(
        generated_run(c.resilience[i], c.plan.resilience, resilience_rows,
                      run_name(c.plan.resilience.name, i, repeats)));
    if (i < c.peak.size()) {
      scenarios.push_back(
          generated_run(c.peak[i], c.plan.peak, peak_rows, run_name(c.plan.peak.name, i, repeats)));
    }
  }
  for (std::size_t i = 0; i < r.team_scenarios.size() && i < r.team_scenario_specs.size(); ++i) {
    scenarios.push_back(scenario_journal_json(r.team_scenarios[i], r.team_scenario_specs[i]));
  }
  return scenarios;
}

// --- the stages ------------------------------------------------------------------------------

// Stage 1 ran and accepted the config, and so stages 2 and 3 ran (as the console says).
bool checked(const ValidationReport& r) {
  return r.haproxy_message.empty() && !(r.exit_code == 2 && r.suite.empty());
}

std::string index_section(const ValidationReport& r, const std::string& command_line) {
  std::string reasons;
  for (const auto& reason : r.reasons) reasons += fmt::format("<li>{}</li>", html_escape(reason));
  std::string meta = fmt::format("<dt>config</dt><dd><code>{}</code></dd>",
                                 html_escape(r.config.string()));
  if (r.baseline) {
    meta += fmt::format("<dt>baseline</dt><dd><code>{}</code></dd>", html_escape(r.baseline->string()));
  }
  meta += fmt::format("<dt>topology</dt><dd>{}</dd><dt>SLOs</dt><dd>{}</dd>",
                      html_escape(r.topology_source), html_escape(slo_line(r.slo)));
  if (!command_line.empty()) {
    meta += fmt::format("<dt>command</dt><dd><code>{}</code></dd>", html_escape(command_line));
  }
  std::string nav = "<a href=\"#check\">1. haproxy's check</a> · <a href=\"#findings\">2. static "
                    "analysis</a> · <a href=\"#suite\">3. generated suite</a>";
  if (r.baseline) nav += " · <a href=\"#baseline\">4. baseline comparison</a>";
  return fmt::format(
      "<section class=\"card\" id=\"index\"><h1>lbchaos validate</h1>"
      "<div class=\"verdict-line\" data-exit-code=\"{}\">{} {}</div>{}<dl class=\"meta\">{}</dl>"
      "<div>{}</div></section>\n",
      r.exit_code, pill(validation_verdict(r)), html_escape(verdict_sentence(r)),
      reasons.empty() ? "" : "<ul class=\"reasons\">" + reasons + "</ul>", meta, nav);
}

std::string check_section(const ValidationReport& r) {
  std::string body;
  if (!r.haproxy_message.empty()) {
    body = fmt::format("<div data-stage=\"rejected\">{} haproxy -c refuses the config</div>"
                       "<pre class=\"message\">{}</pre>",
                       pill("rejected"), html_escape(r.haproxy_message));
  } else if (!checked(r)) {
    body = fmt::format("<div data-stage=\"not-run\">{} the input was invalid before haproxy "
                       "could check it</div>",
                       pill("not run"));
  } else {
    body = fmt::format("<div data-stage=\"ok\">{} haproxy -c accepts the config (as rewritten for "
                       "the run)</div>",
                       pill("ok"));
  }
  return "<section class=\"card\" id=\"check\"><h2>1. haproxy's check</h2>" + body + "</section>\n";
}

std::string findings_section(const ValidationReport& r) {
  std::string body;
  if (!checked(r)) {
    body = "<p class=\"muted\">Not run.</p>";
  } else if (!r.static_analysis) {
    body = "<p class=\"muted\">Off (--no-static): the verdict rests on measurements only.</p>";
  } else if (r.findings.empty()) {
    body = "<p class=\"muted\">No findings.</p>";
  } else {
    std::vector<const Finding*> findings;
    for (const auto& f : r.findings) findings.push_back(&f);
    std::stable_sort(findings.begin(), findings.end(), [](const Finding* a, const Finding* b) {
      return a->severity == Finding::Severity::kError && b->severity != Finding::Severity::kError;
    });
    std::string rows;
    int errors = 0;
    for (const auto* f : findings) {
      const bool error = f->severity == Finding::Severity::kError;
      errors += error ? 1 : 0;
      rows += fmt::format(
          "<tr class=\"finding row-{0}\" data-severity=\"{1}\" data-check=\"{2}\"><td>{3}</td>"
          "<td class=\"mono\">{4}</td><td><b>{2}</b></td><td class=\"num\">{5}</td><td>{6}</td>"
          "<td class=\"detail\">{7}</td></tr>",
          error ? "fail" : "pass", validate::to_string(f->severity), html_escape(f->check),
          badge(std::string(validate::to_string(f->severity)), error ? "fail" : "warning"),
          html_escape(f->where.to_string()),
          html_escape(f->value ? format_value(*f->value, f->unit) : "-"),
          html_escape(f->slo.empty() ? "-" : f->slo), html_escape(f->message));
    }
    body = fmt::format(
        "<p>{} finding(s): {} error(s), {} warning(s). An error fails validation; a warning does "
        "not.</p><table class=\"findings\"><thead><tr><th>severity</th><th>where</th>"
        "<th>check</th><th class=\"num\">number</th><th>SLO threatened</th><th>message</th>"
        "</tr></thead><tbody>{}</tbody></table>",
        findings.size(), errors, static_cast<int>(findings.size()) - errors, rows);
  }
  return "<section class=\"card\" id=\"findings\"><h2>2. Static analysis</h2>" + body +
         "</section>\n";
}

std::string suite_section(const ValidationReport& r, const json& scenarios) {
  std::string body;
  const auto& plan = r.candidate.plan;
  if (!plan.backend.empty()) {
    body += fmt::format(
        "<p>Backend <b>{}</b>: predicted detection {:.2f}-{:.2f} s, recovery {:.2f}-{:.2f} s{}. "
        "Each run is one deployment with short phases back to back; each phase is judged over its "
        "own slice of the run (the probe table's window).</p>",
        html_escape(plan.backend), seconds(plan.detection.low), seconds(plan.detection.high),
        seconds(plan.recovery.low), seconds(plan.recovery.high),
        plan.why_no_suite.empty() ? "" : " (" + html_escape(plan.why_no_suite) + ")");
  } else if (!plan.why_no_suite.empty()) {
    body += fmt::format("<p>No failover phases: {}.</p>", html_escape(plan.why_no_suite));
  }
  if (scenarios.empty()) {
    body += "<p class=\"muted\">Not run.</p>";
  } else {
    body += suite_table(scenarios, failures_first(scenarios));
  }
  return "<section class=\"card\" id=\"suite\"><h2>3. Generated suite</h2>" + body +
         "</section>\n";
}

std::string comparison_verdict(Comparison::Verdict v) {
  return pill(validate::to_string(v));
}

std::string comparison_value(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:.2f}{}", v, unit == "%" ? "%" : " " + unit);
}

std::string comparison_table(const ValidationReport& r) {
  if (r.comparisons.empty()) return "<p class=\"muted\">No comparisons were made.</p>";
  std::string rows;
  for (const auto& c : r.comparisons) {
    const bool judged = c.verdict != Comparison::Verdict::kNotEnoughData;
    rows += fmt::format(
        "<tr class=\"comparison row-{0}\" data-verdict=\"{1}\"><td><b>{2}</b></td>"
        "<td class=\"num\">{3}</td><td class=\"num\">{4}</td><td class=\"num\">{5}</td><td>{6}</td>"
        "<td class=\"detail\">{7}: {8}</td></tr>",
        c.verdict == Comparison::Verdict::kRegression ? "fail" : "pass",
        css_word(validate::to_string(c.verdict)), html_escape(c.metric),
        html_escape(comparison_value(c.baseline, c.unit)),
        html_escape(comparison_value(c.candidate, c.unit)),
        judged ? html_escape(fmt::format("{:+.2f} [{:+.2f}, {:+.2f}] {}", c.difference, c.low,
                                         c.high, c.unit))
               : "-",
        comparison_verdict(c.verdict), html_escape(c.test), html_escape(c.detail));
  }
  return fmt::format(
      "<table class=\"comparisons\"><thead><tr><th>metric</th><th class=\"num\">baseline</th>"
      "<th class=\"num\">candidate</th><th class=\"num\">difference [98% CI]</th><th>verdict</th>"
      "<th>test</th></tr></thead><tbody>{}</tbody></table>",
      rows);
}

// Each generated run present on both sides, drawn over each other.
std::string overlays(const ValidationReport& r) {
  const auto& b = *r.baseline_run;
  const auto& c = r.candidate;
  const std::string baseline_label = "baseline " + r.baseline->filename().string();
  const std::string candidate_label = "candidate " + r.config.filename().string();
  std::string out;
  const auto pair = [&](const scenario::ScenarioResult& base, const scenario::Scenario& base_spec,
                        const scenario::ScenarioResult& cand, const scenario::Scenario& cand_spec,
                        const std::string& name, const std::string& id) {
    out += fmt::format("<h3>{}</h3>", html_escape(name));
    const json bj = scenario_journal_json(base, base_spec);
    const json cj = scenario_journal_json(cand, cand_spec);
    if (!bj.contains("timeline") || !cj.contains("timeline")) {
      out += fmt::format("<p class=\"muted\">Nothing to draw: the {} run recorded no traffic.</p>",
                         bj.contains("timeline") ? "candidate's" : "baseline's");
      return;
    }
    out += overlay_figure({bj, baseline_label}, {cj, candidate_label}, id);
  };
  const std::size_t repeats = std::min(b.resilience.size(), c.resilience.size());
  for (std::size_t i = 0; i < repeats; ++i) {
    pair(b.resilience[i], b.plan.resilience, c.resilience[i], c.plan.resilience,
         run_name(c.plan.resilience.name, i, repeats),
         fmt::format("resilience-{}", i + 1));
    if (i < b.peak.size() && i < c.peak.size()) {
      pair(b.peak[i], b.plan.peak, c.peak[i], c.plan.peak, run_name(c.plan.peak.name, i, repeats),
           fmt::format("peak-{}", i + 1));
    }
  }
  return out;
}

std::string baseline_section(const ValidationReport& r) {
  if (!r.baseline) return "";
  std::string body = fmt::format(
      "<p>The same seeded suite on <code>{}</code> (baseline) and <code>{}</code> (candidate), "
      "interleaved. A difference counts only when it is significant at 98% and outside the "
      "tolerance band; under 50 samples on either side is not enough data.</p>",
      html_escape(r.baseline->string()), html_escape(r.config.string()));
  body += comparison_table(r);
  if (r.baseline_run) body += overlays(r);
  return "<section class=\"card\" id=\"baseline\"><h2>4. Baseline against candidate</h2>" + body +
         "</section>\n";
}

}  // namespace

std::string html_validation(const ValidationReport& r, const std::string& command_line) {
  json journal{{"scenarios", suite_scenarios(r)}};
  if (!command_line.empty()) journal["command_line"] = command_line;
  const json& scenarios = journal["scenarios"];
  std::string body = index_section(r, command_line) + check_section(r) + findings_section(r) +
                     suite_section(r, scenarios) + baseline_section(r);
  for (const auto i : failures_first(scenarios)) {
    body += scenario_section(journal, scenarios[i], static_cast<int>(i));
  }
  return html_document(
      "lbchaos validate " + r.config.filename().string(), body,
      "Generated by lbchaos validate. Times are seconds from the start of traffic; charts show "
      "100 ms buckets.");
}

void write_html_validation(const std::filesystem::path& file, const ValidationReport& report,
                           const std::string& command_line) {
  std::ofstream out(file, std::ios::trunc);
  out << html_validation(report, command_line);
  if (!out.flush()) throw EnvironmentError("cannot write " + file.string());
}

}  // namespace lbchaos::report

#include "harness/report/html_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/report/format.h"
#include "harness/report/html_downsample.h"
#include "harness/report/html_figure.h"
#include "harness/report/html_page.h"
#include "harness/report/html_svg.h"

namespace lbchaos::report {

using nlohmann::json;

namespace {

// Failures first: a scenario that could not run, then failed, interrupted, passed.
int outcome_rank(const std::string& outcome) {
  if (outcome == "error") return 0;
  if (outcome == "failed") return 1;
  if (outcome == "interrupted") return 2;
  return 3;
}

int verdict_rank(const std::string& verdict) {
  if (verdict == "fail") return 0;
  if (verdict == "error") return 1;
  return 2;
}

std::string probe_table(const json& s) {
  std::vector<json> probes;
  if (journal_member(s, "probes").is_array()) probes.assign(s["probes"].begin(), s["probes"].end());
  if (probes.empty()) return "<p class=\"muted\">No probes were judged.</p>";
  std::stable_sort(probes.begin(), probes.end(), [](const json& a, const json& b) {
    return verdict_rank(journal_text(a, "verdict")) < verdict_rank(journal_text(b, "verdict"));
  });
  std::string rows;
  for (const auto& p : probes) {
    const std::string verdict = journal_text(p, "verdict");
    const std::string unit = journal_text(p, "unit");
    const json& measured = journal_member(p, "measured");
    const json& threshold = journal_member(p, "threshold");
    rows += fmt::format(
        "<tr class=\"row-{0}\" data-verdict=\"{0}\"><td>{1}</td><td><b>{2}</b></td><td>{3}</td>"
        "<td>{4}</td><td class=\"num\">{5}</td><td class=\"num\">{6}</td>"
        "<td class=\"detail\">{7}</td></tr>",
        html_escape(verdict), badge(verdict), html_escape(journal_text(p, "probe")),
        html_escape(journal_text(p, "target")), html_escape(journal_text(p, "window")),
        html_escape(format_value(measured.is_number() ? measured.get<double>() : std::nan(""), unit)),
        html_escape(format_threshold(threshold.is_number() ? std::optional(threshold.get<double>())
                                                           : std::nullopt,
                                     journal_text(p, "comparison"), unit)),
        html_escape(journal_text(p, "detail")));
  }
  return fmt::format(
      "<table class=\"probes\"><thead><tr><th>verdict</th><th>probe</th><th>target</th>"
      "<th>window</th><th class=\"num\">measured</th><th class=\"num\">threshold</th>"
      "<th>detail</th></tr></thead><tbody>{}</tbody></table>",
      rows);
}

std::string legend() {
  std::string items = "<span><i class=\"sw-ok\"></i>ok</span>";
  for (const auto& e : kErrorClasses) {
    items += fmt::format("<span><i class=\"sw-{0}\"></i>{0}</span>", e);
  }
  items += "<span><i style=\"background:rgba(214,60,50,.18)\"></i>fault window</span>";
  for (const char* state : {"UP", "DOWN", "DRAIN", "MAINT", "NOLB"}) {
    items += fmt::format("<span><i class=\"sw-{0}\"></i>{0}</span>", state);
  }
  items += "<span>── share of traffic</span>";
  for (const char* state : {"pending", "firing", "resolved"}) {
    items += fmt::format("<span><i class=\"sw-{0}\"></i>alert {0}</span>", state);
  }
  return "<div class=\"legend\">" + items + "</div>";
}

std::string meta_list(const json& journal, const json& s) {
  std::string hashes;
  const json& sha = journal_member(s, "config_sha256");
  if (sha.is_object()) {
    for (const auto& [path, hash] : sha.items()) {
      hashes += fmt::format("<div><code>{}</code> <span class=\"muted\">{}</span></div>",
                            html_escape(hash.is_string() ? hash.get<std::string>() : hash.dump()),
                            html_escape(path));
    }
  }
  const json& sc = journal_member(s, "scenario");
  const json& traffic = journal_member(sc, "traffic");
  std::string items = fmt::format(
      "<dt>file</dt><dd><code>{}</code></dd><dt>seed</dt><dd><code>{}</code></dd>"
      "<dt>haproxy</dt><dd>{}</dd><dt>traffic</dt><dd>{:g} req/s for {:g} s, {} requests</dd>"
      "<dt>config sha256</dt><dd>{}</dd>",
      html_escape(journal_text(sc, "file")), html_escape(journal_text(s, "seed")),
      html_escape(journal_text(s, "haproxy_version")), journal_number(traffic, "rate"),
      journal_number(traffic, "duration_s"), html_escape(journal_text(s, "requests")),
      hashes.empty() ? "<span class=\"muted\">none recorded</span>" : hashes);
  const std::string command = journal_text(journal, "command_line");
  if (!command.empty()) {
    items += fmt::format("<dt>command</dt><dd><code>{}</code></dd>", html_escape(command));
  }
  return "<dl class=\"meta\">" + items + "</dl>";
}

}  // namespace

std::string journal_text(const json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json& journal_member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

double journal_number(const json& object, const char* key) {
  const json& v = journal_member(object, key);
  return v.is_number() ? v.get<double>() : 0.0;
}

std::string scenario_name(const json& s) {
  const std::string name = journal_text(journal_member(s, "scenario"), "name");
  return name.empty() ? "(unnamed scenario)" : name;
}

ProbeCounts count_probes(const json& s) {
  ProbeCounts c;
  const json& probes = journal_member(s, "probes");
  if (!probes.is_array()) return c;
  for (const auto& p : probes) {
    const std::string v = journal_text(p, "verdict");
    if (v == "pass") ++c.passed;
    else if (v == "fail") ++c.failed;
    else ++c.errors;
  }
  return c;
}

std::string scenario_section(const json& journal, const json& s, int index) {
  const std::string outcome = journal_text(s, "outcome");
  const auto counts = count_probes(s);
  std::string body;
  const std::string description = journal_text(journal_member(s, "scenario"), "description");
  if (!description.empty()) body += fmt::format("<p class=\"muted\">{}</p>", html_escape(description));
  body += meta_list(journal, s);
  if (outcome == "error") {
    body += fmt::format("<div class=\"error-box\">Could not run: {}</div>",
                        html_escape(journal_text(s, "error")));
  }
  if (const json& aborted = journal_member(s, "aborted"); aborted.is_object()) {
    body += fmt::format("<div class=\"error-box\">Aborted at {:.2f} s: {}</div>",
                        journal_number(aborted, "at_s"), html_escape(journal_text(aborted, "reason")));
  }
  if (journal_member(s, "timeline").is_object()) {
    body += fmt::format(
        "<div class=\"tools\">zoom <button data-zoom=\"2\" data-target=\"fig-{0}\">+</button>"
        "<button data-zoom=\"0.5\" data-target=\"fig-{0}\">&minus;</button>"
        "<button data-zoom=\"reset\" data-target=\"fig-{0}\">reset</button></div>",
        index);
    body += scenario_figure(s, index);
    body += legend();
  }
  body += probe_table(s);
  return fmt::format(
      "<section class=\"card scenario\" id=\"scenario-{0}\" data-outcome=\"{1}\">"
      "<div class=\"section-head\">{2}<h2>{3}</h2><span class=\"muted\">{4} passed, {5} failed, "
      "{6} errors · {7:.1f} s</span><a class=\"back\" href=\"#index\">↑ suite index</a></div>{8}"
      "</section>\n",
      index, html_escape(outcome), badge(outcome), html_escape(scenario_name(s)), counts.passed,
      counts.failed, counts.errors, journal_number(s, "wall_seconds"), body);
}

std::vector<std::size_t> failures_first(const json& scenarios) {
  std::vector<std::size_t> order(scenarios.is_array() ? scenarios.size() : 0);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return outcome_rank(journal_text(scenarios[a], "outcome")) <
           outcome_rank(journal_text(scenarios[b], "outcome"));
  });
  return order;
}

std::string suite_table(const json& scenarios, const std::vector<std::size_t>& order) {
  std::string rows;
  for (const auto i : order) {
    const json& s = scenarios[i];
    const std::string outcome = journal_text(s, "outcome");
    const auto c = count_probes(s);
    rows += fmt::format(
        "<tr class=\"row-{0}\" data-outcome=\"{0}\"><td>{1}</td><td><a href=\"#scenario-{2}\">{3}"
        "</a><div class=\"muted mono\">{4}</div></td><td class=\"num\">{5}</td>"
        "<td class=\"num\">{6}</td><td class=\"num\">{7}</td><td class=\"num\">{8:.1f} s</td></tr>",
        outcome == "passed" ? "pass" : "fail", badge(outcome), i, html_escape(scenario_name(s)),
        html_escape(journal_text(journal_member(s, "scenario"), "file")), c.passed, c.failed,
        c.errors, journal_number(s, "wall_seconds"));
  }
  return fmt::format(
      "<table class=\"suite\"><thead><tr><th>verdict</th><th>scenario</th>"
      "<th class=\"num\">passed</th><th class=\"num\">failed</th><th class=\"num\">errors</th>"
      "<th class=\"num\">duration</th></tr></thead><tbody>{}</tbody></table>",
      rows);
}

}  // namespace lbchaos::report

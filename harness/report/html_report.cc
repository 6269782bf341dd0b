#include "harness/report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/report/format.h"
#include "harness/report/html_assets.h"
#include "harness/report/html_downsample.h"
#include "harness/report/html_figure.h"
#include "harness/report/html_svg.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string scenario_name(const json& s) {
  const std::string name = text_of(member(s, "scenario"), "name");
  return name.empty() ? "(unnamed scenario)" : name;
}

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

struct ProbeCounts {
  int passed = 0, failed = 0, errors = 0;
};

ProbeCounts count_probes(const json& s) {
  ProbeCounts c;
  const json& probes = member(s, "probes");
  if (!probes.is_array()) return c;
  for (const auto& p : probes) {
    const std::string v = text_of(p, "verdict");
    if (v == "pass") ++c.passed;
    else if (v == "fail") ++c.failed;
    else ++c.errors;
  }
  return c;
}

std::string badge(const std::string& verdict) {
  return fmt::format("<span class=\"badge v-{0}\">{0}</span>", html_escape(verdict));
}

double number_of(const json& object, const char* key) {
  const json& v = member(object, key);
  return v.is_number() ? v.get<double>() : 0.0;
}

std::string probe_table(const json& s) {
  std::vector<json> probes;
  if (member(s, "probes").is_array()) probes.assign(s["probes"].begin(), s["probes"].end());
  if (probes.empty()) return "<p class=\"muted\">No probes were judged.</p>";
  std::stable_sort(probes.begin(), probes.end(), [](const json& a, const json& b) {
    return verdict_rank(text_of(a, "verdict")) < verdict_rank(text_of(b, "verdict"));
  });
  std::string rows;
  for (const auto& p : probes) {
    const std::string verdict = text_of(p, "verdict");
    const std::string unit = text_of(p, "unit");
    const json& measured = member(p, "measured");
    const json& threshold = member(p, "threshold");
    rows += fmt::format(
        "<tr class=\"row-{0}\" data-verdict=\"{0}\"><td>{1}</td><td><b>{2}</b></td><td>{3}</td>"
        "<td>{4}</td><td class=\"num\">{5}</td><td class=\"num\">{6}</td>"
        "<td class=\"detail\">{7}</td></tr>",
        html_escape(verdict), badge(verdict), html_escape(text_of(p, "probe")),
        html_escape(text_of(p, "target")), html_escape(text_of(p, "window")),
        html_escape(format_value(measured.is_number() ? measured.get<double>() : std::nan(""), unit)),
        html_escape(format_threshold(threshold.is_number() ? std::optional(threshold.get<double>())
                                                           : std::nullopt,
                                     text_of(p, "comparison"), unit)),
        html_escape(text_of(p, "detail")));
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
  const json& sha = member(s, "config_sha256");
  if (sha.is_object()) {
    for (const auto& [path, hash] : sha.items()) {
      hashes += fmt::format("<div><code>{}</code> <span class=\"muted\">{}</span></div>",
                            html_escape(hash.is_string() ? hash.get<std::string>() : hash.dump()),
                            html_escape(path));
    }
  }
  const json& sc = member(s, "scenario");
  const json& traffic = member(sc, "traffic");
  std::string items = fmt::format(
      "<dt>file</dt><dd><code>{}</code></dd><dt>seed</dt><dd><code>{}</code></dd>"
      "<dt>haproxy</dt><dd>{}</dd><dt>traffic</dt><dd>{:g} req/s for {:g} s, {} requests</dd>"
      "<dt>config sha256</dt><dd>{}</dd>",
      html_escape(text_of(sc, "file")), html_escape(text_of(s, "seed")),
      html_escape(text_of(s, "haproxy_version")), number_of(traffic, "rate"),
      number_of(traffic, "duration_s"), html_escape(text_of(s, "requests")),
      hashes.empty() ? "<span class=\"muted\">none recorded</span>" : hashes);
  const std::string command = text_of(journal, "command_line");
  if (!command.empty()) {
    items += fmt::format("<dt>command</dt><dd><code>{}</code></dd>", html_escape(command));
  }
  return "<dl class=\"meta\">" + items + "</dl>";
}

std::string scenario_section(const json& journal, const json& s, int index) {
  const std::string outcome = text_of(s, "outcome");
  const auto counts = count_probes(s);
  std::string body;
  const std::string description = text_of(member(s, "scenario"), "description");
  if (!description.empty()) body += fmt::format("<p class=\"muted\">{}</p>", html_escape(description));
  body += meta_list(journal, s);
  if (outcome == "error") {
    body += fmt::format("<div class=\"error-box\">Could not run: {}</div>",
                        html_escape(text_of(s, "error")));
  }
  if (const json& aborted = member(s, "aborted"); aborted.is_object()) {
    body += fmt::format("<div class=\"error-box\">Aborted at {:.2f} s: {}</div>",
                        number_of(aborted, "at_s"), html_escape(text_of(aborted, "reason")));
  }
  if (member(s, "timeline").is_object()) {
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
      counts.failed, counts.errors, number_of(s, "wall_seconds"), body);
}

std::string suite_index(const json& journal, const std::vector<std::size_t>& order) {
  const json& scenarios = journal["scenarios"];
  std::string rows;
  int scenarios_passed = 0;
  for (const auto i : order) {
    const json& s = scenarios[i];
    const std::string outcome = text_of(s, "outcome");
    scenarios_passed += outcome == "passed";
    const auto c = count_probes(s);
    rows += fmt::format(
        "<tr class=\"row-{0}\" data-outcome=\"{0}\"><td>{1}</td><td><a href=\"#scenario-{2}\">{3}"
        "</a><div class=\"muted mono\">{4}</div></td><td class=\"num\">{5}</td>"
        "<td class=\"num\">{6}</td><td class=\"num\">{7}</td><td class=\"num\">{8:.1f} s</td></tr>",
        outcome == "passed" ? "pass" : "fail", badge(outcome), i, html_escape(scenario_name(s)),
        html_escape(text_of(member(s, "scenario"), "file")), c.passed, c.failed, c.errors,
        number_of(s, "wall_seconds"));
  }
  const bool all_passed = scenarios_passed == static_cast<int>(order.size()) && !order.empty();
  std::string context;
  const std::string command = text_of(journal, "command_line");
  if (!command.empty()) context += fmt::format("<div>command: <code>{}</code></div>", html_escape(command));
  if (const json& shard = member(journal, "shard"); shard.is_object()) {
    context += fmt::format("<div>shard {} of {}</div>", text_of(shard, "index"), text_of(shard, "total"));
  }
  if (const json& from = member(journal, "merged_from"); from.is_array()) {
    std::vector<std::string> files;
    for (const auto& f : from) files.push_back(html_escape(f.is_string() ? f.get<std::string>() : f.dump()));
    context += fmt::format("<div>merged from {} journal(s): <code>{}</code></div>", files.size(),
                           fmt::join(files, "</code>, <code>"));
  }
  return fmt::format(
      "<section class=\"card\" id=\"index\"><h1>lbchaos report</h1>"
      "<div class=\"verdict-line\">{} {} of {} scenario(s) passed</div><div class=\"muted\">{}</div>"
      "<table class=\"suite\"><thead><tr><th>verdict</th><th>scenario</th>"
      "<th class=\"num\">passed</th><th class=\"num\">failed</th><th class=\"num\">errors</th>"
      "<th class=\"num\">duration</th></tr></thead><tbody>{}</tbody></table></section>\n",
      badge(all_passed ? "passed" : "failed"), scenarios_passed, order.size(), context, rows);
}

}  // namespace

std::string html_report(const json& journal) {
  static const json kNoScenarios = json::array();
  const json& scenarios = member(journal, "scenarios").is_array() ? journal["scenarios"] : kNoScenarios;
  std::vector<std::size_t> order(scenarios.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return outcome_rank(text_of(scenarios[a], "outcome")) <
           outcome_rank(text_of(scenarios[b], "outcome"));
  });
  json normalized = journal.is_object() ? journal : json::object();
  normalized["scenarios"] = scenarios;
  std::string sections;
  for (const auto i : order) sections += scenario_section(normalized, scenarios[i], static_cast<int>(i));
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>lbchaos report</title><style>{}</style></head>\n<body><main>\n{}{}"
      "<footer>Generated by lbchaos from its JSON journal. Times are seconds from the start of "
      "traffic; charts show 100 ms buckets (wider columns on long runs keep each column's worst "
      "error count and latency).</footer></main>\n<script>{}</script></body></html>\n",
      html_style(), suite_index(normalized, order), sections, html_script());
}

void write_html_report(const json& journal, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::trunc);
  out << html_report(journal);
  if (!out.flush()) throw EnvironmentError("cannot write " + file.string());
}

}  // namespace lbchaos::report

// The two shipped rule files say the same thing: alerts/default-rules.toml (the embedded engine,
// built in) and alerts/haproxy.rules.yml (PromQL, for production). Each story below is one
// recorded series set, scraped every second; the embedded evaluator runs over it here, and
// `promtool test rules` runs the PromQL rules over the very same series and is asked to find,
// at every second, exactly the alerts the embedded engine had firing. Values straddle each
// rule's threshold, so a threshold, a `for` or a window that drifts in one file fails the test.
// Decisions are compared once every window is full (from kWindowsFull on): before that,
// Prometheus extrapolates a rate over a half-empty window and the embedded engine does not
// (harness/alerting/evaluator.h), so every story starts with a healthy lead-in that long.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/alerting/default_rules.h"
#include "harness/alerting/evaluator.h"

namespace lbchaos::alerting {
namespace {

namespace fs = std::filesystem;
using observe::Labels;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::size_t kWindowsFull = 10;  // seconds: the longest window of the shipped rules

// One series: its metric, labels, Prometheus job, and a value per second (none = absent).
struct Series {
  std::string metric;
  Labels labels;
  std::string job;
  std::vector<std::optional<double>> values;
};

struct Story {
  std::string name;
  std::vector<Series> series;
};

// Values per second from (count, value) runs: steps({{12, 1}, {5, 0}}) = 1 x12, then 0 x5.
std::vector<std::optional<double>> steps(std::initializer_list<std::pair<int, double>> runs) {
  std::vector<std::optional<double>> values;
  for (const auto& [count, value] : runs) values.insert(values.end(), count, value);
  return values;
}

// A counter growing by `per_second` for `count` seconds in each run, starting at `start`.
std::vector<std::optional<double>> counter(double start,
                                           std::initializer_list<std::pair<int, double>> runs) {
  std::vector<std::optional<double>> values;
  double value = start;
  for (const auto& [count, per_second] : runs) {
    for (int i = 0; i < count; ++i) {
      values.push_back(value);
      value += per_second;
    }
  }
  return values;
}

Labels lb0(Labels more) {
  more["instance"] = "lb0";
  return more;
}

std::vector<Story> stories() {
  std::vector<Story> all;
  // A server DOWN for three seconds, another never.
  all.push_back({"server down",
                 {{"haproxy_server_status", lb0({{"proxy", "app"}, {"server", "web1"}, {"state", "DOWN"}}),
                   "haproxy", steps({{12, 0}, {3, 1}, {8, 0}})},
                  {"haproxy_server_status", lb0({{"proxy", "app"}, {"server", "web2"}, {"state", "DOWN"}}),
                   "haproxy", steps({{23, 0}})}}});
  // Active servers fall to 0 twice; one backup server UP in between holds the alert off.
  all.push_back({"no alive backends",
                 {{"haproxy_backend_active_servers", lb0({{"proxy", "app"}}), "haproxy",
                   steps({{12, 3}, {2, 1}, {6, 0}, {4, 2}})},
                  {"haproxy_backend_backup_servers", lb0({{"proxy", "app"}}), "haproxy",
                   steps({{16, 0}, {2, 1}, {6, 0}})}}});
  // 1,000 responses/s: 3% 5xx (below 5%) for 20 s, 6.6% for 15 s, then none.
  all.push_back({"5xx ratio",
                 {{"haproxy_backend_http_responses_total", lb0({{"proxy", "app"}, {"code", "2xx"}}),
                   "haproxy", counter(5000, {{20, 970}, {15, 934}, {20, 1000}})},
                  {"haproxy_backend_http_responses_total", lb0({{"proxy", "app"}, {"code", "5xx"}}),
                   "haproxy", counter(500, {{20, 30}, {15, 66}, {20, 0}})}}});
  // Check failures counted for two seconds, then none: firing while the 10 s window holds them.
  all.push_back({"health check failures",
                 {{"haproxy_server_check_failures_total", lb0({{"proxy", "app"}, {"server", "web1"}}),
                   "haproxy", counter(7, {{12, 0}, {2, 1}, {20, 0}})},
                  {"haproxy_server_check_failures_total", lb0({{"proxy", "app"}, {"server", "web2"}}),
                   "haproxy", counter(3, {{34, 0}})}}});
  // Busiest server at 1.5x the average (quiet), then 2.1x (fires), then the same shape at
  // 6 sessions/s in all, below the 10/s minimum (quiet).
  all.push_back({"traffic imbalance",
                 {{"haproxy_server_sessions_total", lb0({{"proxy", "app"}, {"server", "web1"}}),
                   "haproxy", counter(1000, {{20, 50}, {15, 70}, {20, 4.2}})},
                  {"haproxy_server_sessions_total", lb0({{"proxy", "app"}, {"server", "web2"}}),
                   "haproxy", counter(1000, {{20, 25}, {15, 15}, {20, 0.9}})},
                  {"haproxy_server_sessions_total", lb0({{"proxy", "app"}, {"server", "web3"}}),
                   "haproxy", counter(1000, {{20, 25}, {15, 15}, {20, 0.9}})}}});
  // 20 sessions/s: 8 in flight (0.4 s, quiet), then 12 (0.6 s, fires); a server at 0.5/s with
  // 5 in flight is below the 1/s minimum (quiet).
  all.push_back({"response time",
                 {{"haproxy_server_sessions_total", lb0({{"proxy", "app"}, {"server", "web1"}}),
                   "haproxy", counter(100, {{34, 20}})},
                  {"haproxy_server_current_sessions", lb0({{"proxy", "app"}, {"server", "web1"}}),
                   "haproxy", steps({{14, 8}, {8, 12}, {12, 8}})},
                  {"haproxy_server_sessions_total", lb0({{"proxy", "quiet"}, {"server", "web2"}}),
                   "haproxy", counter(100, {{34, 0.5}})},
                  {"haproxy_server_current_sessions", lb0({{"proxy", "quiet"}, {"server", "web2"}}),
                   "haproxy", steps({{34, 5}})}}});
  // Weights 100/100/100, then 100/0/0 (fires), 90/10/0 (exactly 90%: fires), 89/11/0 (quiet);
  // a one-server backend holds all its weight and stays quiet.
  all.push_back({"weight imbalance",
                 {{"haproxy_server_weight", lb0({{"proxy", "app"}, {"server", "web1"}}), "haproxy",
                   steps({{12, 100}, {3, 100}, {3, 90}, {3, 89}})},
                  {"haproxy_server_weight", lb0({{"proxy", "app"}, {"server", "web2"}}), "haproxy",
                   steps({{12, 100}, {3, 0}, {3, 10}, {3, 11}})},
                  {"haproxy_server_weight", lb0({{"proxy", "app"}, {"server", "web3"}}), "haproxy",
                   steps({{12, 100}, {3, 0}, {3, 0}, {3, 0}})},
                  {"haproxy_server_weight", lb0({{"proxy", "solo"}, {"server", "s1"}}), "haproxy",
                   steps({{21, 100}})}}});
  // The frontend stops answering for one round (shorter than `for`: quiet), then for three.
  all.push_back({"frontend unreachable",
                 {{"lbchaos_frontend_up", lb0({{"frontend", "www"}}), "lbchaos",
                   steps({{12, 1}, {1, 0}, {3, 1}, {3, 0}, {3, 1}})}}});
  // haproxy's exporter stops answering for one round, then for three.
  all.push_back({"exporter down",
                 {{"up", lb0({}), "haproxy", steps({{12, 1}, {1, 0}, {3, 1}, {3, 0}, {3, 1}})}}});
  // One reload refused: firing while the 10 s window holds the increase.
  all.push_back({"reload failed",
                 {{"lbchaos_reload_failures_total", lb0({}), "lbchaos",
                   steps({{12, 0}, {16, 1}})}}});
  return all;
}

int seconds_of(const Story& story) {
  std::size_t longest = 0;
  for (const Series& series : story.series) longest = std::max(longest, series.values.size());
  return static_cast<int>(longest);
}

// The alert instances the embedded engine has firing at every second, as PromQL label sets.
std::vector<std::set<Labels>> embedded_firing(const Story& story) {
  Evaluator evaluator(default_rules());
  const int seconds = seconds_of(story);
  std::vector<std::set<Labels>> firing(static_cast<std::size_t>(seconds));
  std::map<std::pair<std::string, Labels>, AlertState> state;
  std::size_t seen = 0;
  for (int second = 0; second < seconds; ++second) {
    observe::ScrapeRound round{.at_ns = second * kSecond, .samples = {}};
    for (const Series& series : story.series) {
      const auto& value = series.values.at(static_cast<std::size_t>(second));
      if (value) round.samples.push_back({series.metric, series.labels, *value});
    }
    evaluator.observe(round);
    for (; seen < evaluator.events().size(); ++seen) {
      const AlertEvent& event = evaluator.events()[seen];
      state[{event.rule, event.labels}] = event.state;
    }
    for (const auto& [instance, now] : state) {
      if (now != AlertState::kFiring) continue;
      Labels labels = instance.second;
      labels["alertname"] = instance.first;
      firing[static_cast<std::size_t>(second)].insert(labels);
    }
  }
  return firing;
}

std::string promql_labels(const Labels& labels) {
  std::string text;
  for (const auto& [name, value] : labels) {
    text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", name, value);
  }
  return text;
}

std::string promtool_values(const Series& series) {
  std::string text;
  for (const auto& value : series.values) {
    if (!text.empty()) text += ' ';
    text += value ? fmt::format("{}", *value) : "stale";
  }
  return text;
}

// A promtool test group: the story's series, and at every second the firing alerts the
// embedded engine had (`sum without (job)`: the embedded engine's samples carry no job label).
std::string promtool_group(const Story& story, const std::vector<std::set<Labels>>& firing) {
  std::string yaml = fmt::format("  # {}\n  - interval: 1s\n    input_series:\n", story.name);
  for (const Series& series : story.series) {
    Labels labels = series.labels;
    labels["job"] = series.job;
    yaml += fmt::format("      - series: '{}{{{}}}'\n        values: '{}'\n", series.metric,
                        promql_labels(labels), promtool_values(series));
  }
  yaml += "    promql_expr_test:\n";
  for (std::size_t second = kWindowsFull; second < firing.size(); ++second) {
    yaml += fmt::format(
        "      - expr: 'sum without (job) (ALERTS{{alertstate=\"firing\"}})'\n"
        "        eval_time: {}s\n        exp_samples:{}\n",
        second, firing[second].empty() ? " []" : "");
    for (Labels labels : firing[second]) {
      labels["alertstate"] = "firing";
      yaml += fmt::format("          - labels: '{{{}}}'\n            value: 1\n",
                          promql_labels(labels));
    }
  }
  return yaml;
}

struct CommandResult {
  int status = -1;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.output += buffer.data();
  }
  result.status = pclose(pipe);
  return result;
}

TEST(AlertRulesStories, EveryShippedAlertFiresInSomeStory) {
  std::set<std::string> fired;
  for (const Story& story : stories()) {
    const auto firing = embedded_firing(story);
    for (std::size_t second = kWindowsFull; second < firing.size(); ++second) {
      for (const Labels& labels : firing[second]) fired.insert(labels.at("alertname"));
    }
  }
  std::set<std::string> shipped;
  for (const Rule& rule : default_rules()) shipped.insert(rule.name);
  EXPECT_EQ(fired, shipped) << "every shipped alert must fire in some story, or the comparison "
                               "below says nothing about it";
}

class AlertRulesAgree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v promtool").status != 0) {
      FAIL() << "promtool is not installed (Debian's package prometheus has it): run "
                "scripts/setup.sh, then the tests again";
    }
    std::string dir_template = (fs::temp_directory_path() / "lbchaos-rules-agree-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // `promtool test rules` of `rules` against the embedded engine's decisions in every story.
  CommandResult promtool_against_embedded(const fs::path& rules) const {
    std::string yaml = fmt::format(
        "# generated by alert_rules_agree_test.cc\nrule_files:\n  - {}\n"
        "evaluation_interval: 1s\ntests:\n",
        rules.string());
    for (const Story& story : stories()) yaml += promtool_group(story, embedded_firing(story));
    const fs::path test_file = dir_ / "agree.test.yml";
    std::ofstream(test_file) << yaml;
    return run(fmt::format("promtool test rules '{}'", test_file.string()));
  }

  fs::path dir_;
};

const fs::path kShippedPromQL = fs::path(LBCHAOS_SOURCE_DIR) / "alerts" / "haproxy.rules.yml";

TEST_F(AlertRulesAgree, PromtoolFindsTheEmbeddedEnginesDecisionsAtEverySecond) {
  const CommandResult result = promtool_against_embedded(kShippedPromQL);
  EXPECT_EQ(result.status, 0) << "alerts/haproxy.rules.yml and alerts/default-rules.toml disagree "
                                 "(promtool's 'exp' is the embedded engine's decision):\n"
                              << result.output;
}

// The comparison can fail: the PromQL file with one threshold moved (5% -> 7% of 5xx) drifts.
TEST_F(AlertRulesAgree, AMovedThresholdInThePromQLFileIsCaught) {
  std::ifstream in(kShippedPromQL);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string threshold = "/ sum by (instance, proxy) (rate(haproxy_backend_http_responses_total[10s]))\n          > 0.05";
  const auto at = text.find(threshold);
  ASSERT_NE(at, std::string::npos) << "the 5xx rule's threshold is no longer written as expected";
  text.replace(at + threshold.size() - 4, 4, "0.07");
  const fs::path drifted = dir_ / "drifted.rules.yml";
  std::ofstream(drifted) << text;
  const CommandResult result = promtool_against_embedded(drifted);
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("HaproxyHighHttp5xxErrorRateBackend"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace lbchaos::alerting

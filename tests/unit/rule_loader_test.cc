#include "tests/unit/support/input_errors.h"
#include "harness/alerting/rule_loader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/alerting/default_rules.h"
#include "harness/alerting/evaluator.h"

namespace lbchaos::alerting {
namespace {

namespace fs = std::filesystem;
using test_support::CorpusCase;
using test_support::expect_input_error;
using test_support::read_case;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kData = LBCHAOS_TEST_DATA;
const fs::path kSource = LBCHAOS_SOURCE_DIR;


std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RuleLoader, ReadsASelectorRule) {
  const auto rules = load_rules_text(R"(
[[rule]]
name = "HaproxyServerDown"
summary = "haproxy marks a server DOWN"
severity = "critical"
labels = { team = "edge" }
for = "2s"
expr = { metric = "haproxy_server_status", labels = { state = "DOWN" }, labels_not = { proxy = "stats" }, labels_match = { server = "web[12]" }, labels_not_match = { server = "web9" } }
at_least = 1
)",
                                     "rules.toml");
  ASSERT_EQ(rules.size(), 1u);
  const Rule& rule = rules[0];
  EXPECT_EQ(rule.name, "HaproxyServerDown");
  EXPECT_EQ(rule.summary, "haproxy marks a server DOWN");
  EXPECT_EQ(rule.labels, (observe::Labels{{"severity", "critical"}, {"team", "edge"}}));
  EXPECT_EQ(rule.hold, 2s);
  EXPECT_EQ(rule.where.to_string(), "rules.toml:2:1");
  EXPECT_EQ(rule.condition.expression.kind, Expression::Kind::kSelector);
  const Selector& selector = rule.condition.expression.operands.at(0);
  EXPECT_EQ(selector.metric, "haproxy_server_status");
  ASSERT_EQ(selector.matchers.size(), 4u);
  EXPECT_EQ(selector.matchers[0].op, LabelMatcher::Op::kEqual);
  EXPECT_EQ(selector.matchers[1].op, LabelMatcher::Op::kNotEqual);
  EXPECT_EQ(selector.matchers[2].op, LabelMatcher::Op::kRegex);
  EXPECT_EQ(selector.matchers[2].value, "web[12]");
  EXPECT_EQ(selector.matchers[3].op, LabelMatcher::Op::kNotRegex);
  EXPECT_EQ(rule.condition.comparison.op, Comparison::Op::kAtLeast);
  EXPECT_EQ(rule.condition.comparison.threshold, 1);
  EXPECT_FALSE(rule.only_if.has_value());
}

TEST(RuleLoader, ReadsRatioSumAndOnlyIf) {
  const auto rules = load_rules_text(R"(
[[rule]]
name = "NoAlive"
sum_of = [{ metric = "haproxy_backend_active_servers" }, { metric = "haproxy_backend_backup_servers" }]
equals = 0

[[rule]]
name = "Imbalance"
above = 1.75
only_if = { expr = { metric = "s", function = "rate", window = "10s", aggregate = "sum", by = ["proxy", "instance"] }, above = 10 }
[rule.ratio]
numerator = { metric = "s", function = "rate", window = "10s", aggregate = "max", by = ["instance", "proxy"] }
denominator = { metric = "s", function = "increase", window = "1m", aggregate = "avg", by = ["instance", "proxy"] }
)",
                                     "rules.toml");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].condition.expression.kind, Expression::Kind::kSum);
  EXPECT_EQ(rules[0].condition.expression.operands.size(), 2u);
  EXPECT_EQ(rules[0].condition.comparison.op, Comparison::Op::kEquals);
  EXPECT_EQ(rules[0].hold, 0s);

  const Expression& ratio = rules[1].condition.expression;
  EXPECT_EQ(ratio.kind, Expression::Kind::kRatio);
  ASSERT_EQ(ratio.operands.size(), 2u);
  EXPECT_EQ(ratio.operands[0].function, Selector::Function::kRate);
  EXPECT_EQ(ratio.operands[0].window, 10s);
  EXPECT_EQ(ratio.operands[0].aggregate, Selector::Aggregate::kMax);
  EXPECT_THAT(ratio.operands[0].by, ElementsAre("instance", "proxy"));
  EXPECT_EQ(ratio.operands[1].function, Selector::Function::kIncrease);
  EXPECT_EQ(ratio.operands[1].window, 1min);
  EXPECT_EQ(ratio.operands[1].aggregate, Selector::Aggregate::kAvg);
  ASSERT_TRUE(rules[1].only_if.has_value());
  EXPECT_EQ(rules[1].only_if->comparison.threshold, 10);
  EXPECT_EQ(rules[1].only_if->expression.operands.at(0).aggregate, Selector::Aggregate::kSum);
}

TEST(RuleLoader, MissingFileIsAnInputError) {
  const InputError error = expect_input_error([] { (void)load_rules_file("/nonexistent/r.toml"); });
  EXPECT_THAT(error.what(), HasSubstr("cannot read rules file"));
}

// ---- the built-in rules and their Prometheus twin ----

TEST(DefaultRules, BuiltInTextIsTheRepositoryFile) {
  EXPECT_EQ(default_rules_text(), read_text(kSource / "alerts/default-rules.toml"));
}

TEST(DefaultRules, LoadAndCoverTheIssueList) {
  const auto rules = default_rules();
  std::set<std::string> names;
  for (const Rule& rule : rules) {
    names.insert(rule.name);
    EXPECT_FALSE(rule.summary.empty()) << rule.name;
    EXPECT_TRUE(rule.labels.contains("severity")) << rule.name;
    EXPECT_LE(rule.hold, 3s) << rule.name << ": `for` must suit a ~20 s chaos run";
  }
  EXPECT_EQ(
      names,
      (std::set<std::string>{
          "HaproxyServerDown", "HaproxyHasNoAliveBackends", "HaproxyHighHttp5xxErrorRateBackend",
          "HaproxyServerHealthcheckFailure", "HaproxyTrafficImbalance", "HaproxyHighResponseTime",
          "LbchaosFrontendUnreachable", "HaproxyExporterDown", "HaproxyReloadFailed",
          "HaproxyWeightImbalance"}));
  EXPECT_TRUE(Evaluator(rules).metric_names().contains("lbchaos_frontend_up"));
}

TEST(DefaultRules, SameAlertNamesAsThePrometheusRules) {
  const std::string yaml = read_text(kSource / "alerts/haproxy.rules.yml");
  static const std::regex kAlert(R"(- alert: (\w+))");
  std::set<std::string> yaml_names;
  for (auto it = std::sregex_iterator(yaml.begin(), yaml.end(), kAlert);
       it != std::sregex_iterator(); ++it) {
    yaml_names.insert((*it)[1]);
  }
  std::set<std::string> toml_names;
  for (const Rule& rule : default_rules()) toml_names.insert(rule.name);
  EXPECT_EQ(yaml_names, toml_names);
}

// ---- the malformed corpus: tests/data/rules/bad/*.toml, one mistake per file ----

std::vector<fs::path> corpus_files() {
  return test_support::corpus_files(kData / "rules/bad");
}

class RulesCorpus : public ::testing::TestWithParam<fs::path> {};

TEST_P(RulesCorpus, FailsAtTheStatedPositionWithTheStatedMessage) {
  const CorpusCase c = read_case(GetParam());
  ASSERT_GT(c.line, 0) << GetParam() << ": first line must be '# expect: L:C substring'";
  const InputError error = expect_input_error([&] { (void)load_rules_file(c.file); });
  EXPECT_THAT(error.what(),
              StartsWith(fmt::format("{}:{}:{}: ", c.file.string(), c.line, c.column)));
  EXPECT_THAT(error.what(), HasSubstr(c.substring));
}

INSTANTIATE_TEST_SUITE_P(Malformed, RulesCorpus, ::testing::ValuesIn(corpus_files()),
                         [](const ::testing::TestParamInfo<fs::path>& param) {
                           std::string name = param.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(RulesCorpusSize, HasAtLeastTwentyFiles) { EXPECT_GE(corpus_files().size(), 20u); }

}  // namespace
}  // namespace lbchaos::alerting

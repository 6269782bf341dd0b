#include "faults/catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faults/random.h"

namespace lbchaos::faults {
namespace {

using ::testing::IsEmpty;

// The README's row for one action: family, action, target, parameters, whether random draws it.
std::string readme_row(const Family& family, const ActionInfo& action) {
  std::vector<std::string> params;
  for (const ParamInfo& param : action.params) {
    std::string text = fmt::format("`{}`", param.key);
    if (!param.default_toml.empty()) {
      text += fmt::format(" (default `{}`)", param.default_toml);
    } else if (param.required()) {
      text += " (required)";
    }
    params.push_back(fmt::format("{}: {}", text, param.meaning));
  }
  std::vector<std::string> targets;
  if ((action.targets & scenario::kServer) != 0) targets.emplace_back("server");
  if ((action.targets & scenario::kInstance) != 0) targets.emplace_back("haproxy instance");
  const std::string target = action.draws_faults ? "drawn" : fmt::format("{}", fmt::join(targets, ", "));
  return fmt::format("| {} | `{}` | {} | {} | {} | {} |", family.name, action.name, target,
                     params.empty() ? std::string("—") : fmt::format("{}", fmt::join(params, "; ")),
                     action.random_may_draw ? "yes" : "no", action.summary);
}

std::vector<std::string> readme_rows() {
  std::vector<std::string> rows;
  for (const Family* family : families()) {
    for (const ActionInfo& action : family->actions) rows.push_back(readme_row(*family, action));
  }
  return rows;
}

// The rows of the README's fault table: the table after the "### Faults" heading whose header
// starts with "| family | action |".
std::vector<std::string> rows_in_readme() {
  std::ifstream in(std::string(LBCHAOS_SOURCE_DIR) + "/README.md");
  std::vector<std::string> rows;
  bool in_section = false, in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("### ")) in_section = line == "### Faults";
    if (!in_section) continue;
    if (line.starts_with("| family | action |")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (!line.starts_with("|")) break;
    if (!line.starts_with("|---")) rows.push_back(line);
  }
  return rows;
}

TEST(FaultCatalogue, TheReadmeFaultTableIsTheCatalogue) {
  const auto expected = readme_rows();
  EXPECT_EQ(rows_in_readme(), expected)
      << "README.md's fault table must list the catalogue; paste these rows under the header:\n"
      << fmt::format("{}", fmt::join(expected, "\n"));
}

TEST(FaultCatalogue, EveryActionIsDeclaredOnce) {
  std::set<std::string_view> names;
  for (const std::string_view name : action_names()) {
    EXPECT_TRUE(names.insert(name).second) << name << " is declared twice";
    EXPECT_NE(find_action(name), nullptr);
  }
  EXPECT_EQ(find_action("explode"), nullptr);
}

TEST(FaultCatalogue, EveryDefaultIsValidForItsOwnType) {
  for (const Family* family : families()) {
    for (const ActionInfo& action : family->actions) {
      const auto params = default_params(action);  // reads each default as a file would
      for (const ParamInfo& param : action.params) {
        EXPECT_EQ(params.contains(param.key), !param.default_toml.empty())
            << action.name << "." << param.key;
        EXPECT_FALSE(param.required() && !param.default_toml.empty());
      }
    }
  }
}

TEST(FaultCatalogue, RandomDrawsOnlyActionsThatNeedNoParameters) {
  EXPECT_THAT(random_actions(), ::testing::Contains("kill"));
  for (const std::string_view name : random_actions()) {
    const ActionInfo& action = *find_action(name);
    for (const ParamInfo& param : action.params) {
      EXPECT_FALSE(param.required()) << name << " needs " << param.key;
    }
    EXPECT_NE(family_of(action).make, nullptr) << name;
  }
}

TEST(FaultCatalogue, EffectsFollowTheParameters) {
  scenario::FaultSpec corrupt;
  corrupt.action = "config_corrupt";
  corrupt.params = default_params(*find_action(corrupt.action));
  EXPECT_EQ(effects_of(corrupt), unsigned{scenario::kConfigChange});
  corrupt.params["apply"] = std::string("restart");
  EXPECT_EQ(effects_of(corrupt), unsigned{scenario::kConfigChange | scenario::kLbOutage});
  EXPECT_EQ(describe_faults_with(scenario::kLbOutage),
            "a [[fault]] with action = \"lb_kill\" or action = \"config_corrupt\" with apply = "
            "\"restart\"");
}

TEST(FaultCatalogue, TheJournalRecordsEveryParameterUnderItsKey) {
  scenario::FaultSpec slow;
  slow.action = "slow";
  slow.params["delay"] = Duration(std::chrono::milliseconds(250));
  EXPECT_EQ(journal_params(slow), (nlohmann::json{{"delay_s", 0.25}}));
}

}  // namespace
}  // namespace lbchaos::faults

// `lbchaos merge JOURNAL... [--json F] [--junit F] [--html F]`: the journals of a sharded run
// combined into one summary and one verdict, exit code as one unsharded `run` would have given.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "harness/cli/commands.h"
#include "harness/cli/logging.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/report/html_report.h"
#include "harness/report/json_journal.h"
#include "harness/report/junit_journal.h"
#include "harness/report/merge.h"

namespace lbchaos::cli {

namespace {

struct MergeOptions {
  std::vector<std::string> journals;
  std::string json;
  std::string junit;
  std::string html;
};

void print_merged(const nlohmann::json& merged) {
  int passed = 0;
  for (const auto& s : merged["scenarios"]) {
    const std::string outcome = s.value("outcome", "error");
    passed += outcome == "passed";
    fmt::print("{:<12} {}\n", outcome, s["scenario"].value("name", "?"));
  }
  const auto& sum = merged["summary"];
  fmt::print("\n{} of {} scenario(s) passed (merged from {} journal(s)); probes: {} passed, {} "
             "failed, {} errors\n",
             passed, merged["scenarios"].size(), merged["merged_from"].size(),
             sum.value("passed", 0), sum.value("failed", 0), sum.value("errors", 0));
  std::fflush(stdout);
}

int merge(const MergeOptions& options) {
  setup_logging(false, false);
  nlohmann::json merged;
  try {
    std::vector<std::filesystem::path> files(options.journals.begin(), options.journals.end());
    merged = report::merge_journals(files);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  print_merged(merged);
  try {
    if (!options.json.empty()) report::write_json(options.json, merged);
    if (!options.junit.empty()) report::write_junit_from_journal(options.junit, merged);
    if (!options.html.empty()) report::write_html_report(merged, options.html);
  } catch (const EnvironmentError& e) {
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  }
  return report::journal_exit_code(merged);
}

}  // namespace

void add_merge_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<MergeOptions>();
  auto* cmd = app.add_subcommand(
      "merge", "Combine the journals of sharded runs (run --shard I/N --json F) into one verdict");
  cmd->add_option("journals", options->journals, "Journals written by run --json")->required();
  cmd->add_option("--json", options->json, "Write the merged journal here");
  cmd->add_option("--junit", options->junit, "Write JUnit XML here");
  cmd->add_option("--html", options->html, "Write the self-contained HTML report here");
  cmd->callback([options, &exit_code] { exit_code = merge(*options); });
}

}  // namespace lbchaos::cli

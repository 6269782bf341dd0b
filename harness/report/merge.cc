#include "harness/report/merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"

namespace lbchaos::report {

namespace {

using nlohmann::json;

json read_journal(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("{}: cannot read the journal", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  json journal;
  try {
    journal = json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("{}: not a JSON journal: {}", file.string(), e.what()));
  }
  if (!journal.is_object() || journal.value("tool", "") != "lbchaos" ||
      !journal.contains("scenarios") || !journal["scenarios"].is_array()) {
    throw InputError(fmt::format(
        "{}: not an lbchaos journal (expected an object with \"tool\": \"lbchaos\" and a "
        "\"scenarios\" array, as `lbchaos run --json` writes)",
        file.string()));
  }
  int n = 0;
  for (const auto& s : journal["scenarios"]) {
    ++n;
    if (!s.is_object() || !s.contains("outcome") || !s["outcome"].is_string() ||
        !s.contains("scenario") || !s["scenario"].is_object()) {
      throw InputError(fmt::format("{}: scenario #{} has no \"scenario\" or \"outcome\"",
                                   file.string(), n));
    }
  }
  return journal;
}

// Checks that sharded journals are all the shards of one split, each once.
void check_shards(const std::vector<std::filesystem::path>& files, const std::vector<json>& journals) {
  std::optional<int> total;
  std::map<int, std::string> seen;
  bool any = false, all = true;
  for (std::size_t i = 0; i < journals.size(); ++i) {
    const auto it = journals[i].find("shard");
    if (it == journals[i].end() || !it->is_object()) {
      all = false;
      continue;
    }
    any = true;
    const int index = it->value("index", 0), n = it->value("total", 0);
    if (total && *total != n) {
      throw InputError(fmt::format("{}: shard {}/{} is from a split into {}, the others into {}",
                                   files[i].string(), index, n, n, *total));
    }
    total = n;
    if (const auto [prev, inserted] = seen.emplace(index, files[i].string()); !inserted) {
      throw InputError(fmt::format("{}: shard {}/{} was already given as {}", files[i].string(),
                                   index, n, prev->second));
    }
  }
  if (!any) return;
  if (!all) {
    throw InputError("some journals are shards (run --shard) and some are not: merge the shards "
                     "of one run");
  }
  std::vector<std::string> missing;
  for (int i = 1; i <= *total; ++i) {
    if (!seen.contains(i)) missing.push_back(fmt::format("{}/{}", i, *total));
  }
  if (!missing.empty()) {
    throw InputError(fmt::format(
        "shard(s) {} missing: the merged verdict would not cover the whole suite",
        fmt::join(missing, ", ")));
  }
}

}  // namespace

json journal_summary(const json& scenarios) {
  int passed = 0, failed = 0, errors = 0;
  for (const auto& s : scenarios) {
    if (s.value("outcome", "") == "error") ++errors;
    if (!s.contains("probes") || !s["probes"].is_array()) continue;
    for (const auto& p : s["probes"]) {
      const std::string v = p.value("verdict", "");
      if (v == "pass") ++passed;
      else if (v == "fail") ++failed;
      else ++errors;
    }
  }
  return {{"passed", passed}, {"failed", failed}, {"errors", errors}};
}

int journal_exit_code(const json& journal) {
  int code = kExitOk;
  for (const auto& s : journal.value("scenarios", json::array())) {
    const std::string outcome = s.value("outcome", "error");
    if (outcome == "passed") continue;
    if (outcome == "failed" || outcome == "interrupted") {
      code = std::max(code, int{kExitProbeFailed});
    } else {
      code = std::max(code, s.value("exit_code", int{kExitEnvironment}));
    }
  }
  return code;
}

json merge_journals(const std::vector<std::filesystem::path>& files) {
  if (files.empty()) throw InputError("merge: no journals given");
  std::vector<json> journals;
  for (const auto& f : files) journals.push_back(read_journal(f));
  check_shards(files, journals);

  struct Entry {
    json scenario;
    int suite_index;
    std::string file;
  };
  std::vector<Entry> entries;
  std::map<std::string, std::string> origin;  // scenario file + seed -> journal it came from
  json shards = json::array();
  for (std::size_t i = 0; i < journals.size(); ++i) {
    if (journals[i].contains("shard")) shards.push_back(journals[i]["shard"]);
    for (auto& s : journals[i]["scenarios"]) {
      const std::string file = s["scenario"].value("file", "");
      const std::string key = fmt::format("{}#{}", file, s.value("seed", json()).dump());
      if (const auto [prev, inserted] = origin.emplace(key, files[i].string()); !inserted) {
        throw InputError(fmt::format("{}: scenario {} (seed {}) is also in {}", files[i].string(),
                                     file, s.value("seed", json()).dump(), prev->second));
      }
      entries.push_back({s, s.value("suite_index", std::numeric_limits<int>::max()), file});
    }
  }
  // The order of one unsharded run: by position in the suite, then by file.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.suite_index, a.file) < std::tie(b.suite_index, b.file);
  });
  json scenarios = json::array();
  for (auto& e : entries) scenarios.push_back(std::move(e.scenario));
  json merged_from = json::array();
  for (const auto& f : files) merged_from.push_back(f.string());
  json merged{{"tool", "lbchaos"},
              {"merged_from", merged_from},
              {"shards", shards},
              {"summary", journal_summary(scenarios)}};
  if (!journals.front().value("command_line", "").empty()) {
    merged["command_line"] = journals.front()["command_line"];
  }
  merged["scenarios"] = std::move(scenarios);
  return merged;
}

}  // namespace lbchaos::report

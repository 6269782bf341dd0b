#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

// `lbchaos merge`: the journals of a sharded run (`run --shard I/N --json F` on each runner)
// combined into one journal, in the order one unsharded run would have had, with one summary.
namespace lbchaos::report {

// Reads and checks every journal and merges them. Throws InputError (exit 2) with the file's
// name for a file that cannot be read, is not JSON (with its line and column) or not an lbchaos
// journal, for shards of different splits, for a shard given twice or missing (a merged verdict
// must cover the whole suite), and for a scenario found in two journals.
[[nodiscard]] nlohmann::json merge_journals(const std::vector<std::filesystem::path>& files);

// The exit code `run` gives for these results: 0 all passed, 1 a probe failed or a scenario was
// interrupted, else the exit code of a scenario that could not run (2 or 3).
[[nodiscard]] int journal_exit_code(const nlohmann::json& journal);

// {"passed", "failed", "errors"} over every probe (a scenario that could not run is one error).
[[nodiscard]] nlohmann::json journal_summary(const nlohmann::json& scenarios);

}  // namespace lbchaos::report

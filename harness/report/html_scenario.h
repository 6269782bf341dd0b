#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// One scenario of a journal as the HTML pages draw it: a section with its verdict, metadata
// (file, seed, haproxy version, config hashes, command line), the timeline figure with its
// legend and zoom buttons, and the probe table (failures first). The run report draws one per
// scenario; the validation page one per run of its generated suite.
namespace lbchaos::report {

// Lookups into journal JSON that never throw: a missing or null key reads as "" / 0 / null.
[[nodiscard]] std::string journal_text(const nlohmann::json& object, const char* key);
[[nodiscard]] const nlohmann::json& journal_member(const nlohmann::json& object, const char* key);
[[nodiscard]] double journal_number(const nlohmann::json& object, const char* key);

[[nodiscard]] std::string scenario_name(const nlohmann::json& scenario);

struct ProbeCounts {
  int passed = 0, failed = 0, errors = 0;
};
[[nodiscard]] ProbeCounts count_probes(const nlohmann::json& scenario);

// The section of `scenario` (an entry of a journal's "scenarios"), anchored at
// id="scenario-<index>" and linking back to "#index". `journal` supplies the command line.
[[nodiscard]] std::string scenario_section(const nlohmann::json& journal,
                                           const nlohmann::json& scenario, int index);

// Indices of `scenarios` with failures first: could not run, failed, interrupted, passed.
[[nodiscard]] std::vector<std::size_t> failures_first(const nlohmann::json& scenarios);

// The suite index table: one row per scenario in `order` (verdict, name and file, probes passed,
// failed and errors, duration), each linking to "#scenario-<index>".
[[nodiscard]] std::string suite_table(const nlohmann::json& scenarios,
                                      const std::vector<std::size_t>& order);

}  // namespace lbchaos::report

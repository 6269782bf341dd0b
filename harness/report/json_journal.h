#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/scenario/result.h"

namespace lbchaos::report {

// The journal (DESIGN.md "Results"): per scenario the scenario and topology as run, seed,
// haproxy version, sha256 of every config, fault events, haproxy events, a timeline of 100 ms
// buckets and every probe result; top-level summary {passed, failed, errors}. Times are seconds
// from the start of traffic.
[[nodiscard]] nlohmann::json journal_json(const std::vector<scenario::ScenarioResult>& results);
void write_json_journal(const std::filesystem::path& file,
                        const std::vector<scenario::ScenarioResult>& results);

}  // namespace lbchaos::report

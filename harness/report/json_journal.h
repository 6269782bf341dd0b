#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/process/network_isolation.h"
#include "harness/scenario/result.h"

namespace lbchaos::report {

// The journal (DESIGN.md "Results"): per scenario the scenario and topology as run, seed,
// haproxy version, sha256 of every config, fault events, haproxy events, a timeline of 100 ms
// buckets and every probe result; top-level summary {passed, failed, errors}. Times are seconds
// from the start of traffic.
// With `isolation`, the top level says whether the run had its own network namespace
// ("isolated") and why ("isolation").
[[nodiscard]] nlohmann::json journal_json(
    const std::vector<scenario::ScenarioResult>& results,
    const std::optional<process::NetworkIsolation>& isolation = std::nullopt);
// One scenario's entry in the journal's "scenarios" array.
[[nodiscard]] nlohmann::json scenario_journal_json(const scenario::ScenarioResult& result);
// The same, with the scenario as run given: for results whose `scenario` pointer no longer
// points at it (a ValidationReport that was moved, validation.h).
[[nodiscard]] nlohmann::json scenario_journal_json(const scenario::ScenarioResult& result,
                                                   const scenario::Scenario& as_run);
// Writes a journal already built (e.g. with the command line and shard added).
void write_json(const std::filesystem::path& file, const nlohmann::json& journal);
void write_json_journal(const std::filesystem::path& file,
                        const std::vector<scenario::ScenarioResult>& results,
                        const std::optional<process::NetworkIsolation>& isolation = std::nullopt);

}  // namespace lbchaos::report

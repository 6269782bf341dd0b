#pragma once

#include <filesystem>
#include <string_view>

#include <toml++/toml.h>

#include "harness/scenario/model.h"

// Reads a scenario file (DESIGN.md "Files (TOML)", "Scenario") strictly, with the same rules as
// the topology loader: unknown keys, wrong types, bad values and references to things the
// topology does not have are InputErrors with "file:line:col: message".
namespace lbchaos::scenario {

// `file` is used as given in error messages; Scenario::file is its absolute path. The scenario's
// `topology` path is resolved against the scenario file's directory and loaded with
// topology::load_topology, whose errors keep the topology file's own positions.
[[nodiscard]] Scenario load_scenario(const std::filesystem::path& file);

// The same rules over text already in memory, as if it had been read from `file` (the topology
// path is still resolved against `file`'s directory and read from disk).
[[nodiscard]] Scenario parse_scenario(std::string_view text, const std::filesystem::path& file);

// One [[fault]] without its `at` (action, target, heal_after, parameters) with exactly the checks
// and messages of a scenario file's, against `topology`; errors name `source` as the file. What
// `lbchaos inject` validates a command line with.
[[nodiscard]] FaultSpec parse_fault(const toml::table& table, const topology::Topology& topology,
                                    std::string_view source);

// True when `toml_file` has a top-level `topology` key, i.e. it is a scenario rather than a
// topology (for commands given folders holding both). A file with a TOML syntax error is judged
// by its top-level lines so that the scenario loader reports the error; an unreadable file is
// not a scenario (the topology loader then reports why it cannot be read).
[[nodiscard]] bool looks_like_scenario(const std::filesystem::path& toml_file);

}  // namespace lbchaos::scenario

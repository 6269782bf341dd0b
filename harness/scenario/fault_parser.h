#pragma once

#include <string_view>

#include <toml++/toml.h>

#include "harness/common/duration.h"
#include "harness/common/toml_reader.h"
#include "harness/model/model.h"
#include "harness/topology/model.h"

// One [[fault]] read against the fault catalogue (faults/catalogue.h): the scenario loader reads
// each of a file's faults with it, and a command line that describes one fault (`lbchaos
// inject`) can build the same table and get the same checks and messages.
namespace lbchaos::scenario {

// Reads a fault: `at` (before `traffic_duration`), `action` (one of the catalogue's), `target`
// (of a kind the action takes, in `topology`), `heal_after`, and the action's parameters, typed
// and within their bounds, defaults filled in. Throws InputError "file:line:col: message" with
// `source_name` as the file.
[[nodiscard]] FaultSpec parse_fault(const toml::table& table, const topology::Topology& topology,
                                    Duration traffic_duration, std::string_view source_name);

// The same over a table the scenario loader is already reading.
[[nodiscard]] FaultSpec read_fault(const TableReader& table, const topology::Topology& topology,
                                   Duration traffic_duration);

}  // namespace lbchaos::scenario

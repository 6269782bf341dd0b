#pragma once

#include <filesystem>
#include <string_view>

#include "harness/topology/model.h"

// Reads a topology file (see DESIGN.md "Files (TOML)") strictly: unknown keys, wrong types,
// bad values and broken references are InputErrors with "file:line:col: message".
namespace lbchaos::topology {

// `file` is used as given in error messages; Topology::file is its absolute path, and relative
// paths inside the file (haproxy.config) are resolved against its directory.
[[nodiscard]] Topology load_topology(const std::filesystem::path& file);

// The same rules over text already in memory, as if it had been read from `file`.
[[nodiscard]] Topology parse_topology(std::string_view text, const std::filesystem::path& file);

}  // namespace lbchaos::topology

#pragma once

#include <filesystem>

#include "harness/topology/slo.h"
#include "harness/common/toml_reader.h"

// The `[slo]` table of a topology file (topology/slo.h), read as strictly as the rest of it:
// the topology loader checks it, `lbchaos validate` reads it.
namespace lbchaos::topology {

// From the topology file's root table; defaults when there is no [slo].
[[nodiscard]] Slo read_slo(const TableReader& root);

// From a topology file (throws InputError as load_topology does).
[[nodiscard]] Slo load_slo(const std::filesystem::path& topology_file);

}  // namespace lbchaos::topology

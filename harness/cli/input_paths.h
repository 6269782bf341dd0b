#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lbchaos::cli {

// Files as given, folders as every *.toml below them (sorted, so runs are repeatable).
[[nodiscard]] std::vector<std::filesystem::path> expand_toml_paths(
    const std::vector<std::string>& paths);

}  // namespace lbchaos::cli

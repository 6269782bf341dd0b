#pragma once

#include <filesystem>
#include <string>

namespace lbchaos::deploy {

// The last `max_lines` lines of a log file, indented for an error message ("" if none).
[[nodiscard]] std::string read_log_tail(const std::filesystem::path& file, std::size_t max_lines);

}  // namespace lbchaos::deploy

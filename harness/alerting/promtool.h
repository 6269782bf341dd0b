#pragma once

// clang-format off
#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <filesystem>
#include <string>
#include <vector>

#include "harness/common/errors.h"

// The team's Prometheus rule files, checked by `promtool check rules` on private copies: the
// user's files are never touched, but every message names them.
namespace lbchaos::alerting {

struct RulesFile {
  std::filesystem::path user;  // the file the topology names
  std::filesystem::path copy;  // its copy in the run directory (what Prometheus loads)
  SourcePosition where;        // where the topology names it
};

// Copies each user file to <dir>/<n>/<its file name>. Throws InputError when one cannot be read.
[[nodiscard]] std::vector<RulesFile> copy_rules_files(
    const std::vector<std::filesystem::path>& user_files, const std::vector<SourcePosition>& where,
    const std::filesystem::path& dir);

// promtool's output with every copy's path replaced by the user's path.
[[nodiscard]] std::string in_user_terms(std::string output, const std::vector<RulesFile>& files);

// Runs `promtool check rules <copies>` (its output in <dir>/promtool.log). Throws InputError with
// promtool's message when it rejects them, EnvironmentError when promtool cannot run.
boost::asio::awaitable<void> check_rules(const std::filesystem::path& promtool,
                                         const std::vector<RulesFile>& files,
                                         const std::filesystem::path& dir);

}  // namespace lbchaos::alerting

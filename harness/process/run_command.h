#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/process/exit_status.h"

namespace lbchaos::process {

struct CommandResult {
  ExitStatus status;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a short-lived program (e.g. `haproxy -c`) to completion under the same supervision as
// nodes; its output goes through `output_file`. Throws EnvironmentError if it cannot start or
// outlives `timeout` (it is then killed).
boost::asio::awaitable<CommandResult> run_to_completion(const std::filesystem::path& executable,
                                                        std::vector<std::string> args,
                                                        const std::filesystem::path& working_dir,
                                                        const std::filesystem::path& output_file,
                                                        std::chrono::nanoseconds timeout,
                                                        std::map<std::string, std::string> extra_env = {});

}  // namespace lbchaos::process

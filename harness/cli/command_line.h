#pragma once

#include <string>

// The command line lbchaos was started with, as a person would retype it (shell-quoted where
// needed), for the journal and the HTML report.
namespace lbchaos::cli {

void remember_command_line(int argc, const char* const* argv);
[[nodiscard]] const std::string& command_line();

}  // namespace lbchaos::cli

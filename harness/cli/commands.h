#pragma once

#include <CLI/CLI.hpp>

// Each lbchaos sub-command lives in its own cmd_*.cc and registers itself here. A command's
// callback stores its exit code (see harness/common/exit_codes.h) in `exit_code`.
namespace lbchaos::cli {

void add_up_command(CLI::App& app, int& exit_code);
void add_check_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_load_command(CLI::App& app, int& exit_code);
void add_backend_command(CLI::App& app, int& exit_code);
void add_validate_command(CLI::App& app, int& exit_code);
void add_merge_command(CLI::App& app, int& exit_code);
// inject, heal, status, halt, note (cmd_control.cc)
void add_control_commands(CLI::App& app, int& exit_code);

}  // namespace lbchaos::cli

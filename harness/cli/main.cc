#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "harness/cli/command_line.h"
#include "harness/cli/commands.h"
#include "harness/common/exit_codes.h"

int main(int argc, char** argv) {
  CLI::App app{"lbchaos: chaos testing harness for load-balancer resilience"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lbchaos 0.1.0");
  int exit_code = lbchaos::kExitOk;
  lbchaos::cli::remember_command_line(argc, argv);
  lbchaos::cli::add_run_command(app, exit_code);
  lbchaos::cli::add_up_command(app, exit_code);
  lbchaos::cli::add_check_command(app, exit_code);
  lbchaos::cli::add_load_command(app, exit_code);
  lbchaos::cli::add_backend_command(app, exit_code);
  lbchaos::cli::add_validate_command(app, exit_code);
  lbchaos::cli::add_merge_command(app, exit_code);
  lbchaos::cli::add_control_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // CLI11 returns 0 for --help/--version; every real command-line mistake is exit 2.
    return code == 0 ? lbchaos::kExitOk : lbchaos::kExitBadInput;
  }
  return exit_code;
}

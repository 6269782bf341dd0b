#include "harness/cli/commands.h"

namespace lbchaos::cli {

void add_up_command(CLI::App& app, int& exit_code) {
  app.add_subcommand("up", "placeholder")->callback([&exit_code] { exit_code = 0; });
}

}  // namespace lbchaos::cli

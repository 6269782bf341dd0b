// `lbchaos-backend ...`: the built-in backend on its own, what the harness spawns for every
// built-in server node. The same options as `lbchaos backend` (cli/cmd_backend.cc), in a small
// static executable that carries none of what only the harness needs, so hundreds of nodes
// start fast and stay small (bench/startup.sh, docs/benchmarks.md).
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "harness/cli/commands.h"
#include "harness/common/exit_codes.h"

int main(int argc, char** argv) {
  CLI::App app{"lbchaos-backend: the built-in backend of one lbchaos server node"};
  app.require_subcommand(1);
  int exit_code = lbchaos::kExitOk;
  lbchaos::cli::add_backend_command(app, exit_code);
  // Parsed as `lbchaos backend ARGS`: one definition of the options. CLI11 takes a vector of
  // arguments in reverse order.
  std::vector<std::string> reversed;
  for (int i = argc - 1; i >= 1; --i) reversed.emplace_back(argv[i]);
  reversed.emplace_back("backend");
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? lbchaos::kExitOk : lbchaos::kExitBadInput;
  }
  return exit_code;
}

#include "harness/process/run_command.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "harness/common/errors.h"
#include "harness/process/child_process.h"

namespace lbchaos::process {

boost::asio::awaitable<CommandResult> run_to_completion(const std::filesystem::path& executable,
                                                        std::vector<std::string> args,
                                                        const std::filesystem::path& working_dir,
                                                        const std::filesystem::path& output_file,
                                                        std::chrono::nanoseconds timeout,
                                                        std::map<std::string, std::string> extra_env) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto& io = static_cast<boost::asio::io_context&>(executor.context());
  std::filesystem::remove(output_file);
  ChildProcess child(io, SpawnSpec{executable, std::move(args), working_dir, output_file,
                                   std::move(extra_env)});
  auto status = co_await child.wait_exit(timeout);
  if (!status) {
    co_await child.stop(std::chrono::milliseconds(200));
    throw EnvironmentError(fmt::format("{} did not finish within {} ms", executable.string(),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  }
  std::ifstream in(output_file);
  std::ostringstream text;
  text << in.rdbuf();
  co_return CommandResult{*status, text.str()};
}

}  // namespace lbchaos::process

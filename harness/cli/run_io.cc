#include "harness/cli/run_io.h"

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include <exception>

namespace lbchaos::cli {

bool run_io(boost::asio::io_context& io, boost::asio::awaitable<void> main) {
  boost::asio::co_spawn(io, std::move(main), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  try {
    io.run();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return false;
  }
}

}  // namespace lbchaos::cli

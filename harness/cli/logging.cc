#include "harness/cli/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace lbchaos::cli {

void setup_logging(bool verbose) {
  auto logger = spdlog::stderr_color_st("lbchaos");
  logger->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace lbchaos::cli

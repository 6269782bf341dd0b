#include "harness/cli/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace lbchaos::cli {

void setup_logging(bool verbose, bool clear_progress_line) {
  auto logger = spdlog::stderr_color_st("lbchaos");
  const std::string clear = clear_progress_line ? "\r\033[K" : "";
  logger->set_pattern(clear + "%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace lbchaos::cli

#pragma once

namespace lbchaos::cli {

// Harness messages go to stderr ("12:00:01.234 info  ..."); stdout is kept for results.
void setup_logging(bool verbose);

}  // namespace lbchaos::cli

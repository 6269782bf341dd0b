#pragma once

namespace lbchaos::cli {

// Harness messages go to stderr ("12:00:01.234 info  ..."); stdout is kept for results.
// With `clear_progress_line`, each message first erases a live progress line drawn on the
// terminal's last line (the line is drawn again at its next update), so the two never mix.
void setup_logging(bool verbose, bool clear_progress_line = false);

}  // namespace lbchaos::cli

#pragma once

// Debian's chromium, headless, on one local page: for the tests that open an HTML report in a
// real browser (html_report_browser_test.cc, validate_test.cc).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos::test_support {

inline constexpr const char* kChromium = "/usr/bin/chromium";

// chromium headless on `page` with a fresh profile, nothing but the file: `mode` is
// "--dump-dom" or "--screenshot=FILE". Returns stdout; stderr (its log) goes to `log`.
inline std::string chromium(const TempDir& dir, const std::filesystem::path& page,
                            const std::string& mode, const std::filesystem::path& log) {
  static int launches = 0;
  const auto profile = dir / ("profile-" + std::to_string(++launches));
  std::filesystem::create_directories(profile);
  const std::string command = fmt::format(
      "timeout 90 {} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir={} --enable-logging=stderr --v=0 --window-size=1200,1500 {} 'file://{}' "
      "2>>{}",
      kChromium, profile.string(), mode, page.string(), log.string());
  return run_command(command);
}

// The page's DOM once loaded, and the browser's messages: console messages (uncaught errors,
// CSP violations for any outside request) are logged as CONSOLE lines, failed loads as net::ERR_*.
struct LoadedPage {
  std::string dom;
  std::string messages;
  [[nodiscard]] bool quiet() const {
    return messages.find(":CONSOLE") == std::string::npos &&
           messages.find("Uncaught") == std::string::npos &&
           messages.find("ERR_") == std::string::npos;
  }
};

inline LoadedPage load_in_chromium(const TempDir& dir, const std::filesystem::path& page) {
  const auto log = dir / "chromium.log";
  std::ofstream(log, std::ios::trunc).close();
  LoadedPage loaded;
  loaded.dom = chromium(dir, page, "--dump-dom", log);
  loaded.messages = read_file(log);
  return loaded;
}

}  // namespace lbchaos::test_support

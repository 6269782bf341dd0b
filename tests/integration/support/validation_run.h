#pragma once

// `lbchaos validate` as a user runs it, for the integration tests: the real binary on a config of
// the validate corpus (tests/data/validate, with its topology when one sits next to it), the
// console, the JSON and the exit code back, and the checks every validation must pass whatever
// its verdict (no process or run directory left, JUnit written). Header-only
// (tests/integration/*.cc is globbed flat).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/support/chromium.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos::test_support {

inline const std::filesystem::path kValidateCorpus =
    std::filesystem::path(LBCHAOS_TEST_DATA) / "validate";

struct Validation {
  int exit_code = -1;
  std::string out;
  std::string output;  // stdout and stderr, for failure messages
  nlohmann::json json;
  std::string html;                      // the --html page ("" when none was written)
  std::optional<LoadedPage> in_browser;  // the page as headless chromium loaded it
};

// Runs `lbchaos validate` on corpus config `name` with --json, --junit and --html; with
// `open_in_browser` (and chromium installed), also loads the page in headless chromium.
inline Validation validate(const std::string& name, std::vector<std::string> extra = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(170),
                           bool open_in_browser = false) {
  namespace fs = std::filesystem;
  TempDir dir;
  std::vector<std::string> args{"validate", "--config",
                                (kValidateCorpus / (name + ".cfg")).string(), "--json",
                                (dir.path() / "v.json").string(), "--junit",
                                (dir.path() / "v.xml").string(), "--html",
                                (dir.path() / "v.html").string()};
  if (fs::exists(kValidateCorpus / (name + ".toml"))) {
    args.push_back("--topology");
    args.push_back((kValidateCorpus / (name + ".toml")).string());
  }
  args.insert(args.end(), extra.begin(), extra.end());
  LbchaosProcess lbchaos(args, dir.path());
  Validation v;
  v.exit_code = lbchaos.exit_code(timeout);
  v.out = lbchaos.out();
  v.output = lbchaos.output();
  if (fs::exists(dir.path() / "v.json")) {
    v.json = nlohmann::json::parse(read_file(dir.path() / "v.json"));
  }
  if (fs::exists(dir.path() / "v.html")) v.html = read_file(dir.path() / "v.html");
  if (open_in_browser && fs::exists(dir.path() / "v.html") && fs::exists(kChromium)) {
    v.in_browser = load_in_chromium(dir, dir.path() / "v.html");
  }
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); },
                         std::chrono::seconds(5)))
      << "a process of the validation outlived it";
  EXPECT_TRUE(run_directories_in(dir.path()).empty()) << "a run directory was left behind";
  if (v.exit_code <= 1) {
    EXPECT_THAT(read_file(dir.path() / "v.xml"), ::testing::HasSubstr("<testsuites")) << name;
  }
  return v;
}

}  // namespace lbchaos::test_support

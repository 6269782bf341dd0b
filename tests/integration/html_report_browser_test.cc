// The HTML report of a real run with a kill and a heal, opened in a real browser (Debian's
// chromium, headless): it loads offline with no console message and no request leaving the
// file, renders something, shows one shaded window per fault and one lane per server, and the
// server's DOWN span starts where haproxy's DOWN event in the journal says (within one bucket).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/support/chromium.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

constexpr double kBucketS = 0.1;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(HtmlReportInBrowser, KillAndHealReportLoadsOfflineAndDrawsWhatTheJournalSays) {
  if (!std::filesystem::exists(kChromium)) {
    GTEST_SKIP() << "chromium is not installed at " << kChromium
                 << " (scripts/setup.sh installs it; CI must): the browser test cannot run";
  }
  TempDir dir;
  const auto page = dir / "report.html";
  LbchaosProcess lbchaos({"run", std::string(LBCHAOS_TEST_DATA) +
                                     "/integration/scenarios/kill_fast_checks.toml",
                          "--json", (dir / "journal.json").string(), "--html", page.string()},
                         dir.path());
  ASSERT_EQ(lbchaos.exit_code(120s), 0) << lbchaos.output();
  const auto journal = nlohmann::json::parse(read_file(dir / "journal.json"));
  const auto& scenario = journal["scenarios"][0];

  const auto log = dir / "chromium.log";
  std::ofstream(log).close();
  const std::string dom = chromium(dir, page, "--dump-dom", log);
  ASSERT_THAT(dom, HasSubstr("lbchaos report")) << read_file(log);
  // Console messages (uncaught errors, CSP violations for any outside request) are logged as
  // CONSOLE lines; failed loads as net::ERR_*.
  const std::string messages = read_file(log);
  EXPECT_THAT(messages, ::testing::Not(HasSubstr(":CONSOLE"))) << messages;
  EXPECT_THAT(messages, ::testing::Not(HasSubstr("Uncaught"))) << messages;
  EXPECT_THAT(messages, ::testing::Not(HasSubstr("ERR_"))) << messages;
  EXPECT_FALSE(std::regex_search(dom, std::regex(R"re((src|href)="(https?:)?//)re")));

  // One shaded window per fault, one lane per server.
  EXPECT_EQ(count(dom, "class=\"fault-window\""), scenario["fault_events"].size());
  EXPECT_EQ(count(dom, "class=\"lane server-lane\""), scenario["timeline"]["servers"].size());

  // web1's DOWN span starts within one bucket of haproxy's DOWN event.
  double down_event = -1;
  for (const auto& e : scenario["haproxy_events"]) {
    if (e["server"] == "app/web1" && e["state"] == "DOWN") {
      down_event = e["at_s"].get<double>();
      break;
    }
  }
  ASSERT_GE(down_event, 0) << "haproxy reported no DOWN for app/web1";
  std::smatch span;
  ASSERT_TRUE(std::regex_search(
      dom, span, std::regex(R"re(data-server="app/web1" data-state="DOWN" data-from-s="([0-9.]+)")re")))
      << "no DOWN span in web1's lane";
  EXPECT_NEAR(std::stod(span[1]), down_event, kBucketS);

  // The screenshot is not blank: it compresses far worse than an empty page of the same size.
  const auto blank_page = dir / "blank.html";
  std::ofstream(blank_page) << "<!DOCTYPE html><html><body></body></html>";
  const auto shot = dir / "report.png", blank_shot = dir / "blank.png";
  chromium(dir, page, "--screenshot=" + shot.string(), log);
  chromium(dir, blank_page, "--screenshot=" + blank_shot.string(), log);
  ASSERT_TRUE(std::filesystem::exists(shot)) << read_file(log);
  ASSERT_TRUE(std::filesystem::exists(blank_shot)) << read_file(log);
  EXPECT_GT(std::filesystem::file_size(shot), 5 * std::filesystem::file_size(blank_shot));
}

}  // namespace
}  // namespace lbchaos

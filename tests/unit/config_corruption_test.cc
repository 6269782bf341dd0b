// config_corrupt's edits, as pure text: each mode changes what it says and nothing else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "faults/config_corruption.h"

namespace lbchaos::faults {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The shape render_haproxy_config produces.
const std::string kRendered = R"(# haproxy.cfg rendered by lbchaos for topology 'three-web'.
global
    stats socket /tmp/r/lb0/stats.sock mode 600 level admin expose-fd listeners
    maxconn 4096

defaults
    mode http
    timeout connect 5s

frontend www
    bind 127.0.0.1:40001
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    server web1 127.0.0.1:40011 check inter 500ms fall 2 rise 2 weight 100  # weight from capacity 1
    server web2 127.0.0.1:40012 check inter 500ms fall 2 rise 2 weight 100  # weight from capacity 1
    server web3 127.0.0.1:40013 check inter 500ms fall 2 rise 2 weight 50

frontend lbchaos_metrics
    bind 127.0.0.1:40002
)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of `after` that are not in `before`, and the other way round.
std::vector<std::string> added(const std::string& before, const std::string& after) {
  const auto old_lines = lines_of(before);
  std::vector<std::string> out;
  for (const auto& line : lines_of(after)) {
    if (std::find(old_lines.begin(), old_lines.end(), line) == old_lines.end()) out.push_back(line);
  }
  return out;
}

std::string production_config() {
  std::ifstream in(std::string(LBCHAOS_TEST_DATA) + "/haproxy/production.cfg");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigCorruption, SyntaxErrorNewServerAddsTheNextServerWithATypo) {
  const auto result = corrupt(kRendered, "syntax_error_new_server");
  EXPECT_THAT(added(kRendered, result.text),
              ::testing::ElementsAre(
                  "    server web4 127.0.0.1:40013 chekc inter 500ms fall 2 rise 2 weight 50"));
  EXPECT_TRUE(added(result.text, kRendered).empty()) << "nothing else may change";
  const auto lines = lines_of(result.text);
  const auto web3 = std::find_if(lines.begin(), lines.end(),
                                 [](const auto& l) { return l.find("server web3") != l.npos; });
  ASSERT_NE(web3 + 1, lines.end());
  EXPECT_THAT(*(web3 + 1), HasSubstr("server web4"));  // right after the last server
  EXPECT_THAT(result.summary, HasSubstr("web4"));
  EXPECT_THAT(result.summary, HasSubstr("backend app"));
}

TEST(ConfigCorruption, SyntaxErrorNewServerWithoutChecksPutsTheTypoAfterTheAddress) {
  const std::string good = "backend api\n  server api 127.0.0.1:9000\n";
  EXPECT_EQ(corrupt_config(good, "syntax_error_new_server"),
            "backend api\n  server api 127.0.0.1:9000\n  server api2 127.0.0.1:9000 chekc\n");
}

TEST(ConfigCorruption, UnknownKeywordMisspellsBalanceOrAddsIt) {
  const auto result = corrupt(kRendered, "unknown_keyword");
  EXPECT_THAT(added(kRendered, result.text), ::testing::ElementsAre("    balanse roundrobin"));
  EXPECT_THAT(result.text, Not(HasSubstr("    balance roundrobin")));

  const std::string no_balance = "listen admin\n    bind :9000\n    server a1 127.0.0.1:1234\n";
  EXPECT_EQ(corrupt_config(no_balance, "unknown_keyword"),
            "listen admin\n    balanse roundrobin\n    bind :9000\n    server a1 127.0.0.1:1234\n");
}

TEST(ConfigCorruption, TruncatedCutsTheMiddleServerLineWithoutAFinalNewline) {
  const auto text = corrupt_config(kRendered, "truncated");
  EXPECT_TRUE(kRendered.starts_with(text));
  EXPECT_TRUE(text.ends_with("\n    server web2")) << text;
  EXPECT_THAT(text, Not(HasSubstr("lbchaos_metrics")));
}

TEST(ConfigCorruption, ChecksRemovedDropsCheckFromEveryServerAndKeepsTheRest) {
  const auto result = corrupt(kRendered, "checks_removed");
  EXPECT_THAT(added(kRendered, result.text),
              ::testing::ElementsAre(
                  "    server web1 127.0.0.1:40011 inter 500ms fall 2 rise 2 weight 100 # weight "
                  "from capacity 1",
                  "    server web2 127.0.0.1:40012 inter 500ms fall 2 rise 2 weight 100 # weight "
                  "from capacity 1",
                  "    server web3 127.0.0.1:40013 inter 500ms fall 2 rise 2 weight 50"));
  EXPECT_THAT(result.text, HasSubstr("option httpchk GET /health"));
  EXPECT_THAT(result.summary, HasSubstr("3 server lines"));
}

TEST(ConfigCorruption, ChecksRemovedRefusesAConfigWithoutChecks) {
  EXPECT_THROW((void)corrupt("backend b\n server s 127.0.0.1:1\n", "checks_removed"),
               std::invalid_argument);
}

TEST(ConfigCorruption, AllWeightsButOneZeroLeavesTheFirstServerAndBackupsAlone) {
  const auto result = corrupt(kRendered, "all_weights_but_one_zero");
  EXPECT_THAT(added(kRendered, result.text),
              ::testing::ElementsAre(
                  "    server web2 127.0.0.1:40012 check inter 500ms fall 2 rise 2 weight 0",
                  "    server web3 127.0.0.1:40013 check inter 500ms fall 2 rise 2 weight 0"));
  EXPECT_THAT(result.summary, HasSubstr("web1 takes all the traffic"));

  const auto production = corrupt_config(production_config(), "all_weights_but_one_zero");
  EXPECT_THAT(production, HasSubstr("server app1 127.0.1.11:8080 check weight 100\n"));
  EXPECT_THAT(production, HasSubstr("server app2 127.0.1.12:8080 check weight 0 ssl verify none"));
  EXPECT_THAT(production, HasSubstr("server app3 127.0.1.13:8080 check weight 0\n"));
  EXPECT_THAT(production, HasSubstr("server api2 127.0.1.22:9000 check weight 0\n"));
  EXPECT_THAT(production, HasSubstr("server cdn2 127.0.1.32:80 check backup\n"));
}

TEST(ConfigCorruption, AllWeightsButOneZeroNeedsTwoServers) {
  EXPECT_THROW((void)corrupt("backend b\n server s 127.0.0.1:1\n", "all_weights_but_one_zero"),
               std::invalid_argument);
}

TEST(ConfigCorruption, WrongServerPortPointsTheFirstServerAtAClosedPort) {
  const auto result = corrupt(kRendered, "wrong_server_port");
  EXPECT_THAT(added(kRendered, result.text),
              ::testing::ElementsAre("    server web1 127.0.0.1:1 check inter 500ms fall 2 rise 2 "
                                     "weight 100 # weight from capacity 1"));
  EXPECT_THAT(result.summary, HasSubstr("was 127.0.0.1:40011"));
  EXPECT_EQ(corrupt_config("backend b\n server s [::1]:8080 check\n", "wrong_server_port"),
            "backend b\n server s [::1]:1 check\n");
  EXPECT_EQ(corrupt_config("backend b\n server s localhost\n", "wrong_server_port"),
            "backend b\n server s localhost:1\n");
}

TEST(ConfigCorruption, EveryModeWorksOnARealProductionConfig) {
  const std::string good = production_config();
  for (const auto mode : kCorruptionModes) {
    const auto result = corrupt(good, mode);
    EXPECT_NE(result.text, good) << mode;
    EXPECT_FALSE(result.summary.empty()) << mode;
  }
  // Comments and server-less sections are no servers: the first pool is `backend app`.
  EXPECT_THAT(corrupt_config(good, "syntax_error_new_server"),
              HasSubstr("server app3 127.0.1.13:8080 check weight 50 # new, half size\n"
                        "    server app4 127.0.1.13:8080 chekc weight 50\n"));
}

TEST(ConfigCorruption, UnknownModeOrNoServerIsRefused) {
  EXPECT_THROW((void)corrupt(kRendered, "typo"), std::invalid_argument);
  EXPECT_THROW((void)corrupt("global\n    maxconn 10\n", "truncated"), std::invalid_argument);
  // A `server` line in a peers section is not a backend server.
  EXPECT_THROW((void)corrupt("peers p\n    server s 127.0.0.1:1\n", "wrong_server_port"),
               std::invalid_argument);
}

}  // namespace
}  // namespace lbchaos::faults

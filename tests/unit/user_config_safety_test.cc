// A user's haproxy.cfg made safe to run: every address in the rewritten config is loopback or
// its directive commented out, with a warning at the user's line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "harness/backend/tcp_persona_server.h"
#include "harness/topology/haproxy_rewrite.h"
#include "harness/topology/loader.h"

namespace lbchaos::topology {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(LBCHAOS_TEST_DATA) / "realworld";

UserConfig scan(const std::string& text) {
  return scan_user_config_text(text, "/etc/haproxy/haproxy.cfg",
                               ScanSettings{"/usr/sbin/haproxy", {}, {}});
}

// Loopback endpoints for every bind and server, as the harness would choose them.
RewrittenConfig rewrite(const UserConfig& config) {
  InstanceEndpoints endpoints;
  endpoints.stats_socket = "/run/lbchaos-test/lb0/stats.sock";
  endpoints.metrics = {"127.0.0.1", 9100};
  endpoints.syslog = {"127.0.0.1", 9101};
  int port = 20000;
  for (const auto& bind : config.binds) endpoints.binds[bind.key] = {"127.0.0.1", ++port};
  ServerTargets targets;
  for (const auto& server : config.servers) targets[server.key()] = {"127.0.0.1", ++port};
  return rewrite_user_config(config, endpoints, targets);
}

// Active lines of a rewritten config naming a host:port (or family@address) off loopback,
// outside rules that only match addresses (acl, http-request...).
std::vector<std::string> off_loopback_lines(const std::string& text) {
  static const std::regex address(
      R"((?:^|[\s"'])(?:(?:ipv4|ipv6|udp|udp4|udp6|tcp|tcp4|tcp6|quic4|quic6)@)?)"
      R"((\[[0-9A-Fa-f:.]*\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+|\*)?)"
      R"(:([0-9]{1,5})(?=$|[\s"',]))");
  static const std::regex bare_ip(R"((?:^|\s)([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?=$|\s))");
  std::vector<std::string> found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const std::string keyword = line.substr(start, line.find_first_of(" \t", start) - start);
    bool rule = false;
    for (const char* matching : {"acl", "http-request", "http-response", "tcp-request",
                                 "use_backend", "option", "stick", "redirect", "monitor-uri",
                                 "http-after-response"}) {
      rule = rule || keyword == matching;
    }
    if (rule) continue;
    for (const auto* pattern : {&address, &bare_ip}) {
      for (auto it = std::sregex_iterator(line.begin(), line.end(), *pattern);
           it != std::sregex_iterator(); ++it) {
        const std::string host = (*it)[1].str();
        if (host.starts_with("127.") || host == "[::1]" || host == "localhost") continue;
        found.push_back(line);
      }
    }
  }
  return found;
}

TEST(UserConfigSafety, EveryCorpusConfigRewritesToLoopbackOnly) {
  int configs = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (!fs::exists(entry.path() / "topology.toml")) continue;
    ++configs;
    const Topology topology = load_topology(entry.path() / "topology.toml");
    const UserConfig config = scan_user_config(
        *topology.haproxy.config,
        ScanSettings{topology.haproxy.binary, topology.haproxy.env, topology.haproxy.files});
    const auto rewritten = rewrite(config);
    EXPECT_THAT(off_loopback_lines(rewritten.text), IsEmpty())
        << entry.path().filename() << ":\n" << rewritten.text;
  }
  EXPECT_GE(configs, 25);
}

TEST(UserConfigSafety, SectionsThatTalkToTheNetworkAreDisabledWithAWarningAtTheirLine) {
  const auto config = scan(
      "global\n    quiet\n    zero-warning\n"
      "peers mesh\n    peer lb1 10.0.0.1:10000\n    peer lb2 10.0.0.2:10000\n"
      "resolvers dns\n    nameserver ns1 8.8.8.8:53\n    parse-resolv-conf\n"
      "mailers m\n    mailer smtp1 192.168.0.1:587\n"
      "ring r\n    server central 10.20.0.5:6514\n"
      "log-forward lf\n    dgram-bind 0.0.0.0:514\n    log 10.0.0.9:514 local0\n"
      "program api\n    command /usr/bin/dataplaneapi\n"
      "backend app\n    source 10.0.0.100\n    tcp-check connect addr 10.5.5.5 port 8081\n"
      "    server s1 10.0.0.1:80 check agent-check agent-addr 10.0.0.2 agent-port 9999\n");
  for (const int line : {2, 3, 5, 6, 8, 9, 11, 13, 15, 16, 17, 18, 20}) {
    EXPECT_THAT(config.warnings,
                Contains(HasSubstr(fmt::format("/etc/haproxy/haproxy.cfg:{}: ", line))))
        << "line " << line;
  }
  EXPECT_THAT(config.warnings, Contains(HasSubstr("tcp-check of backend 'app': 'addr 10.5.5.5'")));
  const auto text = rewrite(config).text;
  EXPECT_THAT(off_loopback_lines(text), IsEmpty()) << text;
  EXPECT_THAT(text, HasSubstr("peer lbchaos-local /run/lbchaos-test/lb0/peers1.sock"));
  EXPECT_THAT(text, HasSubstr("localpeer lbchaos-local"));
  EXPECT_THAT(text, HasSubstr("# lbchaos removed: quiet"));
}

TEST(UserConfigSafety, AnEnvironmentVariableThatExpandsToAnAddressIsCaught) {
  auto config = scan_user_config_text(
      "global\n    setenv CENTRAL 10.9.9.9:514\n    ring-target \"${CENTRAL}\"\n"
      "backend app\n    server s1 10.0.0.1:80\n    http-request set-header X \"udp@${CENTRAL}\"\n",
      "/etc/haproxy/haproxy.cfg", ScanSettings{"/usr/sbin/haproxy", {}, {}});
  EXPECT_THAT(config.warnings, Contains(HasSubstr("haproxy.cfg:3: ")));
  EXPECT_THAT(config.warnings, Contains(HasSubstr("haproxy.cfg:6: ")));
}

TEST(UserConfigSafety, QuicBindsAreDroppedAndIfBlocksAreEvaluatedByHaproxy) {
  const auto config = scan(
      "global\n    setenv MODE blue\n"
      "frontend web\n    bind :80\n    bind quic4@:443\n"
      ".if streq(\"$MODE\",blue)\n    default_backend blue\n.else\n    default_backend green\n"
      ".endif\n"
      "backend blue\n    server b1 10.0.0.1:80\n"
      "backend green\n.if feature(LBCHAOS_NO_SUCH_FEATURE)\n    server g1 10.0.0.2:80\n.endif\n");
  ASSERT_EQ(config.binds.size(), 1u);
  EXPECT_THAT(config.warnings, Contains(HasSubstr("haproxy.cfg:5: 'bind quic4@:443' commented out")));
  ASSERT_EQ(config.servers.size(), 1u);
  EXPECT_EQ(config.servers[0].key(), "blue/b1");
  const auto text = rewrite(config).text;
  EXPECT_THAT(text, HasSubstr("# lbchaos skipped by .if: default_backend green"));
  EXPECT_THAT(text, HasSubstr("# lbchaos evaluated: .if streq"));
}

TEST(UserConfigSafety, HealthChecksSayWhatTheyExpect) {
  const auto config = scan(
      "backend redis\n    option tcp-check\n    tcp-check send PING\\r\\n\n"
      "    tcp-check expect string +PONG\n    server r1 10.0.0.1:6379 check inter 20s\n"
      "backend db\n    option mysql-check user haproxy\n    server m1 10.0.0.2:3306 check\n"
      "backend web\n    option httpchk GET /ping\n    http-check expect rstring ^pong$\n"
      "    server w1 10.0.0.3:80 check\n");
  const auto* redis = config.find_backend("redis");
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(redis->expects.kind, "tcp");
  ASSERT_EQ(redis->expects.tcp_script.size(), 1u);
  EXPECT_EQ(redis->expects.tcp_script[0], (std::pair<std::string, std::string>{"PING\r\n", "+PONG"}));
  EXPECT_EQ(config.find_backend("db")->expects.kind, "mysql");
  EXPECT_EQ(config.find_backend("web")->expects.http_body, "pong");
  ASSERT_TRUE(config.slowest_check);
  EXPECT_EQ(config.slowest_check->first, std::chrono::seconds(20));
}

TEST(TcpPersonas, AnswerHaproxysProtocolChecks) {
  using backend::TcpPersonaServer;
  std::size_t step = 0;
  std::string received = "PING\r\n";
  EXPECT_EQ(TcpPersonaServer::answer("redis", {}, step, received, "r").bytes, "+PONG\r\n");
  received = "*1\r\n$4\r\nPING\r\n";
  EXPECT_EQ(TcpPersonaServer::answer("redis", {}, step, received, "r").bytes, "+PONG\r\n");
  EXPECT_EQ(TcpPersonaServer::greeting("smtp", {}, step).substr(0, 4), "220 ");
  received = "EHLO lb\r\n";
  EXPECT_EQ(TcpPersonaServer::answer("smtp", {}, step, received, "m").bytes, "250 lbchaos\r\n");
  EXPECT_EQ(static_cast<unsigned char>(TcpPersonaServer::greeting("mysql", {}, step)[4]), 0x0au);
  const std::vector<std::pair<std::string, std::string>> script{{"", "hello\n"},
                                                                {"PING\r\n", "+PONG"}};
  step = 0;
  EXPECT_EQ(TcpPersonaServer::greeting("tcp", script, step), "hello\n");
  received = "PING\r\n";
  EXPECT_EQ(TcpPersonaServer::answer("tcp", script, step, received, "t").bytes, "+PONG");
  received = "anything";
  EXPECT_EQ(TcpPersonaServer::answer("tcp", script, step, received, "t").bytes, "anything");
}

}  // namespace
}  // namespace lbchaos::topology

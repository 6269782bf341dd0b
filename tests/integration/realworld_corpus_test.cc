// Configs written elsewhere (tests/data/realworld/): each comes up and serves through every
// backend it routes to, or is refused with haproxy's own message at the user's line, or with a
// message naming what to add to the topology. Nothing of any run reaches off loopback: the
// test runs in a private network namespace holding only loopback, reads every rewritten
// config, and reads the sockets of the run's processes while they serve.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::filesystem::path kCorpus = std::filesystem::path(LBCHAOS_TEST_DATA) / "realworld";

// One exchange through a frontend bind: bytes sent (nothing = just read the greeting), and
// what the answer must contain.
struct Exchange {
  std::string bind;
  std::string send;
  std::string expect;
};

Exchange http(std::string bind, std::string host, std::string path, std::string server_prefix) {
  return {std::move(bind),
          fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: lbchaos-test\r\n\r\n", path, host),
          "X-Lbchaos-Server: " + server_prefix};
}

struct Case {
  Case(std::string n, std::vector<Exchange> e, std::string r = {}, bool by_check = true)
      : name(std::move(n)), exchanges(std::move(e)), refused(std::move(r)),
        refused_by_check(by_check) {}

  std::string name;
  std::vector<Exchange> exchanges;  // empty with `refused` set
  std::string refused;              // a config lbchaos refuses: what its message says
  bool refused_by_check = true;     // refused by `lbchaos check` (else only by `up`)
};

std::vector<Case> corpus() {
  const auto www = [](std::string backend) { return http("www", "www.example.com", "/", backend + "/"); };
  return {
      {"tutorial_basic", {http("http_front", "example.com", "/", "http_back/")}},
      {"docker_compose_template", {http("web", "localhost", "/", "app/app")}},
      {"kubernetes_ingress",
       {http("http", "shop.example.com", "/", "default_shop_80/"),
        http("http", "api.example.com", "/v1", "default_api_8080/SRV_1"),
        http("http", "other.example.com", "/", "default_web_80/"),
        http("http#2", "shop.example.com", "/", "default_shop_80/")}},
      {"openshift_router",
       {http("public", "console.apps.example.com", "/", "be_http:openshift-console:console/"),
        http("public", "grafana.apps.example.com", "/api/health", "be_http:monitoring:grafana-api/"),
        http("public", "grafana.apps.example.com", "/", "be_http:monitoring:grafana/")}},
      {"mysql_galera", {{"mysql-cluster", "", "8.0.19-lbchaos"}}},
      {"redis_tcp_check", {{"ft_redis", "PING\r\n", "+PONG"}}},
      {"redis_real_server", {{"redis", "SET k v\r\nGET k\r\n", "$1\r\nv"}}},
      {"postgres_pgsql_check", {{"postgres", std::string("\0\0\0\x08\x04\xd2\x16\x2f", 8), "R"}}},
      {"smtp_relay", {{"smtp_in", "", "220 "}, {"smtp_in#2", "EHLO test\r\n", "250 "}}},
      {"ldap_check", {{"ldap", std::string("\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00", 14), "\x61"}}},
      {"stats_page",
       {{"stats", "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n", "Statistics Report"}, www("web")}},
      {"peers_sticky", {http("fe_main", "localhost", "/", "be_app/")}},
      {"log_forward_ring", {www("app")}},
      {"mailers_alerts", {www("app")}},
      {"quic_if_feature", {http("web", "localhost", "/", "app/"), http("web#2", "localhost", "/", "app/")}},
      {"if_blocks_version", {http("web", "localhost", "/", "staging/")}},
      {"named_defaults",
       {www("site"), http("www", "localhost", "/api/x", "api/a1"), http("raw", "localhost", "/", "raw/r1")}},
      {"crlf_windows", {www("app")}},
      {"env_vars", {www("app")}},
      {"errorfiles", {www("app")}},
      {"unix_sockets", {http("local", "localhost", "/", "app/"), http("local#2", "localhost", "/", "app/")}},
      {"tcp_sni_router", {http("tls_in", "localhost", "/", "web/")}},
      {"v4v6_bind", {www("app"), http("www#2", "localhost", "/", "app/")}},
      {"http_check_pong", {www("app")}},
      {"http_check_regex", {www("app")}},
      {"agent_source_checks", {www("app")}},
      {"lua_service",
       {{"www", "GET /hello HTTP/1.0\r\nHost: localhost\r\n\r\n", "hello from lua"}, www("app")}},
      {"program_dataplane", {www("app")}},
      {"resolvers_parse_conf", {www("app")}},
      {"indented_sections", {www("app")}},
      {"server_template_range", {http("www", "localhost", "/", "api/srv")}},
      {"listen_legacy_address", {}, "haproxy.cfg:9", true},
      {"quiet_broken", {}, "haproxy.cfg:", true},
      {"http_check_undescribed", {}, "health = {", false},
  };
}

// The answer to `send` on a fresh connection to `port`, read until `expect` shows up, the
// peer closes, or 10 s pass.
std::string exchange(std::uint16_t port, const std::string& send, const std::string& expect) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  std::string received;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed";
  }
  if (!send.empty()) (void)::send(fd, send.data(), send.size(), MSG_NOSIGNAL);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (received.find(expect) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buffer[4096];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return received;
}

// IPv4/IPv6 in /proc/net/{tcp,udp}{,6} hex: loopback or unspecified.
bool loopback_hex(const std::string& hex) {
  if (hex.size() == 8) return hex.substr(6, 2) == "7F" || hex == "00000000";
  if (hex.size() == 32) {
    return hex == "00000000000000000000000001000000" || hex == std::string(32, '0') ||
           (hex.substr(0, 24) == "0000000000000000FFFF0000" && hex.substr(30, 2) == "7F");
  }
  return false;
}

// Sockets of `pid`'s network namespace with an address off loopback.
std::vector<std::string> off_loopback_sockets(pid_t pid) {
  std::vector<std::string> found;
  for (const char* table : {"tcp", "tcp6", "udp", "udp6"}) {
    std::ifstream in(fmt::format("/proc/{}/net/{}", pid, table));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string slot, local, remote;
      words >> slot >> local >> remote;
      const auto host = [](const std::string& a) { return a.substr(0, a.find(':')); };
      if (!loopback_hex(host(local)) || !loopback_hex(host(remote))) {
        found.push_back(fmt::format("{} {}: {} -> {}", pid, table, local, remote));
      }
    }
  }
  return found;
}

// Addresses a rewritten config would connect to or listen on outside loopback.
std::vector<std::string> off_loopback_in_config(const std::string& text) {
  static const std::regex address(
      R"((?:^|[\s"'])(?:(?:ipv4|ipv6|udp|udp4|udp6|tcp|tcp4|tcp6|quic4|quic6)@)?)"
      R"((\[[0-9A-Fa-f:.]*\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+|\*)?)"
      R"(:([0-9]{1,5})(?=$|[\s"',]))");
  std::vector<std::string> found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const std::string keyword = line.substr(start, line.find_first_of(" \t", start) - start);
    for (const char* rule : {"acl", "http-request", "http-response", "tcp-request", "use_backend",
                             "option", "stick", "redirect", "monitor-uri", "http-after-response"}) {
      if (keyword == rule) goto next_line;
    }
    for (auto it = std::sregex_iterator(line.begin(), line.end(), address); it != std::sregex_iterator(); ++it) {
      const std::string host = (*it)[1].str();
      if (host.starts_with("127.") || host == "[::1]" || host == "localhost") continue;
      found.push_back(line);
      break;
    }
  next_line:;
  }
  return found;
}

struct Started {
  const Case* c = nullptr;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<LbchaosProcess> lbchaos;
};

TEST(RealWorldCorpus, EveryConfigComesUpAndServesOrIsRefusedAndNothingLeavesLoopback) {
  // These configs stand for ones written elsewhere: a network namespace with only loopback.
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "needs root for a private network namespace: "
                                        << std::strerror(errno);
  ASSERT_EQ(std::system("ip link set lo up"), 0);

  const auto cases = corpus();
  std::size_t next = 0;
  constexpr std::size_t kConcurrent = 8;
  while (next < cases.size()) {
    std::vector<Started> batch;
    for (; next < cases.size() && batch.size() < kConcurrent; ++next) {
      const Case& c = cases[next];
      const auto topology = (kCorpus / c.name / "topology.toml").string();
      const std::string before = read_file(kCorpus / c.name / "haproxy.cfg");
      {
        TempDir check_dir;
        LbchaosProcess check({"check", topology}, check_dir.path());
        const int code = check.exit_code();
        if (!c.refused.empty() && c.refused_by_check) {
          EXPECT_EQ(code, 2) << c.name << check.output();
          EXPECT_THAT(check.output(), HasSubstr(c.refused)) << c.name;
          EXPECT_THAT(check.output(), HasSubstr("ALERT")) << c.name << ": haproxy's own message";
          continue;
        }
        EXPECT_EQ(code, 0) << c.name << check.output();
      }
      Started s{&c, std::make_unique<TempDir>(), nullptr};
      s.lbchaos = std::make_unique<LbchaosProcess>(
          std::vector<std::string>{"up", topology, "--ready-file", (*s.dir / "ready.json").string()},
          s.dir->path());
      EXPECT_EQ(read_file(kCorpus / c.name / "haproxy.cfg"), before) << c.name;
      batch.push_back(std::move(s));
    }
    for (auto& s : batch) {
      const Case& c = *s.c;
      const auto ready = wait_ready_file(*s.lbchaos, *s.dir / "ready.json", 45s);
      if (!c.refused.empty()) {
        EXPECT_FALSE(ready) << c.name;
        EXPECT_NE(s.lbchaos->exit_code(), 0) << c.name;
        EXPECT_THAT(s.lbchaos->output(), HasSubstr(c.refused)) << c.name;
        continue;
      }
      if (!ready) {
        ADD_FAILURE() << c.name << " did not come up:\n" << s.lbchaos->output();
        continue;
      }
      const auto& frontends = (*ready)["instances"][0]["frontends"];
      for (const auto& e : c.exchanges) {
        ASSERT_TRUE(frontends.contains(e.bind)) << c.name << ": no bind " << e.bind << " in " << frontends.dump();
        const Url url = parse_url(frontends[e.bind].get<std::string>());
        // haproxy writes HTTP/1 header names in lower case.
        const auto lower = [](std::string text) {
          for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          return text;
        };
        const auto answer = lower(exchange(url.port, e.send, e.expect));
        EXPECT_THAT(answer, HasSubstr(lower(e.expect))) << c.name << " through " << e.bind;
      }
      std::vector<pid_t> pids;
      for (const auto& i : (*ready)["instances"]) pids.push_back(i["pid"].get<pid_t>());
      for (const auto& n : (*ready)["nodes"]) pids.push_back(n["pid"].get<pid_t>());
      for (const pid_t pid : pids) {
        EXPECT_THAT(off_loopback_sockets(pid), ::testing::IsEmpty()) << c.name;
      }
      for (const auto& i : (*ready)["instances"]) {
        const auto rewritten = read_file(i["config"].get<std::string>());
        EXPECT_THAT(off_loopback_in_config(rewritten), ::testing::IsEmpty()) << c.name;
      }
    }
    for (auto& s : batch) {
      s.lbchaos->signal(SIGINT);
      if (s.c->refused.empty()) EXPECT_EQ(s.lbchaos->exit_code(), 0) << s.c->name << s.lbchaos->output();
      else (void)s.lbchaos->exit_code();
      EXPECT_TRUE(eventually([&] { return processes_of_run(s.dir->path().string()).empty(); }, 5s))
          << s.c->name;
    }
  }
}

}  // namespace
}  // namespace lbchaos

namespace lbchaos {
namespace {

TEST(RealWorldCorpus, AKillOnAServerTemplateServerIsInjectedAndHealed) {
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
  ASSERT_EQ(std::system("ip link set lo up"), 0);
  TempDir dir;
  LbchaosProcess lbchaos(
      {"run", (kCorpus / "docker_compose_template" / "kill-app2.toml").string(), "--json",
       (dir / "journal.json").string()},
      dir.path());
  EXPECT_EQ(lbchaos.exit_code(120s), 0) << lbchaos.output();
  const auto journal = read_file(dir / "journal.json");
  EXPECT_THAT(journal, HasSubstr("app/app2"));
  EXPECT_TRUE(std::regex_search(journal, std::regex(R"("healed_at_s":\s*[0-9])"))) << journal;
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 5s));
}

}  // namespace
}  // namespace lbchaos

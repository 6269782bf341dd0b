#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/errors.h"
#include "harness/topology/haproxy_render.h"
#include "harness/topology/haproxy_rewrite.h"

namespace lbchaos::topology {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";
const fs::path kData = fs::path(LBCHAOS_TEST_DATA) / "haproxy";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "lbchaos-haproxy-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_bytes(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

// `haproxy -c -f file`: haproxy itself is the judge of the text.
CheckResult haproxy_check(const fs::path& file) {
  CheckResult result;
  const std::string command = fmt::format("{} -c -f '{}' 2>&1", kHaproxy, file.string());
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

#define REQUIRE_HAPROXY() \
  if (::access(kHaproxy, X_OK) != 0) GTEST_SKIP() << kHaproxy << " not found"

InstanceEndpoints endpoints_for_test(const fs::path& run_dir) {
  InstanceEndpoints endpoints;
  endpoints.index = 0;
  endpoints.stats_socket = run_dir / "lb0" / "stats.sock";
  endpoints.metrics = {"127.0.0.1", 41900};
  endpoints.syslog = {"127.0.0.1", 41901};
  return endpoints;
}

Server server(std::string name, double capacity) {
  Server s;
  s.name = std::move(name);
  s.capacity = capacity;
  return s;
}

// Two pools: "app" with HTTP checks and capacities 1, 1, 2; "static" without checks.
Topology three_web() {
  Topology topology;
  topology.name = "three-web";
  topology.file = "/srv/topologies/three-web.toml";

  Backend app;
  app.name = "app";
  app.check.inter = 500ms;
  app.check.fastinter = 200ms;
  app.check.downinter = 1s;
  app.check.timeout = 300ms;
  app.check.fall = 2;
  app.check.rise = 2;
  app.check.path = "/health";
  app.retry_on = {"conn-failure", "empty-response"};
  app.servers = {server("web1", 1), server("web2", 1), server("web3", 2)};
  app.servers[2].maxconn = 32;

  Backend assets;
  assets.name = "static";
  assets.balance = "leastconn";
  assets.check.enabled = false;
  assets.redispatch = false;
  assets.servers = {server("cdn1", 1), server("cdn2", 1)};
  assets.servers[0].weight = 7;
  assets.servers[1].backup = true;

  Frontend www;
  www.name = "www";
  www.backend = "app";
  Frontend files;
  files.name = "files";
  files.backend = "static";
  files.timeout_client = 5s;

  topology.backends = {app, assets};
  topology.frontends = {www, files};
  return topology;
}

ServerTargets targets_for(const Topology& topology) {
  ServerTargets targets;
  int port = 42000;
  for (const auto& backend : topology.backends) {
    for (const auto& s : backend.servers) {
      targets[server_key(backend.name, s.name)] = {"127.0.0.1", port++};
    }
  }
  return targets;
}

// ------------------------------------------------------------------------------------------
// Render

TEST(HaproxyRender, WeightComesFromCapacityUnlessExplicit) {
  EXPECT_EQ(haproxy_weight(server("a", 1)), 100);
  EXPECT_EQ(haproxy_weight(server("b", 2)), 200);
  EXPECT_EQ(haproxy_weight(server("c", 0.001)), 1);
  EXPECT_EQ(haproxy_weight(server("d", 10)), 256);
  auto explicit_weight = server("e", 2);
  explicit_weight.weight = 0;
  EXPECT_EQ(haproxy_weight(explicit_weight), 0);
}

TEST(HaproxyRender, ProducesAConfigHaproxyAccepts) {
  REQUIRE_HAPROXY();
  TempDir dir;
  const Topology topology = three_web();
  auto endpoints = endpoints_for_test(dir.path());
  endpoints.binds = {{"www", {"127.0.0.1", 41800}}, {"files", {"127.0.0.1", 41801}}};
  const std::string config = render_haproxy_config(topology, endpoints, targets_for(topology));

  const auto file = dir.path() / "haproxy.cfg";
  write_bytes(file, config);
  const auto check = haproxy_check(file);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << config;
  EXPECT_THAT(check.output, Not(HasSubstr("WARNING"))) << config;

  const auto lines = lines_of(config);
  const auto has_line = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  EXPECT_TRUE(has_line(fmt::format("    stats socket {} mode 600 level admin expose-fd listeners",
                                   endpoints.stats_socket.string())))
      << config;
  EXPECT_TRUE(has_line("    log 127.0.0.1:41901 len 8192 format rfc5424 local0 info")) << config;
  EXPECT_TRUE(has_line("    log-tag lbchaos-lb0")) << config;
  EXPECT_TRUE(has_line("    no strict-limits")) << config;
  EXPECT_TRUE(has_line("    option log-health-checks")) << config;
  EXPECT_TRUE(has_line("    bind 127.0.0.1:41800")) << config;
  EXPECT_TRUE(has_line("    option httpchk GET /health")) << config;
  EXPECT_TRUE(has_line("    timeout check 300ms")) << config;
  EXPECT_TRUE(has_line("    retry-on conn-failure empty-response")) << config;
  EXPECT_THAT(config, HasSubstr("server web1 127.0.0.1:42000 check inter 500ms fastinter 200ms "
                                "downinter 1s fall 2 rise 2 weight 100"));
  EXPECT_THAT(config, HasSubstr("server web2 127.0.0.1:42001 check inter 500ms fastinter 200ms "
                                "downinter 1s fall 2 rise 2 weight 100"));
  EXPECT_THAT(config, HasSubstr("server web3 127.0.0.1:42002 check inter 500ms fastinter 200ms "
                                "downinter 1s fall 2 rise 2 weight 200 maxconn 32"));
  EXPECT_TRUE(has_line("    server cdn1 127.0.0.1:42003 weight 7")) << config;
  EXPECT_THAT(config, HasSubstr("server cdn2 127.0.0.1:42004 weight 100 backup"));
  EXPECT_THAT(config, HasSubstr("use-service prometheus-exporter if { path /metrics }"));
  EXPECT_TRUE(has_line("    bind 127.0.0.1:41900")) << config;
  for (const std::string_view absent : {"daemon", "chroot", "pidfile", "user ", "group "}) {
    EXPECT_THAT(config, Not(HasSubstr(absent)));
  }
}

constexpr std::string_view kSetRequestVar =
    "http-request set-var(txn.lbchaos_request) req.hdr(X-Lbchaos-Request)";
constexpr std::string_view kRequestLogFormat =
    "log-format-sd '[lbchaos@32473 req=\"%{+E}[var(txn.lbchaos_request)]\" srv=\"%b/%s\" "
    "tr=\"%Tr\"]'";

TEST(HaproxyRender, EveryFrontendLogsTheRequestIdAndItsServer) {
  const Topology topology = three_web();
  InstanceEndpoints endpoints = endpoints_for_test("/run/x");
  endpoints.binds = {{"www", {"127.0.0.1", 41800}}, {"files", {"127.0.0.1", 41801}}};
  const std::string config = render_haproxy_config(topology, endpoints, targets_for(topology));
  for (const std::string_view frontend : {"frontend www\n", "frontend files\n"}) {
    const auto section = config.substr(config.find(frontend));
    const auto body = section.substr(0, section.find("\n\n"));
    EXPECT_THAT(body, HasSubstr(fmt::format("\n    {}\n", kSetRequestVar))) << body;
    EXPECT_THAT(body, HasSubstr(fmt::format("\n    {}\n", kRequestLogFormat))) << body;
  }
  const auto metrics = config.substr(config.find("frontend lbchaos_metrics"));
  EXPECT_THAT(metrics, Not(HasSubstr("lbchaos_request")));
}

TEST(HaproxyRender, NoCheckKeywordWhenChecksAreDisabled) {
  const Topology topology = three_web();
  InstanceEndpoints endpoints = endpoints_for_test("/run/x");
  endpoints.binds = {{"www", {"127.0.0.1", 41800}}, {"files", {"127.0.0.1", 41801}}};
  const std::string config = render_haproxy_config(topology, endpoints, targets_for(topology));
  const auto static_section = config.substr(config.find("backend static"));
  const auto body = static_section.substr(0, static_section.find("\n\n"));
  EXPECT_THAT(body, Not(HasSubstr(" check"))) << body;
  EXPECT_THAT(body, Not(HasSubstr("httpchk"))) << body;
  EXPECT_THAT(body, Not(HasSubstr("option redispatch"))) << body;
}

TEST(HaproxyRender, TcpChecksHaveNoHttpRequest) {
  Topology topology = three_web();
  topology.backends[0].check.kind = HealthCheck::Kind::kTcp;
  InstanceEndpoints endpoints = endpoints_for_test("/run/x");
  endpoints.binds = {{"www", {"127.0.0.1", 41800}}, {"files", {"127.0.0.1", 41801}}};
  const std::string config = render_haproxy_config(topology, endpoints, targets_for(topology));
  EXPECT_THAT(config, Not(HasSubstr("httpchk")));
  EXPECT_THAT(config, HasSubstr("server web1 127.0.0.1:42000 check inter 500ms"));
}

TEST(HaproxyRender, MissingAddressesAreHarnessBugs) {
  const Topology topology = three_web();
  InstanceEndpoints endpoints = endpoints_for_test("/run/x");
  endpoints.binds = {{"www", {"127.0.0.1", 41800}}};
  EXPECT_THROW((void)render_haproxy_config(topology, endpoints, targets_for(topology)),
               std::logic_error);
  endpoints.binds["files"] = {"127.0.0.1", 41801};
  auto targets = targets_for(topology);
  targets.erase("app/web2");
  EXPECT_THROW((void)render_haproxy_config(topology, endpoints, targets), std::logic_error);
}

TEST(HaproxyRender, QuotesWordsHaproxyWouldSplit) {
  EXPECT_EQ(haproxy_word("/run/lbchaos-x/stats.sock"), "/run/lbchaos-x/stats.sock");
  EXPECT_EQ(haproxy_word("/tmp/my runs/stats.sock"), "'/tmp/my runs/stats.sock'");
  EXPECT_EQ(haproxy_word("/tmp/bob's/s.sock"), "\"/tmp/bob's/s.sock\"");
  EXPECT_THROW((void)haproxy_word("/tmp/$HOME/s.sock"), std::logic_error);
}

// ------------------------------------------------------------------------------------------
// Rewrite of the user's own config

struct RewriteFixture {
  InstanceEndpoints endpoints;
  ServerTargets targets;
};

// Addresses for every bind and server the scan found.
RewriteFixture addresses_for(const UserConfig& config, const fs::path& run_dir) {
  RewriteFixture fixture{endpoints_for_test(run_dir), {}};
  int port = 43000;
  for (const auto& bind : config.binds) fixture.endpoints.binds[bind.key] = {"127.0.0.1", port++};
  port = 44000;
  for (const auto& s : config.servers) fixture.targets[s.key()] = {"127.0.0.1", port++};
  return fixture;
}

TEST(HaproxyRewrite, ScanFindsBindsServersAndCheckPaths) {
  const auto config = scan_user_config(kData / "production.cfg");
  ASSERT_EQ(config.binds.size(), 3u);
  EXPECT_EQ(config.binds[0].key, "www");
  EXPECT_EQ(config.binds[0].line, 26);
  EXPECT_EQ(config.binds[0].address, "10.0.0.5:80");
  EXPECT_EQ(config.binds[1].key, "www#2");
  EXPECT_EQ(config.binds[1].line, 27);
  EXPECT_EQ(config.binds[2].key, "admin_api");

  ASSERT_EQ(config.servers.size(), 7u);
  EXPECT_EQ(config.servers[0].key(), "app/app1");
  EXPECT_EQ(config.servers[0].address, "127.0.1.11:8080");
  EXPECT_EQ(config.servers[0].line, 40);
  EXPECT_EQ(config.servers[3].key(), "admin_api/api1");
  EXPECT_EQ(config.servers[6].key(), "static/cdn2");

  ASSERT_EQ(config.backends.size(), 3u);
  EXPECT_EQ(config.find_backend("app")->check_path, "/healthz");
  EXPECT_EQ(config.find_backend("admin_api")->check_path, "/");
  EXPECT_TRUE(config.find_backend("admin_api")->is_listen);
  EXPECT_EQ(config.find_backend("static")->check_path, std::nullopt);

  const auto warned = [&](const std::string& what) {
    return std::any_of(config.warnings.begin(), config.warnings.end(),
                       [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(warned("production.cfg:27: bind of frontend 'www': 'ssl', "
                     "'crt /etc/haproxy/certs/shop.pem', 'alpn h2,http/1.1' dropped: the harness "
                     "speaks plain HTTP"));
  EXPECT_TRUE(warned("production.cfg:41: server 'app/app2': 'ssl', 'verify none' dropped"));
  EXPECT_TRUE(warned("production.cfg:49: server 'admin_api/api1': 'port 9001' dropped: health "
                     "checks go to the harness node's own address"));
  EXPECT_EQ(config.warnings.size(), 3u);
}

TEST(HaproxyRewrite, ProductionConfigRunsAgainstTheHarnessNodes) {
  REQUIRE_HAPROXY();
  const auto user_file = kData / "production.cfg";
  const std::string before = read_bytes(user_file);
  TempDir dir;

  const auto config = scan_user_config(user_file);
  const auto fixture = addresses_for(config, dir.path());
  const auto rewritten = rewrite_user_config(config, fixture.endpoints, fixture.targets);
  const auto rewritten_file = dir.path() / "haproxy.cfg";
  write_bytes(rewritten_file, rewritten.text);

  const auto check = haproxy_check(rewritten_file);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << rewritten.text;
  EXPECT_THAT(check.output, Not(HasSubstr("WARNING"))) << check.output;
  EXPECT_EQ(read_bytes(user_file), before) << "the user's file must never change";

  const auto lines = lines_of(rewritten.text);
  ASSERT_EQ(rewritten.line_map.size(), lines.size() + 1);
  std::vector<std::string> live;  // lines haproxy acts on (not comments)
  for (const auto& line : lines) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#') live.push_back(line);
  }

  // Every server points at its node; nothing points at production any more.
  for (const auto& s : config.servers) {
    const auto& target = fixture.targets.at(s.key());
    EXPECT_THAT(rewritten.text, HasSubstr(fmt::format("server {} {}", s.name, target.to_string())));
  }
  EXPECT_THAT(live, Contains(HasSubstr("server app1 127.0.0.1:44000 check weight 100")));
  EXPECT_THAT(live, Contains("    server app2 127.0.0.1:44001 check weight 100"));
  EXPECT_THAT(live, Contains("    server app3 127.0.0.1:44002 check weight 50 # new, half size"));
  EXPECT_THAT(live, Contains("    server api1 127.0.0.1:44003 check inter 5s"));
  for (const auto& line : live) {
    EXPECT_THAT(line, AllOf(Not(HasSubstr("127.0.1.")), Not(HasSubstr("10.0.0.")),
                            Not(HasSubstr("/dev/log"))))
        << line;
    const auto words = words_of(line);
    if (words[0] == "bind" || words[0] == "server") {
      EXPECT_THAT(line, AllOf(Not(HasSubstr(" ssl")), Not(HasSubstr(" crt ")),
                              Not(HasSubstr(" verify ")), Not(HasSubstr(" alpn "))));
    }
  }

  // Binds moved; non-TLS options kept.
  EXPECT_THAT(live, Contains("    bind 127.0.0.1:43000"));
  EXPECT_THAT(live, Contains("    bind 127.0.0.1:43001"));
  EXPECT_THAT(live, Contains("    bind 127.0.0.1:43002"));

  // global: the user's process settings are commented out, the harness's are in.
  for (const std::string_view removed :
       {"daemon", "chroot /var/lib/haproxy", "user haproxy", "group haproxy",
        "pidfile /run/haproxy.pid", "log /dev/log local0",
        "stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners"}) {
    EXPECT_THAT(lines, Contains(fmt::format("    # lbchaos removed: {}", removed)));
  }
  EXPECT_THAT(live, Contains(HasSubstr(fmt::format("stats socket {} mode 600 level admin",
                                                   fixture.endpoints.stats_socket.string()))));

  // Logs: one target (the harness), and every proxy logs to it.
  int log_targets = 0;
  for (const auto& line : live) {
    const auto words = words_of(line);
    if (words[0] == "log" && words.at(1) != "global") ++log_targets;
  }
  EXPECT_EQ(log_targets, 1) << rewritten.text;
  for (const std::string_view proxy :
       {"frontend www", "backend app", "listen admin_api", "backend static"}) {
    const auto at = rewritten.text.find(fmt::format("\n{}\n", proxy));
    ASSERT_NE(at, std::string::npos) << proxy;
    EXPECT_EQ(rewritten.text.compare(at + proxy.size() + 2, 15, "    log global "), 0) << proxy;
  }
  EXPECT_THAT(lines, Contains("    # lbchaos removed: log 10.0.0.9:514 local3"));

  // The metrics frontend comes last, after its own defaults.
  EXPECT_THAT(rewritten.text, HasSubstr("frontend lbchaos_metrics\n    bind 127.0.0.1:41900\n"));

  // line_map: unchanged lines map to the same text, changed ones to the user's line.
  const auto& user_lines = config.lines;
  for (std::size_t n = 1; n < rewritten.line_map.size(); ++n) {
    const int origin = rewritten.line_map[n];
    if (origin == 0) continue;
    ASSERT_LE(static_cast<std::size_t>(origin), user_lines.size());
    const auto& original = user_lines[static_cast<std::size_t>(origin) - 1];
    const auto& line = lines[n - 1];
    if (line.find("# lbchaos") != std::string::npos || line.find("bind ") != std::string::npos ||
        line.find("server ") != std::string::npos) {
      continue;
    }
    EXPECT_EQ(line, original) << "rewritten line " << n << " maps to " << origin;
  }
  for (const auto& s : config.servers) {
    const auto it = std::find_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.find(fmt::format("    server {} 127.0.0.1:", s.name)) == 0;
    });
    ASSERT_NE(it, lines.end()) << s.name;
    EXPECT_EQ(rewritten.line_map[static_cast<std::size_t>(it - lines.begin()) + 1], s.line);
  }
  EXPECT_EQ(rewritten.line_map[1], 0);  // the harness's own header
}

TEST(HaproxyRewrite, HaproxyErrorsPointAtTheUsersLine) {
  REQUIRE_HAPROXY();
  const auto user_file = kData / "broken_server_line.cfg";
  TempDir dir;
  const auto config = scan_user_config(user_file);
  const auto fixture = addresses_for(config, dir.path());
  const auto rewritten = rewrite_user_config(config, fixture.endpoints, fixture.targets);
  const auto rewritten_file = dir.path() / "haproxy.cfg";
  write_bytes(rewritten_file, rewritten.text);

  const auto check = haproxy_check(rewritten_file);
  ASSERT_EQ(check.exit_code, 1) << check.output;
  ASSERT_THAT(check.output, HasSubstr(rewritten_file.string() + ":"));

  const auto message =
      translate_haproxy_message(check.output, rewritten_file, user_file, rewritten.line_map);
  EXPECT_THAT(message, HasSubstr(fmt::format("[{}:42] : 'server app/app3' : unknown keyword "
                                             "'chekc'",
                                             user_file.string())))
      << message;
  EXPECT_THAT(message, HasSubstr(fmt::format("Error(s) found in configuration file : {}",
                                             user_file.string())));
  EXPECT_THAT(message, Not(HasSubstr(rewritten_file.string()))) << message;
}

TEST(HaproxyRewrite, TranslateNamesLinesTheHarnessAdded) {
  const std::vector<int> line_map = {0, 0, 0, 7, 8};
  const auto message = translate_haproxy_message(
      "parsing [/run/a/haproxy.cfg:4] : x\n[/run/a/haproxy.cfg:2] : y\n"
      "declared at /run/a/haproxy.cfg:3, see /run/a/haproxy.cfg:99\n",
      "/run/a/haproxy.cfg", "/home/me/lb.cfg", line_map);
  EXPECT_EQ(message,
            "parsing [/home/me/lb.cfg:8] : x\n"
            "[/run/a/haproxy.cfg:2 (added by lbchaos)] : y\n"
            "declared at /home/me/lb.cfg:7, see /run/a/haproxy.cfg:99 (added by lbchaos)\n");
}

UserConfig scan_text(const std::string& text) {
  return scan_user_config_text(text, "/etc/haproxy/test.cfg");
}

TEST(HaproxyRewrite, CheckPathFormsAndInheritance) {
  const auto config = scan_text(
      "defaults\n"
      "    option httpchk GET /from-defaults\n"
      "defaults named\n"
      "    option httpchk HEAD /named HTTP/1.1\n"
      "defaults\n"
      "    mode http\n"
      "backend plain\n"
      "    option httpchk\n"
      "backend uri_only\n"
      "    option httpchk /ping\n"
      "backend method_uri\n"
      "    option httpchk GET /status\n"
      "backend version\n"
      "    option httpchk GET /v HTTP/1.1\\r\\nHost:\\ www\n"
      "backend send\n"
      "    option httpchk\n"
      "    http-check send meth GET uri /sent ver HTTP/1.1 hdr Host www\n"
      "backend inherited from named\n"
      "    server s1 10.0.0.1:80 check\n"
      "backend tcp_only\n"
      "    option tcp-check\n"
      "backend switched_off from named\n"
      "    no option httpchk\n");
  const auto path = [&](const char* name) { return config.find_backend(name)->check_path; };
  EXPECT_EQ(path("plain"), "/");
  EXPECT_EQ(path("uri_only"), "/ping");
  EXPECT_EQ(path("method_uri"), "/status");
  EXPECT_EQ(path("version"), "/v");
  EXPECT_EQ(path("send"), "/sent");
  EXPECT_EQ(path("inherited"), "/named");
  EXPECT_EQ(path("tcp_only"), std::nullopt);
  EXPECT_EQ(path("switched_off"), std::nullopt);
}

TEST(HaproxyRewrite, BindKeysNumberEachSectionsBindLines) {
  const auto config = scan_text(
      "frontend a\n  bind :80\n  bind :81\n  bind :82\n"
      "listen b\n  bind :90\n"
      "peers p\n  bind :10000\n");
  ASSERT_EQ(config.binds.size(), 4u);
  EXPECT_EQ(config.binds[0].key, "a");
  EXPECT_EQ(config.binds[1].key, "a#2");
  EXPECT_EQ(config.binds[2].key, "a#3");
  EXPECT_EQ(config.binds[3].key, "b");
  EXPECT_THAT(config.warnings, Contains(HasSubstr("test.cfg:8: 'bind :10000' commented out")));
}

TEST(HaproxyRewrite, ServerTemplateExpandsToItsServers) {
  const auto config = scan_text("backend app\n    server-template web 3 10.0.0.1:80 check\n"
                                "backend api\n    server-template srv 5-6 api.consul:80 check\n");
  std::vector<std::string> keys;
  for (const auto& server : config.servers) keys.push_back(server.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"app/web1", "app/web2", "app/web3", "api/srv5",
                                            "api/srv6"}));
}

TEST(HaproxyRewrite, ServerTemplateWithABadCountIsRejectedAtItsLine) {
  try {
    (void)scan_text("backend app\n    server-template web x 10.0.0.1:80 check\n");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 2);
    EXPECT_THAT(e.what(), HasSubstr("'x' is not a number of servers"));
  }
}

TEST(HaproxyRewrite, FileWithoutFinalNewlineIsRejected) {
  EXPECT_THROW((void)scan_text("backend app\n    server web1 10.0.0.1:80"), InputError);
}

TEST(HaproxyRewrite, UnreadableFileIsAnInputError) {
  try {
    (void)scan_user_config(kData / "does-not-exist.cfg");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot read haproxy config"));
    EXPECT_THAT(e.what(), HasSubstr("does-not-exist.cfg: No such file or directory"));
  }
}

TEST(HaproxyRewrite, ServerWithoutTargetIsAHarnessBug) {
  const auto config = scan_text("backend app\n    server web1 10.0.0.1:80\n");
  InstanceEndpoints endpoints = endpoints_for_test("/run/x");
  EXPECT_THROW((void)rewrite_user_config(config, endpoints, {}), std::logic_error);
}

TEST(HaproxyRewrite, KeepsOptionsCommentsAndQuoting) {
  const auto config = scan_text(
      "frontend www\n"
      "\tbind \"10.0.0.1:443\"   ssl crt /x.pem  accept-proxy maxconn 100   # public\n"
      "backend app\n"
      "    default-server ssl verify none inter 1s check-ssl\n"
      "    server web1 10.0.0.2:8443 cookie ssl check send-proxy-v2 port 8444  # primary\n"
      "    no log\n"
      "    option ssl-hello-chk\n");
  InstanceEndpoints endpoints = endpoints_for_test("/run/x");
  endpoints.binds["www"] = {"127.0.0.1", 5000};
  const auto rewritten =
      rewrite_user_config(config, endpoints, {{"app/web1", {"127.0.0.1", 5001}}});
  const auto lines = lines_of(rewritten.text);
  EXPECT_THAT(lines, Contains("\tbind 127.0.0.1:5000 maxconn 100   # public"));
  EXPECT_THAT(lines, Contains("    default-server inter 1s"));
  EXPECT_THAT(lines, Contains("    server web1 127.0.0.1:5001 cookie ssl check  # primary"));
  EXPECT_THAT(lines, Contains("    # lbchaos removed: no log"));
  EXPECT_THAT(lines, Contains("    # lbchaos removed: option ssl-hello-chk"));
  EXPECT_THAT(lines, Contains("\t# lbchaos was: bind \"10.0.0.1:443\"   ssl crt /x.pem  "
                              "accept-proxy maxconn 100   # public"));
}

// Only HTTP frontends get the request id rule (a TCP one would warn that it ignores it); the
// mode is followed through defaults sections as haproxy does. Lines that would hide which server
// served a request are commented out with a warning.
TEST(HaproxyRewrite, HttpFrontendsLogTheRequestIdAndItsServer) {
  REQUIRE_HAPROXY();
  TempDir dir;
  const auto config = scan_text(
      "defaults web\n"
      "    mode http\n"
      "    log-format-sd [mine@1\\ x=\\\"%ST\\\"]\n"
      "    timeout connect 5s\n"
      "    timeout client 5s\n"
      "    timeout server 5s\n"
      "defaults\n"
      "    mode tcp\n"
      "    timeout connect 5s\n"
      "    timeout client 5s\n"
      "    timeout server 5s\n"
      "frontend db\n"
      "    bind 10.0.0.1:5432\n"
      "    default_backend pg\n"
      "frontend www from web\n"
      "    bind 10.0.0.1:80\n"
      "    option httplog\n"
      "    option dontlog-normal\n"
      "    default_backend app\n"
      "listen api\n"
      "    mode http\n"
      "    bind 10.0.0.1:81\n"
      "    server api1 10.0.0.3:80\n"
      "backend pg\n"
      "    server pg1 10.0.0.4:5432\n"
      "backend app from web\n"
      "    server web1 10.0.0.2:80\n");
  ASSERT_EQ(config.frontends.size(), 3u);
  EXPECT_FALSE(config.frontends[0].http);  // db: mode tcp from the last defaults
  EXPECT_TRUE(config.frontends[1].http);   // www: from the named defaults
  EXPECT_TRUE(config.frontends[2].http);   // api: its own mode
  EXPECT_TRUE(config.frontends[2].is_listen);
  const auto warned = [&](const std::string& what) {
    return std::any_of(config.warnings.begin(), config.warnings.end(),
                       [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(warned("test.cfg:3: 'log-format-sd [mine@1\\ x=\\\"%ST\\\"]' commented out: the "
                     "harness reads which server served each request from haproxy's log"))
      << ::testing::PrintToString(config.warnings);
  EXPECT_TRUE(warned("test.cfg:18: 'option dontlog-normal' commented out"));

  const auto fixture = addresses_for(config, dir.path());
  const auto rewritten = rewrite_user_config(config, fixture.endpoints, fixture.targets);
  const auto file = dir.path() / "haproxy.cfg";
  write_bytes(file, rewritten.text);
  const auto check = haproxy_check(file);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << rewritten.text;
  EXPECT_THAT(check.output, Not(HasSubstr("WARNING"))) << check.output << "\n" << rewritten.text;

  const auto section = [&](const std::string& header) {
    const auto at = rewritten.text.find("\n" + header + "\n");
    const auto next = rewritten.text.find("\nbackend ", at + 1);
    const auto next_other = std::min(next, std::min(rewritten.text.find("\nfrontend ", at + 1),
                                                    rewritten.text.find("\nlisten ", at + 1)));
    return rewritten.text.substr(at, next_other - at);
  };
  const std::string added_var = fmt::format("\n    {}  # lbchaos\n", kSetRequestVar);
  const std::string added_format = fmt::format("\n    {}  # lbchaos\n", kRequestLogFormat);
  EXPECT_THAT(section("frontend db"), Not(HasSubstr("lbchaos_request")));
  for (const std::string header : {"frontend www from web", "listen api"}) {
    EXPECT_THAT(section(header), HasSubstr(added_var)) << section(header);
    EXPECT_THAT(section(header), HasSubstr(added_format)) << section(header);
  }
  const auto lines = lines_of(rewritten.text);
  EXPECT_THAT(lines, Contains("    # lbchaos removed: option dontlog-normal"));
  EXPECT_THAT(lines, Contains("    # lbchaos removed: log-format-sd [mine@1\\ x=\\\"%ST\\\"]"));
}

}  // namespace
}  // namespace lbchaos::topology

#include "tests/unit/support/input_errors.h"
#include "harness/topology/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace lbchaos::topology {
namespace {

namespace fs = std::filesystem;
using test_support::CorpusCase;
using test_support::expect_input_error;
using test_support::read_case;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kData = LBCHAOS_TEST_DATA;


TEST(TopologyLoader, LoadsEveryKeyOfTheFullExample) {
  const Topology t = load_topology(kData / "topologies/valid_full.toml");

  EXPECT_EQ(t.name, "full.example-1");
  EXPECT_TRUE(t.file.is_absolute());
  EXPECT_EQ(t.file.filename(), "valid_full.toml");
  EXPECT_FALSE(t.uses_user_config());
  EXPECT_EQ(t.haproxy.instances, 2);
  EXPECT_EQ(t.haproxy.binary, "/usr/sbin/haproxy");
  EXPECT_EQ(t.haproxy.ready_timeout, 20s);
  EXPECT_EQ(t.haproxy.maxconn, 2000);
  EXPECT_EQ(t.haproxy.where.line, 4);

  ASSERT_EQ(t.backends.size(), 3u);
  const Backend& app = t.backends[0];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.balance, "leastconn");
  EXPECT_TRUE(app.check.enabled);
  EXPECT_EQ(app.check.kind, HealthCheck::Kind::kHttp);
  EXPECT_EQ(app.check.inter, 500ms);
  EXPECT_EQ(app.check.fastinter, Duration(200ms));
  EXPECT_EQ(app.check.downinter, Duration(1s));
  EXPECT_EQ(app.check.timeout, Duration(300ms));
  EXPECT_EQ(app.check.fall, 2);
  EXPECT_EQ(app.check.rise, 3);
  EXPECT_EQ(app.check.path, "/healthz");
  EXPECT_FALSE(app.redispatch);
  EXPECT_EQ(app.retries, 5);
  EXPECT_EQ(app.retry_on, (std::vector<std::string>{"conn-failure", "empty-response", "503"}));
  EXPECT_EQ(app.timeout_connect, 1s);
  EXPECT_EQ(app.timeout_server, 5s);
  EXPECT_EQ(app.timeout_queue, 2s);
  EXPECT_EQ(app.where.line, 10);
  EXPECT_EQ(app.where.column, 1);

  ASSERT_EQ(app.servers.size(), 2u);
  const Server& web1 = app.servers[0];
  EXPECT_EQ(web1.name, "web1");
  EXPECT_EQ(web1.address, "127.0.0.2");
  EXPECT_DOUBLE_EQ(web1.capacity, 2.0);
  EXPECT_EQ(web1.weight, 200);
  EXPECT_EQ(web1.latency, 5ms);
  EXPECT_EQ(web1.max_inflight, 32);
  EXPECT_EQ(web1.overload, OverloadBehaviour::kCrash);
  EXPECT_EQ(web1.maxconn, 100);
  EXPECT_FALSE(web1.backup);
  EXPECT_TRUE(web1.is_builtin());
  EXPECT_EQ(web1.where.line, 21);

  const Server& web2 = app.servers[1];
  EXPECT_EQ(web2.address, "::1");
  EXPECT_DOUBLE_EQ(web2.capacity, 0.5);
  EXPECT_EQ(web2.weight, std::nullopt);
  EXPECT_EQ(web2.latency, 0ms);
  EXPECT_EQ(web2.overload, OverloadBehaviour::kReject);
  EXPECT_TRUE(web2.backup);

  const Backend& legacy = t.backends[1];
  EXPECT_EQ(legacy.balance, "source");
  EXPECT_FALSE(legacy.check.enabled);
  ASSERT_EQ(legacy.servers.size(), 2u);
  EXPECT_EQ(legacy.servers[0].command,
            (std::vector<std::string>{"python3", "-m", "http.server", "{port}", "--bind",
                                      "127.0.0.1"}));
  EXPECT_EQ(legacy.servers[1].command,
            (std::vector<std::string>{"./bin/app", "--listen=127.0.0.1:{port}"}));
  EXPECT_FALSE(legacy.servers[1].is_builtin());

  const Backend& tcp = t.backends[2];
  EXPECT_EQ(tcp.check.kind, HealthCheck::Kind::kTcp);
  EXPECT_EQ(tcp.check.inter, 1s);

  ASSERT_EQ(t.frontends.size(), 2u);
  EXPECT_EQ(t.frontends[0].name, "www");
  EXPECT_EQ(t.frontends[0].backend, "app");
  EXPECT_EQ(t.frontends[0].address, "127.0.0.1");
  EXPECT_EQ(t.frontends[0].port, 18080);
  EXPECT_EQ(t.frontends[0].timeout_client, 15s);
  EXPECT_EQ(t.frontends[1].backend, "legacy");
  EXPECT_EQ(t.frontends[1].port, 0);
}

TEST(TopologyLoader, FillsDefaultsForAMinimalFile) {
  const Topology t = parse_topology(R"(
name = "min"
[[backend]]
name = "app"
[[backend.server]]
name = "web1"
[[frontend]]
name = "www"
backend = "app"
)",
                                    "min.toml");
  const HaproxySettings defaults;
  EXPECT_EQ(t.haproxy.instances, defaults.instances);
  EXPECT_EQ(t.haproxy.binary, defaults.binary);
  EXPECT_EQ(t.haproxy.ready_timeout, defaults.ready_timeout);
  EXPECT_EQ(t.haproxy.maxconn, defaults.maxconn);

  ASSERT_EQ(t.backends.size(), 1u);
  const Backend backend_defaults;
  const Backend& app = t.backends[0];
  EXPECT_EQ(app.balance, backend_defaults.balance);
  EXPECT_TRUE(app.check.enabled);
  EXPECT_EQ(app.check.inter, backend_defaults.check.inter);
  EXPECT_EQ(app.check.path, "/health");
  EXPECT_EQ(app.redispatch, backend_defaults.redispatch);
  EXPECT_EQ(app.retries, backend_defaults.retries);
  EXPECT_TRUE(app.retry_on.empty());
  EXPECT_EQ(app.timeout_server, backend_defaults.timeout_server);

  const Server server_defaults;
  const Server& web1 = app.servers.at(0);
  EXPECT_EQ(web1.address, "127.0.0.1");
  EXPECT_EQ(web1.capacity, server_defaults.capacity);
  EXPECT_EQ(web1.latency, server_defaults.latency);
  EXPECT_EQ(web1.max_inflight, server_defaults.max_inflight);
  EXPECT_EQ(web1.overload, OverloadBehaviour::kQueue);
  EXPECT_TRUE(web1.is_builtin());

  EXPECT_EQ(t.frontends.at(0).port, 0);
  EXPECT_EQ(t.frontends.at(0).address, "127.0.0.1");
}

TEST(TopologyLoader, UserConfigModeResolvesTheConfigAndAllowsEmptyBackends) {
  const Topology t = load_topology(kData / "topologies/valid_user_config.toml");
  ASSERT_TRUE(t.uses_user_config());
  EXPECT_TRUE(t.haproxy.config->is_absolute());
  EXPECT_EQ(*t.haproxy.config, fs::canonical(kData / "malformed/support/haproxy.cfg"));
  EXPECT_EQ(t.haproxy.config_where.line, 5);
  EXPECT_EQ(t.haproxy.config_where.column, 10);
  ASSERT_EQ(t.backends.size(), 2u);
  EXPECT_EQ(t.backends[0].servers.at(0).latency, 10ms);
  EXPECT_TRUE(t.backends[1].servers.empty());
  EXPECT_TRUE(t.frontends.empty());
}

TEST(TopologyLoader, QuickstartExampleLoads) {
  const Topology t = load_topology(fs::path(LBCHAOS_SOURCE_DIR) / "topologies/quickstart.toml");
  EXPECT_EQ(t.name, "quickstart");
  EXPECT_EQ(t.haproxy.instances, 1);
  ASSERT_EQ(t.backends.size(), 1u);
  const Backend& app = t.backends[0];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.balance, "roundrobin");
  EXPECT_EQ(app.check.inter, 500ms);
  EXPECT_EQ(app.check.fastinter, Duration(200ms));
  EXPECT_EQ(app.check.fall, 2);
  EXPECT_EQ(app.check.rise, 2);
  EXPECT_EQ(app.check.path, "/health");
  EXPECT_TRUE(app.redispatch);
  ASSERT_EQ(app.servers.size(), 3u);
  for (const Server& server : app.servers) {
    EXPECT_TRUE(server.is_builtin());
    EXPECT_EQ(server.latency, 2ms);
    EXPECT_DOUBLE_EQ(server.capacity, 1.0);
    EXPECT_EQ(server.max_inflight, 64);
  }
  EXPECT_EQ(app.servers[2].name, "web3");
  ASSERT_EQ(t.frontends.size(), 1u);
  EXPECT_EQ(t.frontends[0].name, "www");
  EXPECT_EQ(t.frontends[0].backend, "app");
  EXPECT_EQ(t.frontends[0].port, 0);
}

TEST(TopologyLoader, MissingFileSaysWhy) {
  const InputError error = expect_input_error([] { (void)load_topology("/nonexistent/t.toml"); });
  EXPECT_STREQ(error.what(),
               "cannot read topology file /nonexistent/t.toml: No such file or directory");
}

TEST(TopologyLoader, ErrorsUseThePathAsGiven) {
  const InputError error = expect_input_error([] {
    (void)parse_topology("name = \"t\"\nbogus = 1\n", "some/dir/t.toml");
  });
  EXPECT_THAT(error.what(), StartsWith("some/dir/t.toml:2:1: unknown key 'bogus'"));
  EXPECT_EQ(error.where().file, "some/dir/t.toml");
  EXPECT_EQ(error.where().line, 2);
  EXPECT_EQ(error.where().column, 1);
}

const char* const kOneServer = R"(
[[backend]]
name = "app"

[[backend.server]]
name = "web1"

[[frontend]]
name = "www"
backend = "app"
)";

TEST(TopologyLoader, AlertingAcceptsTheShortestScrapeIntervalOf250ms) {
  const Topology t =
      parse_topology(std::string("name = \"t\"\n[alerting]\nscrape_interval = \"250ms\"\n") +
                         kOneServer,
                     "t.toml");
  EXPECT_EQ(t.alerting.engine, AlertingSettings::Engine::kEmbedded);
  EXPECT_EQ(t.alerting.scrape_interval, 250ms);
  EXPECT_FALSE(t.alerting.alertmanager);
  EXPECT_TRUE(t.alerting.rules.empty()) << "the built-in rules";
}

TEST(TopologyLoader, AlertingDefaultsToTheEmbeddedEngineScrapingEverySecond) {
  const Topology t = parse_topology(std::string("name = \"t\"\n") + kOneServer, "t.toml");
  EXPECT_EQ(t.alerting.engine, AlertingSettings::Engine::kEmbedded);
  EXPECT_EQ(t.alerting.scrape_interval, 1s);
}

// ---- the malformed corpus: tests/data/malformed/*.toml, one mistake per file ----

std::vector<fs::path> corpus_files() {
  return test_support::corpus_files(kData / "malformed");
}

class TopologyCorpus : public ::testing::TestWithParam<fs::path> {};

TEST_P(TopologyCorpus, FailsAtTheStatedPositionWithTheStatedMessage) {
  const CorpusCase c = read_case(GetParam());
  ASSERT_GT(c.line, 0) << GetParam() << ": first line must be '# expect: L:C substring'";
  const std::string path = c.file.string();

  const InputError error = expect_input_error([&] { (void)load_topology(c.file); });

  const std::string prefix = fmt::format("{}:{}:{}: ", path, c.line, c.column);
  EXPECT_THAT(error.what(), StartsWith(prefix));
  EXPECT_THAT(error.what(), HasSubstr(c.substring));
  EXPECT_EQ(error.where().line, c.line);
  EXPECT_EQ(error.where().column, c.column);
}

INSTANTIATE_TEST_SUITE_P(Malformed, TopologyCorpus, ::testing::ValuesIn(corpus_files()),
                         [](const ::testing::TestParamInfo<fs::path>& param) {
                           std::string name = param.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(TopologyCorpusSize, HasAtLeastEighteenFiles) { EXPECT_GE(corpus_files().size(), 18u); }

}  // namespace
}  // namespace lbchaos::topology

// The metrics collector against a real topology started in-process: two haproxy instances in
// front of two servers. Healthy rounds show every server UP and every frontend answering; a
// killed server turns not-UP in haproxy's exporter; a killed haproxy turns `up` and its
// frontend's blackbox check to 0 while the other instance keeps answering.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/deploy/deployment.h"
#include "faults/load_balancer.h"
#include "faults/process.h"
#include "harness/observe/metrics_collector.h"
#include "harness/observe/prometheus_text.h"
#include "harness/process/run_directory.h"
#include "harness/topology/loader.h"

namespace lbchaos::observe {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kInterval = 500ms;
constexpr auto kDeadline = 20s;  // generous: a noisy 2-core machine

// The value of the first sample named `name` whose labels include `labels`.
std::optional<double> value_of(const ScrapeRound& round, const std::string& name,
                               const Labels& labels) {
  for (const auto& sample : round.samples) {
    if (sample.name != name) continue;
    const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
      const auto it = sample.labels.find(label.first);
      return it != sample.labels.end() && it->second == label.second;
    });
    if (match) return sample.value;
  }
  return std::nullopt;
}

// The median of durations in ns (the upper one of an even count): robust to a few rounds a
// loaded machine woke late.
std::int64_t median(std::vector<std::int64_t> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// "500.2 502.9 1000.1 ms", for failure messages.
std::string describe(const std::vector<std::int64_t>& durations_ns) {
  std::string out;
  for (const auto ns : durations_ns) out += fmt::format("{:.1f} ", static_cast<double>(ns) / 1e6);
  return out + "ms";
}

bool equals(const std::optional<double>& value, double expected) {
  return value && *value == expected;
}

bool server_up(const ScrapeRound& round, const std::string& instance, const std::string& server) {
  return equals(value_of(round, "haproxy_server_status",
                         {{"instance", instance}, {"proxy", "app"}, {"server", server},
                          {"state", "UP"}}),
                1);
}

bool frontend_up(const ScrapeRound& round, const std::string& instance) {
  return equals(
      value_of(round, "lbchaos_frontend_up", {{"instance", instance}, {"frontend", "www"}}), 1);
}

bool instance_healthy(const ScrapeRound& round, const std::string& instance) {
  return equals(value_of(round, "up", {{"instance", instance}}), 1) &&
         server_up(round, instance, "web1") && server_up(round, instance, "web2") &&
         frontend_up(round, instance) &&
         equals(value_of(round, "lbchaos_reload_failures_total", {{"instance", instance}}), 0);
}

// Built-in backends are `lbchaos backend` processes; this test binary is not lbchaos, so each
// server runs the real binary as a command backend with the same arguments.
topology::Topology load_two_lbs(const std::filesystem::path& control_dir) {
  auto topology =
      topology::load_topology(std::string(LBCHAOS_TEST_DATA) + "/integration/two_instances.toml");
  for (auto& backend : topology.backends) {
    for (auto& server : backend.servers) {
      const std::string key = topology::server_key(backend.name, server.name);
      server.command = {LBCHAOS_BINARY, "backend", "--name", key, "--listen", "{address}:{port}",
                        "--control", (control_dir / (server.name + ".ctl")).string()};
    }
  }
  return topology;
}

std::vector<CollectorTarget> targets_of(deploy::Deployment& deployment) {
  std::vector<CollectorTarget> targets;
  for (const auto& instance : deployment.instances()) {
    targets.push_back(CollectorTarget{instance->name(), instance->endpoints().metrics,
                                      instance->endpoints().binds, instance->master_socket()});
  }
  return targets;
}

// Keeps every round and lets a coroutine wait for one that satisfies a condition.
class RoundWatcher {
 public:
  explicit RoundWatcher(asio::io_context& io) : wake_(io) {}

  void add(const ScrapeRound& round) {
    rounds_.push_back(round);
    wake_.cancel();
  }

  // The first round started at or after `since` that satisfies `condition`, within kDeadline.
  asio::awaitable<std::optional<ScrapeRound>> wait_for(
      MonoTime since, const std::function<bool(const ScrapeRound&)>& condition) {
    const MonoTime deadline = mono_now() + kDeadline;
    std::size_t next = 0;
    for (;;) {
      for (; next < rounds_.size(); ++next) {
        if (rounds_[next].at_ns >= to_ns(since) && condition(rounds_[next])) {
          co_return rounds_[next];
        }
      }
      if (mono_now() >= deadline) co_return std::nullopt;
      wake_.expires_at(deadline);
      boost::system::error_code ignored;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  [[nodiscard]] const std::vector<ScrapeRound>& rounds() const { return rounds_; }

 private:
  asio::steady_timer wake_;
  std::vector<ScrapeRound> rounds_;
};

struct Observed {
  std::string error;
  std::optional<ScrapeRound> healthy;
  std::optional<ScrapeRound> web1_killed;
  std::optional<ScrapeRound> lb0_killed;
  std::vector<ScrapeRound> rounds;
  std::size_t rounds_counted = 0;
  std::string blackbox;
};

TEST(MetricsCollector, SeesServersUpThenAKilledServerThenAKilledHaproxy) {
  process::RunDirectory run_dir("metrics-collector");
  asio::io_context io(1);
  deploy::Deployment deployment(io, load_two_lbs(run_dir.subdir("controls")), run_dir);
  std::optional<MetricsCollector> collector;
  RoundWatcher watcher(io);
  Observed observed;

  auto scenario = [&]() -> asio::awaitable<void> {
    try {
      co_await deployment.prepare();
      co_await deployment.launch();
      collector.emplace(io, targets_of(deployment), CollectorOptions{kInterval, true, {}});
      collector->start([&](const ScrapeRound& round) { watcher.add(round); });

      observed.healthy = co_await watcher.wait_for(mono_now(), [](const ScrapeRound& r) {
        return instance_healthy(r, "lb0") && instance_healthy(r, "lb1");
      });

      const MonoTime web1_killed_at = mono_now();
      co_await faults::ProcessFault(faults::ProcessFault::Kind::kKill,
                                    *deployment.find_node("app/web1"), io)
          .inject();
      observed.web1_killed = co_await watcher.wait_for(web1_killed_at, [](const ScrapeRound& r) {
        return !server_up(r, "lb0", "web1") && !server_up(r, "lb1", "web1");
      });

      const MonoTime lb0_killed_at = mono_now();
      co_await faults::LbKillFault(deployment, *deployment.instances().at(0)).inject();
      observed.lb0_killed = co_await watcher.wait_for(lb0_killed_at, [](const ScrapeRound& r) {
        return equals(value_of(r, "up", {{"instance", "lb0"}}), 0) &&
               equals(value_of(r, "lbchaos_frontend_up", {{"instance", "lb0"}}), 0);
      });
      observed.blackbox = collector->blackbox_exposition();
    } catch (const std::exception& e) {
      observed.error = e.what();
    }
    if (collector) {
      co_await collector->stop();
      co_await collector->stop();  // twice is fine
    }
    observed.rounds = watcher.rounds();
    observed.rounds_counted = collector ? collector->rounds() : 0;
    co_await deployment.shutdown();
  };
  asio::co_spawn(io, scenario(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();

  ASSERT_EQ(observed.error, "");
  ASSERT_TRUE(observed.healthy) << "never saw every server UP and every frontend answering";
  for (const std::string instance : {"lb0", "lb1"}) {
    EXPECT_TRUE(equals(value_of(*observed.healthy, "haproxy_server_status",
                                {{"instance", instance}, {"server", "web1"}, {"state", "DOWN"}}),
                       0));
  }

  ASSERT_TRUE(observed.web1_killed) << "app/web1 was killed but stayed UP in every round";
  for (const std::string instance : {"lb0", "lb1"}) {
    EXPECT_TRUE(server_up(*observed.web1_killed, instance, "web2")) << instance;
    EXPECT_TRUE(frontend_up(*observed.web1_killed, instance)) << instance;
  }

  ASSERT_TRUE(observed.lb0_killed) << "lb0 was killed but kept answering";
  const ScrapeRound& after = *observed.lb0_killed;
  EXPECT_FALSE(value_of(after, "haproxy_server_status", {{"instance", "lb0"}}))
      << "no exporter samples from a dead haproxy";
  EXPECT_FALSE(value_of(after, "lbchaos_reload_failures_total", {{"instance", "lb0"}}))
      << "the master is gone: no sample";
  EXPECT_TRUE(equals(value_of(after, "up", {{"instance", "lb1"}}), 1));
  EXPECT_TRUE(frontend_up(after, "lb1"));
  EXPECT_TRUE(server_up(after, "lb1", "web2"));
  EXPECT_THAT(observed.blackbox,
              HasSubstr("lbchaos_frontend_up{frontend=\"www\",instance=\"lb0\"} 0\n"));
  EXPECT_THAT(observed.blackbox, HasSubstr("up{instance=\"lb1\"} 1\n"));
  EXPECT_THAT(observed.blackbox, Not(HasSubstr("haproxy_")));

  // A fixed cadence: rounds start on the ticks of the first one. A loaded machine may wake a
  // round late or make it skip a tick, so the typical round is judged: the median gap between
  // rounds is one interval, and the median round starts early in its tick.
  ASSERT_GE(observed.rounds.size(), 3u);
  EXPECT_EQ(observed.rounds_counted, observed.rounds.size());
  const auto interval_ns = std::chrono::nanoseconds(kInterval).count();
  std::vector<std::int64_t> gaps;
  std::vector<std::int64_t> into_tick;
  for (std::size_t i = 0; i < observed.rounds.size(); ++i) {
    const auto since_first = observed.rounds[i].at_ns - observed.rounds.front().at_ns;
    into_tick.push_back(since_first % interval_ns);
    if (i > 0) gaps.push_back(observed.rounds[i].at_ns - observed.rounds[i - 1].at_ns);
  }
  EXPECT_GE(median(gaps), interval_ns * 8 / 10) << describe(gaps);
  EXPECT_LT(median(gaps), interval_ns * 5 / 4) << describe(gaps);
  EXPECT_LT(median(into_tick), interval_ns / 4) << describe(into_tick);
}

TEST(MetricsCollector, StopWithoutStartAndTooShortAnInterval) {
  asio::io_context io(1);
  MetricsCollector collector(io, {}, CollectorOptions{});
  bool stopped = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await collector.stop();
    co_await collector.stop();
    stopped = true;
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io.run();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(collector.rounds(), 0u);
  EXPECT_EQ(collector.blackbox_exposition(), "");
  EXPECT_THROW(MetricsCollector(io, {}, CollectorOptions{100ms, true, {}}), std::invalid_argument);
}

TEST(MetricsCollector, AnUnreachableOrHungInstanceIsDownWithoutDelayingTheCadence) {
  asio::io_context io(1);
  // A hung LB: the kernel completes the connection (backlog) but nothing ever answers.
  asio::ip::tcp::acceptor hung(io, {asio::ip::make_address("127.0.0.1"), 0});
  const topology::Endpoint hung_endpoint{"127.0.0.1", hung.local_endpoint().port()};
  const topology::Endpoint refused{"127.0.0.1", 1};  // nothing listens on port 1 here
  CollectorTarget target{"lb0", refused, {{"www", refused}, {"api", hung_endpoint}},
                         "/nonexistent/master.sock"};
  MetricsCollector collector(io, {target}, CollectorOptions{250ms, true, {}});
  constexpr std::size_t kRounds = 9;
  std::vector<ScrapeRound> rounds;
  collector.start([&](const ScrapeRound& round) {
    rounds.push_back(round);
    if (rounds.size() == kRounds) {
      asio::co_spawn(io, collector.stop(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
    }
  });
  io.run();

  ASSERT_EQ(rounds.size(), kRounds);
  for (const auto& round : rounds) {
    EXPECT_TRUE(equals(value_of(round, "up", {{"instance", "lb0"}}), 0));
    EXPECT_TRUE(equals(value_of(round, "lbchaos_frontend_up", {{"frontend", "www"}}), 0));
    EXPECT_TRUE(equals(value_of(round, "lbchaos_frontend_up", {{"frontend", "api"}}), 0));
    EXPECT_FALSE(value_of(round, "lbchaos_reload_failures_total", {})) << "no master: no sample";
    EXPECT_EQ(round.samples.size(), 3u);
  }
  // The hung frontend times out within the round, so rounds keep the 250 ms cadence. A loaded
  // machine may make a round skip a tick now and then; a timeout as long as the interval would
  // make every round skip one (gaps of 500 ms).
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < rounds.size(); ++i) {
    gaps.push_back(rounds[i].at_ns - rounds[i - 1].at_ns);
  }
  const std::int64_t interval_ns = std::chrono::nanoseconds(250ms).count();
  EXPECT_GE(median(gaps), interval_ns * 8 / 10) << describe(gaps);
  EXPECT_LT(median(gaps), interval_ns * 3 / 2) << describe(gaps);
}

}  // namespace
}  // namespace lbchaos::observe

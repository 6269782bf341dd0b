// The prometheus engine in-process against a real haproxy, a real Prometheus and a real
// Alertmanager: a killed server fires the team's PromQL rule, the webhook receives the
// notification, its restart resolves both, and nothing the engine started outlives stop().
#include "harness/alerting/prometheus_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/process/run_directory.h"
#include "harness/topology/loader.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using alerting::AlertState;
using test_support::TempDir;
using ::testing::HasSubstr;

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Two `lbchaos backend` servers run as command backends: in-process, the running binary is
// this test, not lbchaos.
std::string backend_command(const TempDir& dir, const std::string& name) {
  return fmt::format(R"(["{}", "backend", "--name", "app/{}", "--listen", "{{address}}:{{port}}", )"
                     R"("--control", "{}"])",
                     LBCHAOS_BINARY, name, (dir / (name + ".ctl")).string());
}

std::filesystem::path write_topology(const TempDir& dir, const std::string& rules) {
  write(dir / "r.yml", rules);
  const auto file = dir / "topology.toml";
  write(file, fmt::format(R"(name = "prometheus-engine"
[alerting]
engine = "prometheus"
rules = ["r.yml"]
alertmanager = true
scrape_interval = "500ms"

[[backend]]
name = "app"
check = {{ inter = "500ms", fall = 2, rise = 2, path = "/health" }}

[[backend.server]]
name = "web1"
command = {}

[[backend.server]]
name = "web2"
command = {}

[[frontend]]
name = "www"
backend = "app"
)",
                          backend_command(dir, "web1"), backend_command(dir, "web2")));
  return file;
}

const std::string kServerDownRule = R"(groups:
  - name: haproxy
    rules:
      - alert: HaproxyServerDown
        expr: haproxy_server_status{state="DOWN"} == 1
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.proxy }}/{{ $labels.server }} is DOWN"
)";

bool is_web1(const alerting::Labels& labels) {
  return labels.contains("server") && labels.at("server") == "web1" &&
         labels.contains("instance") && labels.at("instance") == "lb0";
}

const alerting::AlertEvent* web1_event(const alerting::AlertRecording& recording,
                                       AlertState state) {
  for (const auto& event : recording.events) {
    if (event.rule == "HaproxyServerDown" && event.state == state && is_web1(event.labels)) {
      return &event;
    }
  }
  return nullptr;
}

const alerting::AlertDelivery* web1_delivery(const alerting::AlertRecording& recording,
                                             const std::string& status) {
  for (const auto& delivery : recording.deliveries) {
    if (delivery.rule == "HaproxyServerDown" && delivery.status == status &&
        is_web1(delivery.labels)) {
      return &delivery;
    }
  }
  return nullptr;
}

bool gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) == -1 && errno == ESRCH; }

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

struct KillRun {
  std::string error;
  std::int64_t started_ns = 0;
  std::int64_t engine_ready_ns = 0;
  std::int64_t killed_ns = 0;
  std::int64_t restarted_ns = 0;
  alerting::AlertRecording recording;
  pid_t prometheus_pid = -1;
  pid_t alertmanager_pid = -1;
  bool prometheus_gone = false;
  bool alertmanager_gone = false;
  std::size_t leftover_after_stop = 0;  // of the engine's nodes, by pid
  std::size_t leftover_processes = 0;   // of the whole run, after the deployment's shutdown
};

asio::awaitable<void> kill_web1_and_wait(deploy::Deployment& deployment,
                                         alerting::PrometheusEngine& engine, KillRun& run) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  try {
    co_await deployment.prepare();
    co_await deployment.launch();
    co_await engine.prepare();
    run.started_ns = to_ns(mono_now());
    co_await engine.start();
    run.engine_ready_ns = to_ns(mono_now());
    run.prometheus_pid = engine.prometheus_pid();
    run.alertmanager_pid = engine.alertmanager_pid();

    auto* web1 = deployment.find_node("app/web1");
    web1->expect_exit();
    run.killed_ns = to_ns(mono_now());
    web1->process()->signal_group(SIGKILL);
    const auto& recording = engine.recording();
    const auto wait_until = [&](std::function<bool()> condition) -> asio::awaitable<void> {
      const auto deadline = mono_now() + 30s;
      while (mono_now() < deadline && !condition()) {
        timer.expires_after(20ms);
        co_await timer.async_wait(asio::use_awaitable);
      }
    };
    co_await wait_until([&] {
      return web1_event(recording, AlertState::kFiring) && web1_delivery(recording, "firing");
    });
    if (!web1_event(recording, AlertState::kFiring)) throw std::runtime_error("never fired");

    run.restarted_ns = to_ns(mono_now());
    web1->start(deployment.io());
    co_await wait_until([&] {
      return web1_event(recording, AlertState::kResolved) && web1_delivery(recording, "resolved");
    });
  } catch (const std::exception& e) {
    run.error = e.what();
  }
  co_await engine.stop();
  co_await engine.stop();  // idempotent
  run.prometheus_gone = gone(run.prometheus_pid);
  run.alertmanager_gone = gone(run.alertmanager_pid);
  run.recording = engine.recording();
  co_await deployment.shutdown();
  run.leftover_processes =
      test_support::processes_of_run(deployment.run_dir().path().string()).size();
}

TEST(PrometheusEngine,
     KilledServerFiresThePromqlRuleAlertmanagerDeliversItAndTheRestartResolvesIt) {
  TempDir dir;
  auto topology = topology::load_topology(write_topology(dir, kServerDownRule));
  asio::io_context io;
  process::RunDirectory run_dir("prom");
  deploy::Deployment deployment(io, std::move(topology), run_dir);
  alerting::PrometheusEngine engine(deployment, [] {
    return std::string(
        "# TYPE lbchaos_frontend_up gauge\n"
        "lbchaos_frontend_up{instance=\"lb0\",frontend=\"www\"} 1\n");
  });
  KillRun run;
  asio::co_spawn(io, kill_web1_and_wait(deployment, engine, run), asio::detached);
  io.run();

  ASSERT_EQ(run.error, "");
  EXPECT_EQ(run.recording.engine, "prometheus");
  EXPECT_THAT(run.recording.rules, ::testing::ElementsAre("HaproxyServerDown"));
  const auto* firing = web1_event(run.recording, AlertState::kFiring);
  const auto* delivery = web1_delivery(run.recording, "firing");
  const auto* resolved = web1_event(run.recording, AlertState::kResolved);
  const auto* resolved_delivery = web1_delivery(run.recording, "resolved");
  ASSERT_NE(firing, nullptr) << "no firing event for web1 within 30 s";
  ASSERT_NE(delivery, nullptr) << "no webhook delivery for web1 within 30 s";
  ASSERT_NE(resolved, nullptr) << "not resolved within 30 s of the restart";
  ASSERT_NE(resolved_delivery, nullptr) << "no resolved notification within 30 s of the restart";
  EXPECT_GE(resolved->at_ns, run.restarted_ns);
  EXPECT_EQ(firing->labels.at("severity"), "critical");
  EXPECT_EQ(firing->labels.at("job"), "haproxy");
  EXPECT_FALSE(firing->labels.contains("alertname"));
  EXPECT_EQ(firing->summary, "app/web1 is DOWN");
  for (const auto& event : run.recording.events) {
    EXPECT_FALSE(event.labels.contains("server") && event.labels.at("server") == "web2")
        << "web2 never went down";
    EXPECT_GE(event.at_ns, run.killed_ns) << "nothing fires before the fault";
  }
  std::cout << fmt::format(
      "engine start (prometheus + alertmanager ready and scraping): {:.2f} s\n"
      "fault -> firing: {:.2f} s, fault -> delivery: {:.2f} s\n"
      "restart -> resolved: {:.2f} s, restart -> resolved delivery: {:.2f} s\n",
      seconds(run.engine_ready_ns - run.started_ns), seconds(firing->at_ns - run.killed_ns),
      seconds(delivery->at_ns - run.killed_ns), seconds(resolved->at_ns - run.restarted_ns),
      seconds(resolved_delivery->at_ns - run.restarted_ns));

  EXPECT_TRUE(run.prometheus_gone) << "prometheus pid " << run.prometheus_pid;
  EXPECT_TRUE(run.alertmanager_gone) << "alertmanager pid " << run.alertmanager_pid;
  EXPECT_EQ(run.leftover_processes, 0U);
}

TEST(PrometheusEngine, BrokenRulesFileIsAnInputErrorWithPromtoolsMessageNamingTheUsersFile) {
  TempDir dir;
  const auto file = write_topology(dir, R"(groups:
  - name: haproxy
    rules:
      - alert: HaproxyServerDown
        expr: haproxy_server_status{state="DOWN"} ==
)");
  const std::string before = test_support::read_file(dir / "r.yml");
  asio::io_context io;
  process::RunDirectory run_dir("prom");
  deploy::Deployment deployment(io, topology::load_topology(file), run_dir);
  alerting::PrometheusEngine engine(deployment, [] { return std::string(); });
  std::string message;
  bool input_error = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await engine.prepare();
        } catch (const InputError& e) {
          input_error = true;
          message = e.what();
        } catch (const std::exception& e) {
          message = e.what();
        }
        co_await engine.stop();
      },
      asio::detached);
  io.run();

  EXPECT_TRUE(input_error) << message;
  EXPECT_THAT(message, HasSubstr((dir / "r.yml").string() + ": 5:15:"));
  EXPECT_THAT(message, HasSubstr("could not parse expression"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr(run_dir.path().string())));
  EXPECT_EQ(test_support::read_file(dir / "r.yml"), before) << "the user's file is untouched";
  EXPECT_EQ(engine.prometheus_pid(), -1) << "nothing started";
}

}  // namespace
}  // namespace lbchaos

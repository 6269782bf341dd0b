#include "harness/alerting/prometheus_engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <fstream>

#include "harness/alerting/prometheus_config.h"
#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/observe/http_request.h"

namespace lbchaos::alerting {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kPollInterval = 250ms;
constexpr auto kApiTimeout = 1s;
constexpr auto kReadyTimeout = 30s;
constexpr auto kStopGrace = 5s;

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw EnvironmentError(fmt::format("cannot write {}", path.string()));
}

std::string describe(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", name, value);
  }
  return "{" + out + "}";
}

// The body of a Prometheus API answer (error answers are JSON too). Throws AlertApiError.
asio::awaitable<std::string> api_get(const topology::Endpoint& endpoint, std::string_view target) {
  auto response = co_await observe::http_request(endpoint, target, kApiTimeout);
  if (!response.ok) throw AlertApiError(fmt::format("GET {}: {}", target, response.error));
  co_return std::move(response.body);
}

asio::awaitable<void> pause(asio::steady_timer& timer, std::chrono::nanoseconds delay) {
  timer.expires_after(delay);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace

PrometheusEngine::PrometheusEngine(deploy::Deployment& deployment,
                                   std::function<std::string()> blackbox_metrics)
    : deployment_(deployment), blackbox_metrics_(std::move(blackbox_metrics)) {
  recording_.engine = "prometheus";
}

PrometheusEngine::~PrometheusEngine() {
  // A run that failed before stop(): the nodes' ChildProcess destructors SIGKILL their groups.
  *alive_ = false;
}

std::string PrometheusEngine::prometheus_url() const {
  return prometheus_ ? "http://" + prometheus_->endpoint().to_string() : std::string();
}

std::string PrometheusEngine::alertmanager_url() const {
  return alertmanager_ ? "http://" + alertmanager_->endpoint().to_string() : std::string();
}

asio::awaitable<void> PrometheusEngine::prepare() {
  const auto& settings = deployment_.topology().alerting;
  dir_ = deployment_.run_dir().subdir("prometheus");
  const std::map<std::string, std::string> environment{
      {"LBCHAOS_RUN_DIR", deployment_.run_dir().path().string()}};

  const auto promtool = find_debian_binary(settings.promtool_binary, "prometheus");
  rules_ = copy_rules_files(settings.rules, settings.rules_where,
                            deployment_.run_dir().subdir("prometheus/rules"));
  co_await check_rules(promtool, rules_, dir_);

  endpoint_ = std::make_unique<HarnessEndpoint>(
      deployment_.io(), HarnessEndpoint::Handlers{blackbox_metrics_, [this](std::string_view body) {
                                                    on_notification(body);
                                                  }});
  prometheus_ = std::make_unique<MonitoringNode>(
      "prometheus", find_debian_binary(settings.prometheus_binary, "prometheus"), dir_,
      environment);
  if (settings.alertmanager) {
    alertmanager_ = std::make_unique<MonitoringNode>(
        "alertmanager", find_debian_binary(settings.alertmanager_binary, "prometheus-alertmanager"),
        dir_, environment);
    write_file(dir_ / "alertmanager.yml",
               render_alertmanager_config(endpoint_->url("/alertmanager")));
  }

  PrometheusConfig config;
  config.interval = settings.scrape_interval;
  for (const auto& instance : deployment_.instances()) {
    config.haproxy.push_back(ScrapeTarget{instance->name(), instance->endpoints().metrics});
  }
  config.harness = endpoint_->endpoint();
  for (const auto& file : rules_) config.rule_files.push_back(file.copy);
  if (alertmanager_) config.alertmanager = alertmanager_->endpoint();
  write_file(dir_ / "prometheus.yml", render_prometheus_config(config));
}

asio::awaitable<void> PrometheusEngine::start() {
  if (!prometheus_) throw std::logic_error("PrometheusEngine::start() before prepare()");
  auto& io = deployment_.io();
  const auto deadline = mono_now() + kReadyTimeout;
  started_ = true;
  endpoint_->start();
  if (alertmanager_) {
    const auto listen = alertmanager_->endpoint().to_string();
    alertmanager_->start(io, {"--config.file=" + (dir_ / "alertmanager.yml").string(),
                              "--storage.path=" + (dir_ / "alertmanager-data").string(),
                              "--web.listen-address=" + listen,
                              // Empty: no cluster (it would otherwise bind 0.0.0.0:9094).
                              "--cluster.listen-address="});
  }
  prometheus_->start(io, {"--config.file=" + (dir_ / "prometheus.yml").string(),
                          "--storage.tsdb.path=" + (dir_ / "prometheus-data").string(),
                          "--storage.tsdb.retention.time=1d",
                          "--web.listen-address=" + prometheus_->endpoint().to_string()});
  const auto started = mono_now();
  const auto since_start = [&started] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(mono_now() - started).count();
  };
  if (alertmanager_) {
    co_await alertmanager_->wait_ready(deadline);
    spdlog::info("alertmanager ready at {} after {} ms", alertmanager_url(), since_start());
  }
  co_await prometheus_->wait_ready(deadline);
  spdlog::info("prometheus ready at {} after {} ms", prometheus_url(), since_start());
  co_await wait_scraping_and_notifying(deadline);
  co_await load_rule_names();
  spdlog::info("prometheus scraping every target{} after {} ms; {} alerting rule(s)",
               alertmanager_ ? " and notifying the alertmanager" : "", since_start(),
               recording_.rules.size());

  polling_ = true;
  poll_timer_.emplace(io);
  poll_finished_.emplace(io, MonoTime::max());
  ++loops_running_;
  asio::co_spawn(io, poll_alerts(alive_), asio::detached);
  if (alertmanager_) {
    watch_timer_.emplace(io);
    ++loops_running_;
    asio::co_spawn(io, watch_alertmanager(alive_), asio::detached);
  }
}

// Prometheus is ready before its service discovery has handed it the targets and the
// Alertmanager (that takes up to 5 s): until then a fault would go unseen.
asio::awaitable<void> PrometheusEngine::wait_scraping_and_notifying(MonoTime deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto& prometheus = prometheus_->endpoint();
  const std::size_t expected_targets = deployment_.instances().size() + 1;  // + job "lbchaos"
  std::string waiting_for;
  while (true) {
    if (!prometheus_->running()) throw EnvironmentError(prometheus_->failure("exited"));
    waiting_for.clear();
    try {
      std::size_t up = 0;
      for (const auto& target : parse_targets(co_await api_get(prometheus, "/api/v1/targets"))) {
        if (target.health == "up") {
          ++up;
        } else {
          waiting_for += fmt::format("\n    target {} ({}): {} {}", target.instance, target.job,
                                     target.health, target.last_error);
        }
      }
      if (up < expected_targets && waiting_for.empty()) {
        waiting_for = fmt::format("\n    {} of {} targets discovered", up, expected_targets);
      }
      if (alertmanager_) {
        if (count_active_alertmanagers(co_await api_get(prometheus, "/api/v1/alertmanagers")) ==
            0) {
          waiting_for += "\n    Prometheus has not discovered the Alertmanager yet";
        }
      }
    } catch (const AlertApiError& e) {
      waiting_for = std::string("\n    ") + e.what();
    }
    if (waiting_for.empty()) co_return;
    if (mono_now() + 100ms > deadline) {
      throw EnvironmentError(prometheus_->failure(fmt::format(
          "was not scraping every target within {} s:{}",
          std::chrono::duration_cast<std::chrono::seconds>(kReadyTimeout).count(), waiting_for)));
    }
    co_await pause(timer, 100ms);
  }
}

asio::awaitable<void> PrometheusEngine::load_rule_names() {
  try {
    recording_.rules = parse_alerting_rule_names(
        co_await api_get(prometheus_->endpoint(), "/api/v1/rules?type=alert"));
  } catch (const AlertApiError& e) {
    throw EnvironmentError(
        prometheus_->failure(fmt::format("did not list its rules: {}", e.what())));
  }
}

// A missed poll is not a resolution: the last known states stay, and the outage is recorded so
// that the `alert` probe does not judge what the engine did not see.
asio::awaitable<void> PrometheusEngine::poll_alerts(std::shared_ptr<bool> alive) {
  const auto endpoint = prometheus_->endpoint();
  OutageLog outages("prometheus", recording_.outages);
  outages.answered(to_ns(mono_now()));  // start() has just heard from it
  auto next = mono_now();
  while (polling_) {
    const auto response = co_await observe::http_request(endpoint, "/api/v1/alerts", kApiTimeout);
    if (!*alive) co_return;  // the engine is gone: touch nothing
    if (!polling_) break;
    const auto at = to_ns(mono_now());
    try {
      if (!response.ok) throw AlertApiError(response.error);
      for (auto& event : tracker_.observe(parse_active_alerts(response.body), at)) {
        spdlog::debug("alert {} {} {}", event.rule, to_string(event.state), describe(event.labels));
        event.reported_ns = at;
        recording_.events.push_back(std::move(event));
      }
      if (outages.out()) spdlog::info("prometheus answers GET /api/v1/alerts again");
      outages.answered(at);
    } catch (const AlertApiError& e) {
      note_miss(outages, *prometheus_, at, fmt::format("GET /api/v1/alerts: {}", e.what()));
    }
    next = std::max(next + kPollInterval, mono_now());
    poll_timer_->expires_at(next);
    boost::system::error_code ignored;
    co_await poll_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!*alive) co_return;
  }
  loop_finished();
}

// Deliveries need a live Alertmanager: its outages make delivered_within unjudgeable.
asio::awaitable<void> PrometheusEngine::watch_alertmanager(std::shared_ptr<bool> alive) {
  const auto endpoint = alertmanager_->endpoint();
  OutageLog outages("alertmanager", recording_.outages);
  outages.answered(to_ns(mono_now()));
  auto next = mono_now();
  while (polling_) {
    const auto response = co_await observe::http_request(endpoint, "/-/ready", kApiTimeout);
    if (!*alive) co_return;
    if (!polling_) break;
    const auto at = to_ns(mono_now());
    if (response.ok && response.status == 200) {
      if (outages.out()) spdlog::info("alertmanager answers GET /-/ready again");
      outages.answered(at);
    } else {
      const std::string answer =
          response.ok ? fmt::format("HTTP {}", response.status) : response.error;
      note_miss(outages, *alertmanager_, at, "GET /-/ready: " + answer);
    }
    next = std::max(next + kPollInterval, mono_now());
    watch_timer_->expires_at(next);
    boost::system::error_code ignored;
    co_await watch_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!*alive) co_return;
  }
  loop_finished();
}

void PrometheusEngine::note_miss(OutageLog& outages, const MonitoringNode& node, std::int64_t at_ns,
                                 std::string api_error) {
  // A dead node says more than the refused connection that revealed it.
  const std::string why = node.died().value_or(std::move(api_error));
  if (outages.failed(at_ns, why)) {
    spdlog::warn("{} does not answer ({}): the alert probe cannot judge until it answers again",
                 node.name(), why);
  }
}

void PrometheusEngine::loop_finished() {
  if (--loops_running_ == 0) poll_finished_->cancel();  // stop() waits for this
}

void PrometheusEngine::on_notification(std::string_view body) {
  for (auto& delivery : parse_webhook_notification(body, to_ns(mono_now()))) {
    spdlog::debug("alertmanager delivered {} {} {}", delivery.rule, delivery.status,
                  describe(delivery.labels));
    recording_.deliveries.push_back(std::move(delivery));
  }
}

asio::awaitable<void> PrometheusEngine::stop() {
  if (stopped_) co_return;
  stopped_ = true;
  if (polling_) {
    polling_ = false;
    poll_timer_->cancel();
    if (watch_timer_) watch_timer_->cancel();
    while (loops_running_ > 0) {
      boost::system::error_code ignored;
      co_await poll_finished_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    std::stable_sort(
        recording_.outages.begin(), recording_.outages.end(),
        [](const EngineOutage& a, const EngineOutage& b) { return a.from_ns < b.from_ns; });
  }
  // Prometheus first: its last notifications still reach a running Alertmanager.
  if (prometheus_) co_await prometheus_->stop(kStopGrace);
  if (alertmanager_) co_await alertmanager_->stop(kStopGrace);
  if (endpoint_) endpoint_->close();
}

}  // namespace lbchaos::alerting

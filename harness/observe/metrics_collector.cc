#include "harness/observe/metrics_collector.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <stdexcept>

#include "harness/common/clock.h"
#include "harness/observe/http_request.h"
#include "harness/observe/master_cli.h"
#include "harness/observe/prometheus_text.h"
#include "harness/observe/unix_cli.h"

namespace lbchaos::observe {

namespace asio = boost::asio;
using std::chrono::milliseconds;

struct CollectorState {
  CollectorState(asio::io_context& context, std::vector<CollectorTarget> collector_targets,
                 CollectorOptions collector_options)
      : io(context),
        targets(std::move(collector_targets)),
        options(std::move(collector_options)),
        wake(context),
        ended(context, asio::steady_timer::time_point::max()) {}

  asio::io_context& io;
  std::vector<CollectorTarget> targets;
  CollectorOptions options;
  std::function<void(const ScrapeRound&)> on_round;
  asio::steady_timer wake;   // the next tick
  asio::steady_timer ended;  // cancelled when the loop has returned; stop() waits on it
  bool running = false;
  bool stopping = false;
  bool warned_skipped_tick = false;
  std::size_t rounds = 0;
  std::vector<MetricSample> blackbox;  // of the latest round
};

namespace {

// What one round learned about one instance.
struct InstanceResult {
  std::optional<HttpResponse> exporter;  // unset when haproxy is not scraped
  std::map<std::string, bool> frontend_up;
  std::optional<int> failed_reloads;  // unset when the master CLI did not answer
};

// Shorter than the interval, so that a target that times out does not make the next tick late.
milliseconds request_timeout(milliseconds interval) { return interval * 4 / 5; }

// Runs `tasks` concurrently on the current executor; returns when all have finished.
asio::awaitable<void> run_concurrently(std::vector<asio::awaitable<void>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
  std::size_t remaining = tasks.size();
  for (auto& task : tasks) {
    asio::co_spawn(executor, std::move(task), [&](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          spdlog::warn("metrics collector: {}", e.what());
        }
      }
      if (--remaining == 0) all_done.cancel();
    });
  }
  while (remaining > 0) {
    boost::system::error_code ignored;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> scrape(const topology::Endpoint& exporter, milliseconds timeout,
                             std::optional<HttpResponse>& out) {
  out = co_await http_request(exporter, "/metrics", timeout);
}

asio::awaitable<void> check_frontend(const topology::Endpoint& frontend, milliseconds timeout,
                                     bool& up) {
  up = (co_await http_request(frontend, "/", timeout)).ok;
}

asio::awaitable<void> read_failed_reloads(const std::filesystem::path& master_socket,
                                          milliseconds timeout, std::optional<int>& out) {
  try {
    const ProcessList list = parse_show_proc(co_await cli_request(master_socket, "show proc",
                                                                  timeout));
    if (list.master_pid != 0) out = list.failed_reloads;
  } catch (const std::runtime_error& e) {
    spdlog::debug("metrics collector: {}", e.what());  // the master is gone: no sample
  }
}

void append_samples(const CollectorTarget& target, InstanceResult& result,
                    const CollectorOptions& options, std::vector<MetricSample>& samples) {
  const Labels instance{{"instance", target.instance}};
  if (result.exporter) {
    const bool up = result.exporter->ok && result.exporter->status == 200;
    if (up) {
      auto scraped = parse_prometheus_text(result.exporter->body, options.keep_metric);
      for (auto& sample : scraped) {
        sample.labels["instance"] = target.instance;
        samples.push_back(std::move(sample));
      }
    }
    samples.push_back(MetricSample{"up", instance, up ? 1.0 : 0.0});
  }
  for (const auto& [frontend, up] : result.frontend_up) {
    Labels labels = instance;
    labels["frontend"] = frontend;
    samples.push_back(MetricSample{"lbchaos_frontend_up", std::move(labels), up ? 1.0 : 0.0});
  }
  if (result.failed_reloads) {
    samples.push_back(MetricSample{"lbchaos_reload_failures_total", instance,
                                   static_cast<double>(*result.failed_reloads)});
  }
}

asio::awaitable<ScrapeRound> collect_round(const std::vector<CollectorTarget>& targets,
                                           const CollectorOptions& options) {
  ScrapeRound round;
  round.at_ns = to_ns(mono_now());
  const milliseconds timeout = request_timeout(options.interval);
  std::vector<InstanceResult> results(targets.size());
  std::vector<asio::awaitable<void>> tasks;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const CollectorTarget& target = targets[i];
    InstanceResult& result = results[i];
    if (options.scrape_haproxy) tasks.push_back(scrape(target.metrics, timeout, result.exporter));
    for (const auto& [frontend, endpoint] : target.frontends) {
      tasks.push_back(check_frontend(endpoint, timeout, result.frontend_up[frontend]));
    }
    if (!target.master_socket.empty()) {
      tasks.push_back(read_failed_reloads(target.master_socket, timeout, result.failed_reloads));
    }
  }
  co_await run_concurrently(std::move(tasks));
  for (std::size_t i = 0; i < targets.size(); ++i) {
    append_samples(targets[i], results[i], options, round.samples);
  }
  co_return round;
}

std::vector<MetricSample> blackbox_of(const ScrapeRound& round) {
  std::vector<MetricSample> samples;
  for (const auto& sample : round.samples) {
    if (sample.name == "up" || sample.name.rfind("lbchaos_", 0) == 0) samples.push_back(sample);
  }
  return samples;
}

asio::awaitable<void> run_loop(std::shared_ptr<CollectorState> state) {
  const auto interval = state->options.interval;
  const MonoTime start = mono_now();
  std::int64_t tick = 0;
  while (!state->stopping) {
    ScrapeRound round = co_await collect_round(state->targets, state->options);
    if (state->stopping) break;
    ++state->rounds;
    state->blackbox = blackbox_of(round);
    if (state->on_round) state->on_round(round);

    const std::int64_t next = (mono_now() - start) / interval + 1;
    if (next > tick + 1 && !state->warned_skipped_tick) {
      state->warned_skipped_tick = true;
      spdlog::warn("metrics collector: a round took longer than the {} ms interval; skipping "
                   "the ticks it overran (logged once)", interval.count());
    }
    tick = next;
    state->wake.expires_at(start + tick * interval);
    boost::system::error_code ignored;
    co_await state->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace

MetricsCollector::MetricsCollector(asio::io_context& io, std::vector<CollectorTarget> targets,
                                   CollectorOptions options) {
  if (options.interval < kMinInterval) {
    throw std::invalid_argument(fmt::format("metrics interval {} ms is below the minimum of {} ms",
                                            options.interval.count(), kMinInterval.count()));
  }
  state_ = std::make_shared<CollectorState>(io, std::move(targets), std::move(options));
}

MetricsCollector::~MetricsCollector() {
  state_->stopping = true;
  state_->wake.cancel();
}

void MetricsCollector::start(std::function<void(const ScrapeRound&)> on_round) {
  if (state_->running || state_->stopping) return;
  state_->on_round = std::move(on_round);
  state_->running = true;
  asio::co_spawn(state_->io, run_loop(state_), [state = state_](std::exception_ptr error) {
    state->running = false;
    state->ended.cancel();
    if (error) std::rethrow_exception(error);  // on_round threw: not ours to hide
  });
}

asio::awaitable<void> MetricsCollector::stop() {
  const auto state = state_;
  state->stopping = true;
  state->wake.cancel();
  while (state->running) {
    boost::system::error_code ignored;
    co_await state->ended.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

std::string MetricsCollector::blackbox_exposition() const {
  return to_prometheus_text(state_->blackbox);
}

std::size_t MetricsCollector::rounds() const { return state_->rounds; }

}  // namespace lbchaos::observe

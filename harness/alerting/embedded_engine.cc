#include "harness/alerting/embedded_engine.h"

#include <spdlog/spdlog.h>

#include "harness/alerting/default_rules.h"
#include "harness/alerting/rule_loader.h"
#include "harness/common/clock.h"

namespace lbchaos::alerting {

namespace asio = boost::asio;

EmbeddedEngine::EmbeddedEngine(asio::io_context& io, const topology::AlertingSettings& settings,
                               std::vector<observe::CollectorTarget> targets)
    : io_(io), settings_(settings), targets_(std::move(targets)) {
  recording_.engine = "embedded";
}

asio::awaitable<void> EmbeddedEngine::prepare() {
  std::vector<Rule> rules;
  if (settings_.rules.empty()) {
    rules = default_rules();
  } else {
    for (const auto& file : settings_.rules) {
      auto loaded = load_rules_file(file);
      rules.insert(rules.end(), std::make_move_iterator(loaded.begin()),
                   std::make_move_iterator(loaded.end()));
    }
  }
  recording_.rules.clear();
  for (const auto& rule : rules) recording_.rules.push_back(rule.name);
  evaluator_.emplace(std::move(rules));
  co_return;
}

asio::awaitable<void> EmbeddedEngine::start() {
  if (!evaluator_) co_await prepare();
  observe::CollectorOptions options;
  options.interval = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.scrape_interval);
  options.scrape_haproxy = true;
  auto names = evaluator_->metric_names();
  options.keep_metric = [names = std::move(names)](std::string_view name) {
    return names.contains(std::string(name));
  };
  collector_ = std::make_unique<observe::MetricsCollector>(io_, targets_, std::move(options));
  collector_->start([this](const observe::ScrapeRound& round) {
    const auto& events = evaluator_->events();
    const std::size_t before = events.size();
    evaluator_->observe(round);
    // Live, for `lbchaos up`: the recording grows as the alerts change.
    const auto reported = to_ns(mono_now());
    for (auto event = events.begin() + static_cast<long>(before); event != events.end(); ++event) {
      recording_.events.push_back(*event);
      recording_.events.back().reported_ns = reported;
    }
  });
  co_return;
}

asio::awaitable<void> EmbeddedEngine::stop() {
  if (collector_) co_await collector_->stop();
}

}  // namespace lbchaos::alerting

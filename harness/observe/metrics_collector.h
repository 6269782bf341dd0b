#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/observe/metric_sample.h"
#include "harness/topology/endpoints.h"

// Collects a ScrapeRound (see metric_sample.h) from every haproxy instance at a fixed cadence:
// haproxy's Prometheus exporter plus the harness's blackbox checks of each frontend and of the
// master CLI's failed reloads.
namespace lbchaos::observe {

struct CollectorTarget {
  std::string instance;                                 // "lb0"
  topology::Endpoint metrics;                           // haproxy's exporter
  std::map<std::string, topology::Endpoint> frontends;  // frontend bind key -> where it listens
  std::filesystem::path master_socket;                  // for failed reloads (show proc)
};

struct CollectorOptions {
  std::chrono::milliseconds interval{1000};  // >= kMinInterval
  // false: only the blackbox checks, and no `up` (a real Prometheus scrapes haproxy itself).
  bool scrape_haproxy = true;
  std::function<bool(std::string_view)> keep_metric;  // empty: keep every haproxy metric
};

struct CollectorState;  // shared by the collector and its loop (metrics_collector.cc)

class MetricsCollector {
 public:
  static constexpr std::chrono::milliseconds kMinInterval{250};

  // Throws std::invalid_argument for an interval below kMinInterval.
  MetricsCollector(boost::asio::io_context& io, std::vector<CollectorTarget> targets,
                   CollectorOptions options);
  ~MetricsCollector();
  MetricsCollector(const MetricsCollector&) = delete;
  MetricsCollector& operator=(const MetricsCollector&) = delete;

  // Rounds at start + k * interval (no drift), each stamped when it starts on the harness clock;
  // the requests of a round run concurrently, each bounded by a timeout shorter than the
  // interval. A round that overruns makes the ticks it covers skipped (logged once). on_round
  // runs on the io thread, never after stop() was called.
  void start(std::function<void(const ScrapeRound&)> on_round);
  // Returns once the loop has ended (after the round in progress, if any). Safe without start()
  // and more than once.
  boost::asio::awaitable<void> stop();

  // The latest round's lbchaos_* and `up` samples as Prometheus text, for a real Prometheus to
  // scrape from the harness (with honor_labels, so that instance="lbN" stays).
  [[nodiscard]] std::string blackbox_exposition() const;
  [[nodiscard]] std::size_t rounds() const;

 private:
  std::shared_ptr<CollectorState> state_;  // the loop holds it too: it may outlive this object
};

}  // namespace lbchaos::observe

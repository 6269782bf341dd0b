#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "harness/traffic/load_generator.h"
#include "harness/traffic/load_options.h"

// Open-loop traffic for as long as a game day lasts: the generator runs in segments (it keeps
// every record of its run), one after the other with no gap in the schedule.
namespace lbchaos::gameday {

class BackgroundTraffic {
 public:
  // `options.duration` is the length of one segment.
  BackgroundTraffic(boost::asio::io_context& io, traffic::LoadOptions options);
  // Only reads `generator`, which someone else runs (a scenario's traffic, `run --live`).
  BackgroundTraffic(boost::asio::io_context& io, traffic::LoadGenerator& generator);

  // Keeps every segment's records (for the HTML report of the whole exercise); call before
  // start(). Without it, a finished segment's records are dropped.
  void keep_history() { keep_history_ = true; }
  void start();
  // No new request; returns once the requests in flight have finished.
  boost::asio::awaitable<void> stop();

  // The running segment's generator (nullptr before start()).
  [[nodiscard]] const traffic::LoadGenerator* current() const { return generator_; }
  [[nodiscard]] traffic::LoadGenerator* current() { return generator_; }
  // Bumped with each new segment (a reader's cursor into records() starts over).
  [[nodiscard]] int segment() const { return segment_; }
  [[nodiscard]] std::uint64_t completed() const;  // ok, every segment
  [[nodiscard]] std::uint64_t failed() const;
  [[nodiscard]] double rate() const { return options_.rate; }
  [[nodiscard]] const traffic::LoadOptions& options() const { return options_; }
  // When the first segment's schedule started (nullopt before start()).
  [[nodiscard]] std::optional<MonoTime> started_at() const { return started_at_; }
  // Every record of every segment so far (with keep_history(); else the running segment's),
  // their server ids in `servers`.
  [[nodiscard]] std::vector<traffic::RequestRecord> all_records(traffic::ServerTable& servers) const;

 private:
  boost::asio::awaitable<void> loop();

  boost::asio::io_context& io_;
  traffic::LoadOptions options_;
  std::unique_ptr<traffic::LoadGenerator> owned_;
  traffic::LoadGenerator* generator_ = nullptr;
  boost::asio::steady_timer done_;
  int segment_ = 0;
  bool keep_history_ = false;
  std::optional<MonoTime> started_at_;
  std::vector<traffic::RequestRecord> history_;  // finished segments, ids in history_servers_
  traffic::ServerTable history_servers_;
  std::uint64_t completed_before_ = 0;
  std::uint64_t failed_before_ = 0;
  bool running_ = false;
  bool stop_ = false;
};

}  // namespace lbchaos::gameday

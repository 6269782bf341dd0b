#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>

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

 private:
  boost::asio::awaitable<void> loop();

  boost::asio::io_context& io_;
  traffic::LoadOptions options_;
  std::unique_ptr<traffic::LoadGenerator> owned_;
  traffic::LoadGenerator* generator_ = nullptr;
  boost::asio::steady_timer done_;
  int segment_ = 0;
  std::uint64_t completed_before_ = 0;
  std::uint64_t failed_before_ = 0;
  bool running_ = false;
  bool stop_ = false;
};

}  // namespace lbchaos::gameday

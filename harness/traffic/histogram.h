#pragma once

#include <cstdint>
#include <vector>

// A log-linear latency histogram in HdrHistogram's model: 3 significant figures over 1 µs .. 60 s,
// recorded in nanoseconds. Every slot below 2048 ns is 1 ns wide and every power-of-two range
// above that is split into 1024 equal slots, so a slot is never wider than 1/1024 (< 0.1%) of the
// values it holds. Fixed memory (~107 KB of 32-bit counts, allocated once), O(1) record().
namespace lbchaos::traffic {

// The 1-based rank of the p-th percentile (p in 0..100) among `count` sorted values, by the
// nearest-rank definition: the smallest value with at least p% of the values at or below it.
// Histogram::value_at_percentile, the timeline and the probes all use it, so "p99" means one
// thing everywhere.
[[nodiscard]] std::int64_t percentile_rank(double p, std::int64_t count);

// The exact nearest-rank percentile of `values` (reordered in place, not sorted); 0 when empty.
// For the few thousand samples of a window or a bucket, exact beats the histogram.
[[nodiscard]] std::int64_t exact_percentile(std::vector<std::int64_t>& values, double p);

class Histogram {
 public:
  static constexpr std::int64_t kLowestNs = 1'000;            // 1 µs
  static constexpr std::int64_t kHighestNs = 60'000'000'000;  // 60 s

  Histogram();

  // Values outside [kLowestNs, kHighestNs] are clamped to the range and counted as such.
  void record(std::int64_t ns);
  void merge(const Histogram& other);
  void reset();

  [[nodiscard]] std::int64_t count() const { return count_; }
  [[nodiscard]] std::int64_t clamped_low() const { return clamped_low_; }
  [[nodiscard]] std::int64_t clamped_high() const { return clamped_high_; }
  // Of the recorded (clamped) values; 0 when empty.
  [[nodiscard]] std::int64_t min() const { return count_ == 0 ? 0 : min_; }
  [[nodiscard]] std::int64_t max() const { return count_ == 0 ? 0 : max_; }
  [[nodiscard]] double mean() const;
  // The nearest-rank percentile, within 0.1% of the exact value (never below it); 0 when empty.
  [[nodiscard]] std::int64_t value_at_percentile(double p) const;

  [[nodiscard]] static std::size_t slot_count();

 private:
  std::vector<std::uint32_t> counts_;
  std::int64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  std::int64_t clamped_low_ = 0;
  std::int64_t clamped_high_ = 0;
};

}  // namespace lbchaos::traffic

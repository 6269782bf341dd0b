#include "harness/traffic/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace lbchaos::traffic {
namespace {

// HdrHistogram's layout with a unit of 1 ns and 3 significant figures: 2048 sub-buckets, of
// which buckets above the first only use the upper half (the lower half is the previous bucket).
constexpr int kSubBucketHalfMagnitude = 10;
constexpr std::int64_t kSubBucketHalfCount = std::int64_t{1} << kSubBucketHalfMagnitude;  // 1024
constexpr std::int64_t kSubBucketMask = 2 * kSubBucketHalfCount - 1;                      // 2047

constexpr int bucket_of(std::int64_t v) {
  const int bits = std::bit_width(static_cast<std::uint64_t>(v | kSubBucketMask));
  return bits - (kSubBucketHalfMagnitude + 1);
}

constexpr std::size_t slot_of(std::int64_t v) {
  const int bucket = bucket_of(v);
  return static_cast<std::size_t>((std::int64_t{bucket} << kSubBucketHalfMagnitude) +
                                  (v >> bucket));
}

// The lowest value that lands in `slot`, and the slot's width.
constexpr std::int64_t slot_low(std::size_t slot) {
  auto bucket = static_cast<int>(slot >> kSubBucketHalfMagnitude) - 1;
  auto sub = static_cast<std::int64_t>(slot & (kSubBucketHalfCount - 1)) + kSubBucketHalfCount;
  if (bucket < 0) {
    bucket = 0;
    sub -= kSubBucketHalfCount;
  }
  return sub << bucket;
}

constexpr std::int64_t slot_width(std::size_t slot) {
  const auto bucket = static_cast<int>(slot >> kSubBucketHalfMagnitude) - 1;
  return std::int64_t{1} << std::max(bucket, 0);
}

constexpr std::size_t kSlots = slot_of(Histogram::kHighestNs) + 1;

static_assert(slot_low(slot_of(1'999)) == 1'999);
static_assert(slot_low(slot_of(123'456'789)) <= 123'456'789);
static_assert(slot_low(slot_of(123'456'789)) + slot_width(slot_of(123'456'789)) > 123'456'789);
static_assert(kSlots * sizeof(std::uint32_t) < 120 * 1024);

void add_count(std::uint32_t& slot, std::uint64_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max() - slot) {
    throw std::overflow_error("histogram slot overflow: more than 4.29e9 samples of one value");
  }
  slot += static_cast<std::uint32_t>(n);
}

}  // namespace

std::int64_t percentile_rank(double p, std::int64_t count) {
  if (count <= 0) return 0;
  const double clamped = std::clamp(p, 0.0, 100.0);
  const double exact = clamped / 100.0 * static_cast<double>(count);
  // The relative slack keeps 99.9% of 1000 at rank 999 despite binary rounding of 99.9.
  const auto rank = static_cast<std::int64_t>(std::ceil(exact - exact * 1e-12));
  return std::clamp<std::int64_t>(rank, 1, count);
}

std::int64_t exact_percentile(std::vector<std::int64_t>& values, double p) {
  if (values.empty()) return 0;
  const auto nth = values.begin() + (percentile_rank(p, std::ssize(values)) - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

Histogram::Histogram() : counts_(kSlots, 0) {}

std::size_t Histogram::slot_count() { return kSlots; }

void Histogram::record(std::int64_t ns) {
  if (ns < kLowestNs) {
    ns = kLowestNs;
    ++clamped_low_;
  } else if (ns > kHighestNs) {
    ns = kHighestNs;
    ++clamped_high_;
  }
  add_count(counts_[slot_of(ns)], 1);
  if (count_ == 0 || ns < min_) min_ = ns;
  if (count_ == 0 || ns > max_) max_ = ns;
  ++count_;
  sum_ += ns;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kSlots; ++i) add_count(counts_[i], other.counts_[i]);
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
  clamped_low_ += other.clamped_low_;
  clamped_high_ += other.clamped_high_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = min_ = max_ = clamped_low_ = clamped_high_ = 0;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::int64_t Histogram::value_at_percentile(double p) const {
  if (count_ == 0) return 0;
  const std::int64_t rank = percentile_rank(p, count_);
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < kSlots; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The highest value of the slot: never under-reports, and the slot is < 0.1% wide.
      return std::clamp(slot_low(i) + slot_width(i) - 1, min_, max_);
    }
  }
  return max_;
}

}  // namespace lbchaos::traffic

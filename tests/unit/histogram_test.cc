#include "harness/traffic/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace lbchaos::traffic {
namespace {

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

const std::vector<double> kPercentiles{0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};

std::int64_t sorted_percentile(std::vector<std::int64_t> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  return sorted[static_cast<std::size_t>(percentile_rank(p, std::ssize(sorted)) - 1)];
}

// Records `values` and checks every percentile against the sorted data: never below the exact
// value and never more than 0.1% above it.
void expect_matches_sorted(const std::vector<std::int64_t>& values) {
  Histogram h;
  for (const auto v : values) h.record(v);
  ASSERT_EQ(h.count(), std::ssize(values));
  for (const double p : kPercentiles) {
    const std::int64_t exact = sorted_percentile(values, p);
    const std::int64_t got = h.value_at_percentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) * 0.001) << "p" << p;
  }
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
}

TEST(HistogramPercentileRank, IsTheNearestRank) {
  EXPECT_EQ(percentile_rank(0, 10), 1);
  EXPECT_EQ(percentile_rank(50, 10), 5);
  EXPECT_EQ(percentile_rank(51, 10), 6);
  EXPECT_EQ(percentile_rank(100, 10), 10);
  EXPECT_EQ(percentile_rank(99, 100), 99);
  EXPECT_EQ(percentile_rank(99.9, 1000), 999);
  EXPECT_EQ(percentile_rank(99.9, 1001), 1000);
  EXPECT_EQ(percentile_rank(99.99, 1), 1);
  EXPECT_EQ(percentile_rank(150, 10), 10);
  EXPECT_EQ(percentile_rank(-3, 10), 1);
  EXPECT_EQ(percentile_rank(50, 0), 0);
}

TEST(HistogramExactPercentile, MatchesTheSortedData) {
  std::vector<std::int64_t> values{9, 1, 8, 2, 7, 3, 6, 4, 5, 10};
  EXPECT_EQ(exact_percentile(values, 50), 5);
  EXPECT_EQ(exact_percentile(values, 90), 9);
  EXPECT_EQ(exact_percentile(values, 99), 10);
  EXPECT_EQ(exact_percentile(values, 0), 1);
  std::vector<std::int64_t> none;
  EXPECT_EQ(exact_percentile(none, 50), 0);
}

TEST(Histogram, EmptyHistogramReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.value_at_percentile(99), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, FixedMemoryWellUnder200KB) {
  EXPECT_LT(Histogram::slot_count() * sizeof(std::uint32_t), 150u * 1024);
}

TEST(Histogram, ValuesBelow2048NsAreExact) {
  std::vector<std::int64_t> values;
  for (std::int64_t v = 1000; v < 2048; ++v) values.push_back(v);
  Histogram h;
  for (const auto v : values) h.record(v);
  for (const double p : kPercentiles) {
    EXPECT_EQ(h.value_at_percentile(p), sorted_percentile(values, p));
  }
}

TEST(Histogram, LogUniformRandomValuesOverTheWholeRange) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(std::log(1e3), std::log(6e10));
  std::vector<std::int64_t> values;
  for (int i = 0; i < 100'000; ++i) {
    values.push_back(std::clamp<std::int64_t>(std::llround(std::exp(exponent(rng))), kUs, 60 * kS));
  }
  expect_matches_sorted(values);
}

TEST(Histogram, TypicalLatenciesWithAHeavyTail) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> body(std::log(2e6), 0.3);  // ~2 ms
  std::exponential_distribution<double> tail(1.0 / 1.5e9);        // seconds-long stalls
  std::vector<std::int64_t> values;
  for (int i = 0; i < 50'000; ++i) {
    const double v = i % 100 == 0 ? tail(rng) : body(rng);
    values.push_back(std::clamp<std::int64_t>(std::llround(v), kUs, 60 * kS));
  }
  expect_matches_sorted(values);
}

TEST(Histogram, AllValuesEqual) {
  expect_matches_sorted(std::vector<std::int64_t>(1000, 123'456'789));
}

TEST(Histogram, TwoExtremeModes) {
  std::vector<std::int64_t> values(990, kUs);
  values.insert(values.end(), 10, 60 * kS);
  expect_matches_sorted(values);
}

TEST(Histogram, ValuesOnSlotAndBucketBoundaries) {
  std::vector<std::int64_t> values;
  for (int shift = 10; shift < 36; ++shift) {
    const std::int64_t edge = std::int64_t{1} << shift;
    for (const std::int64_t v : {edge - 1, edge, edge + 1, edge + edge / 1024, 3 * edge / 2 - 1}) {
      if (v >= kUs && v <= 60 * kS) values.push_back(v);
    }
  }
  expect_matches_sorted(values);
}

TEST(Histogram, ASingleOutlierIsTheMaximumExactly) {
  std::vector<std::int64_t> values(999, 5 * kMs);
  values.push_back(1234 * kMs + 567);
  Histogram h;
  for (const auto v : values) h.record(v);
  EXPECT_EQ(h.value_at_percentile(100), 1234 * kMs + 567);
  EXPECT_GE(h.value_at_percentile(99.9), 5 * kMs);
  EXPECT_LE(h.value_at_percentile(99.9), 5 * kMs + 5 * kMs / 1000);
  expect_matches_sorted(values);
}

TEST(Histogram, GeometricSeries) {
  std::vector<std::int64_t> values;
  for (double v = 1e3; v <= 6e10; v *= 1.001) values.push_back(std::llround(v));
  expect_matches_sorted(values);
}

TEST(Histogram, MeanIsExact) {
  Histogram h;
  h.record(1 * kMs);
  h.record(2 * kMs);
  h.record(4 * kMs);
  EXPECT_DOUBLE_EQ(h.mean(), 7.0 * kMs / 3.0);
}

TEST(Histogram, OutOfRangeValuesAreClampedAndCounted) {
  Histogram h;
  h.record(-5);
  h.record(0);
  h.record(999);
  h.record(5 * kMs);
  h.record(61 * kS);
  h.record(3600 * kS);
  EXPECT_EQ(h.count(), 6);
  EXPECT_EQ(h.clamped_low(), 3);
  EXPECT_EQ(h.clamped_high(), 2);
  EXPECT_EQ(h.min(), Histogram::kLowestNs);
  EXPECT_EQ(h.max(), Histogram::kHighestNs);
  EXPECT_EQ(h.value_at_percentile(0), Histogram::kLowestNs);
  EXPECT_EQ(h.value_at_percentile(100), Histogram::kHighestNs);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::int64_t> dist(kUs, 10 * kS);
  Histogram a, b, all;
  for (int i = 0; i < 20'000; ++i) {
    const auto v = dist(rng);
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  a.record(7);  // clamped
  all.record(7);
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  EXPECT_EQ(a.clamped_low(), 1);
  for (const double p : kPercentiles) {
    EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p));
  }
}

TEST(Histogram, MergeIntoAndFromEmpty) {
  Histogram empty, h;
  h.record(3 * kMs);
  h.merge(empty);
  EXPECT_EQ(h.count(), 1);
  empty.merge(h);
  EXPECT_EQ(empty.count(), 1);
  EXPECT_EQ(empty.min(), 3 * kMs);
  EXPECT_EQ(empty.max(), 3 * kMs);
}

TEST(Histogram, ResetForgetsEverything) {
  Histogram h;
  h.record(3 * kMs);
  h.record(1);
  h.reset();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.clamped_low(), 0);
  EXPECT_EQ(h.value_at_percentile(50), 0);
  h.record(8 * kMs);
  EXPECT_EQ(h.min(), 8 * kMs);
  EXPECT_GE(h.value_at_percentile(50), 8 * kMs);
  EXPECT_LE(h.value_at_percentile(50), 8 * kMs + 8 * kMs / 1000);
}

}  // namespace
}  // namespace lbchaos::traffic

// The baseline comparison's statistics against reference values: R's documented results where
// they exist, and exact answers computed here by brute force (every arrangement, every table).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "harness/validate/comparison.h"
#include "harness/validate/statistics.h"

namespace lbchaos::validate {
namespace {

using stats::fisher_exact;
using stats::hodges_lehmann;
using stats::mann_whitney;
using stats::mann_whitney_exact_p;

// U of `a` over `b` counted pair by pair (ties 1/2).
double brute_force_u(const std::vector<double>& a, const std::vector<double>& b) {
  double u = 0;
  for (const double x : a) {
    for (const double y : b) u += x > y ? 1.0 : x == y ? 0.5 : 0.0;
  }
  return u;
}

TEST(ValidateStatistics, MannWhitneyMatchesRsNormalApproximation) {
  // R: wilcox.test(1:5, 6:10, exact = FALSE) -> W = 0, p-value = 0.01219
  const std::vector<double> a{1, 2, 3, 4, 5};
  const std::vector<double> b{6, 7, 8, 9, 10};
  const auto r = mann_whitney(a, b);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.p_value, 0.01219, 5e-5);
  EXPECT_LT(r.z, 0);
  // Symmetric: swapping the samples swaps U, not the p-value.
  const auto swapped = mann_whitney(b, a);
  EXPECT_DOUBLE_EQ(swapped.u, 25);
  EXPECT_NEAR(swapped.p_value, r.p_value, 1e-12);
}

TEST(ValidateStatistics, MannWhitneyCountsTiesAsHalvesAndCorrectsTheVariance) {
  const std::vector<double> a{1, 2, 2, 3, 3, 3, 5};
  const std::vector<double> b{2, 3, 4, 4, 5, 6};
  const auto r = mann_whitney(a, b);
  EXPECT_DOUBLE_EQ(r.u, brute_force_u(a, b));
  // Reference by hand: n1=7, n2=6, ties {2:3, 3:4, 4:2, 5:2}: sum(t^3-t) = 24+60+6+6 = 96.
  const double n1 = 7, n2 = 6, n = 13;
  const double sigma = std::sqrt(n1 * n2 / 12 * ((n + 1) - 96 / (n * (n - 1))));
  const double big_u = std::max(r.u, n1 * n2 - r.u);
  const double z = (big_u - n1 * n2 / 2 - 0.5) / sigma;
  EXPECT_NEAR(r.p_value, std::erfc(z / std::sqrt(2.0)), 1e-12);
  // Identical samples: nothing to tell apart.
  const std::vector<double> same{4, 4, 4};
  EXPECT_DOUBLE_EQ(mann_whitney(same, same).p_value, 1);
}

TEST(ValidateStatistics, ExactMannWhitneyMatchesEnumeratingEveryArrangement) {
  // Under the null hypothesis every choice of which 5 of the ranks 1..10 belong to `a` is
  // equally likely: count U over all C(10,5) = 252 of them.
  constexpr int kA = 5;
  constexpr int kB = 5;
  std::vector<int> counts(kA * kB + 1, 0);
  std::vector<bool> chosen(kA + kB, false);
  std::fill(chosen.begin(), chosen.begin() + kA, true);
  int arrangements = 0;
  do {
    std::vector<double> a;
    std::vector<double> b;
    for (int i = 0; i < kA + kB; ++i) (chosen[static_cast<std::size_t>(i)] ? a : b).push_back(i);
    ++counts[static_cast<std::size_t>(brute_force_u(a, b))];
    ++arrangements;
  } while (std::prev_permutation(chosen.begin(), chosen.end()));
  ASSERT_EQ(arrangements, 252);
  for (int u = 0; u <= kA * kB; ++u) {
    int lower = 0;
    int upper = 0;
    for (int k = 0; k <= kA * kB; ++k) {
      if (k <= u) lower += counts[static_cast<std::size_t>(k)];
      if (k >= u) upper += counts[static_cast<std::size_t>(k)];
    }
    const double expected = std::min(1.0, 2.0 * std::min(lower, upper) / arrangements);
    EXPECT_NEAR(mann_whitney_exact_p(u, kA, kB), expected, 1e-12) << "U = " << u;
  }
  // R: wilcox.test(1:5, 6:10) (exact) -> p-value = 0.007937 (= 2/252)
  EXPECT_NEAR(mann_whitney_exact_p(0, 5, 5), 2.0 / 252, 1e-12);
}

TEST(ValidateStatistics, NormalApproximationIsCloseToExactForModerateSamples) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 0; i < 12; ++i) {
    a.push_back(i * 3.0);
    b.push_back(i * 3.0 + 4.5);  // interleaved, no ties
  }
  const auto r = mann_whitney(a, b);
  EXPECT_NEAR(r.p_value, mann_whitney_exact_p(r.u, a.size(), b.size()), 0.01);
}

TEST(ValidateStatistics, HodgesLehmannIsTheMedianOfPairwiseDifferences) {
  const std::vector<double> a{1.0, 2.5, 3.0, 7.0, 4.0, 2.0};
  const std::vector<double> b{3.0, 5.5, 4.0, 9.0, 6.5};
  std::vector<double> differences;
  for (const double y : b) {
    for (const double x : a) differences.push_back(y - x);
  }
  std::sort(differences.begin(), differences.end());
  const double median = (differences[14] + differences[15]) / 2;  // 30 differences
  const auto shift = hodges_lehmann(a, b, 0.98);
  EXPECT_DOUBLE_EQ(shift.estimate, median);
  EXPECT_LE(shift.low, shift.estimate);
  EXPECT_GE(shift.high, shift.estimate);
  // Moses' interval: order statistics C+1 and nm-C of the sorted differences.
  const double c = std::floor(15 - 2.326347874 * std::sqrt(30.0 * 12 / 12));
  EXPECT_DOUBLE_EQ(shift.low, differences[static_cast<std::size_t>(c)]);
  EXPECT_DOUBLE_EQ(shift.high, differences[29 - static_cast<std::size_t>(c)]);
}

TEST(ValidateStatistics, HodgesLehmannFindsAPureShiftAndItsIntervalCoversIt) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 0; i < 400; ++i) {
    const double v = 10 + (i * 37 % 100) / 10.0;
    a.push_back(v);
    b.push_back(v + 5);
  }
  const auto shift = hodges_lehmann(a, b, 0.98);
  EXPECT_DOUBLE_EQ(shift.estimate, 5);
  EXPECT_LE(shift.low, 5);
  EXPECT_GE(shift.high, 5);
  // Thinned to 100 per side: the same answer for a pure shift.
  EXPECT_DOUBLE_EQ(hodges_lehmann(a, b, 0.98, 100).estimate, 5);
}

TEST(ValidateStatistics, FisherMatchesRsDocumentedExamples) {
  // R: fisher.test(rbind(c(3, 1), c(1, 3))) (the lady tasting tea) -> p-value = 0.4857
  EXPECT_NEAR(fisher_exact(3, 4, 1, 4).p_two_sided, 0.4857, 5e-5);
  // R's ?fisher.test "Convictions": dizygotic 2 of 17 convicted, monozygotic 10 of 13.
  // Two-sided p-value = 0.0005367; alternative = "less" p-value = 0.0004652.
  const auto convictions = fisher_exact(2, 17, 10, 13);
  EXPECT_NEAR(convictions.p_two_sided, 0.0005367, 5e-7);
  EXPECT_NEAR(convictions.p_greater, 0.0004652, 5e-7);
}

TEST(ValidateStatistics, FisherMatchesSummingEveryTableByHand) {
  // 1 of 60 vs 7 of 60: the hypergeometric probabilities from binomial coefficients.
  const auto choose = [](int n, int k) { return std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1)); };
  const int a_n = 60, b_n = 60, failures = 8;
  const auto p = [&](int x) { return choose(b_n, x) * choose(a_n, failures - x) / choose(a_n + b_n, failures); };
  double two_sided = 0;
  double greater = 0;
  for (int x = 0; x <= failures; ++x) {
    if (p(x) <= p(7) * (1 + 1e-7)) two_sided += p(x);
    if (x >= 7) greater += p(x);
  }
  const auto r = fisher_exact(1, 60, 7, 60);
  EXPECT_NEAR(r.p_two_sided, two_sided, 1e-9);
  EXPECT_NEAR(r.p_greater, greater, 1e-9);
  // No failures anywhere: nothing to test.
  EXPECT_DOUBLE_EQ(fisher_exact(0, 1000, 0, 1000).p_two_sided, 1);
}

TEST(ValidateStatistics, NewcombeIntervalMatchesThePublishedExample) {
  // Newcombe (1998), method 10: 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
  const auto d = stats::proportion_difference(48, 80, 56, 70, 0.95);
  EXPECT_NEAR(d.estimate, 0.2, 1e-12);
  EXPECT_NEAR(d.low, 0.0524, 5e-5);
  EXPECT_NEAR(d.high, 0.3339, 5e-5);
}

TEST(ValidateComparison, FewerThanFiftySamplesIsNotEnoughDataNeverAPass) {
  const std::vector<double> few(49, 10.0);
  const std::vector<double> many(500, 10.0);
  EXPECT_EQ(compare_latency("latency", few, many).verdict, Comparison::Verdict::kNotEnoughData);
  EXPECT_EQ(compare_ratio("errors", 0, 49, 0, 500, 0.001, +1).verdict,
            Comparison::Verdict::kNotEnoughData);
}

TEST(ValidateComparison, ShiftBeyondTheToleranceIsARegressionNoiseInsideItIsNot) {
  std::vector<double> baseline;
  std::vector<double> slower;
  std::vector<double> noisy;
  for (int i = 0; i < 1000; ++i) {
    const double v = 10 + (i * 7919 % 1000) / 1000.0;  // 10..11 ms
    baseline.push_back(v);
    slower.push_back(v + 5);
    noisy.push_back(v + 0.05);
  }
  const auto regression = compare_latency("latency", baseline, slower);
  EXPECT_EQ(regression.verdict, Comparison::Verdict::kRegression) << regression.detail;
  EXPECT_NEAR(regression.difference, 5, 1e-9);
  EXPECT_EQ(compare_latency("latency", slower, baseline).verdict, Comparison::Verdict::kImprovement);
  // Significant with 1000 samples each, but 0.05 ms is inside the 1 ms tolerance band.
  EXPECT_EQ(compare_latency("latency", baseline, noisy).verdict, Comparison::Verdict::kNoChange);
}

TEST(ValidateComparison, ErrorRatiosUseFisherAndTheTolerance) {
  EXPECT_EQ(compare_ratio("errors", 2, 5000, 120, 5000, 0.001, +1).verdict,
            Comparison::Verdict::kRegression);
  EXPECT_EQ(compare_ratio("errors", 120, 5000, 2, 5000, 0.001, +1).verdict,
            Comparison::Verdict::kImprovement);
  EXPECT_EQ(compare_ratio("errors", 2, 5000, 3, 5000, 0.001, +1).verdict,
            Comparison::Verdict::kNoChange);
  // Zero-heavy counts on both sides: no change, not a division by zero.
  EXPECT_EQ(compare_ratio("errors", 0, 5000, 0, 5000, 0.001, +1).verdict,
            Comparison::Verdict::kNoChange);
}

}  // namespace
}  // namespace lbchaos::validate

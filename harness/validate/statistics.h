#pragma once

#include <cstdint>
#include <span>

// The statistics behind the baseline comparison (Kayenta's judge): Mann-Whitney U with the
// Hodges-Lehmann shift and its confidence interval for latencies, Fisher's exact test and a
// Newcombe interval for error ratios. Distributions come from Boost.Math.
namespace lbchaos::validate::stats {

struct MannWhitney {
  double u = 0;          // U of the first sample (pairs where a > b, ties counted 1/2)
  double z = 0;          // normal approximation, tie- and continuity-corrected (R, scipy)
  double p_value = 1;    // two-sided
};

// Normal approximation with tie and continuity correction, as R's wilcox.test(exact = FALSE)
// and scipy's mannwhitneyu(method = "asymptotic"). Both samples must be non-empty.
[[nodiscard]] MannWhitney mann_whitney(std::span<const double> a, std::span<const double> b);

// Exact two-sided p-value of U for samples without ties (small samples; for tests and
// reference): doubles the smaller tail of the exact null distribution.
[[nodiscard]] double mann_whitney_exact_p(double u, std::size_t n_a, std::size_t n_b);

struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;
};

// Hodges-Lehmann estimate of the shift b - a (median of all pairwise differences) and its
// confidence interval (Moses' distribution-free interval from the normal approximation).
// Samples larger than `max_sample` are thinned deterministically (every k-th of the sorted
// values) so the pairwise differences stay within memory.
[[nodiscard]] Interval hodges_lehmann(std::span<const double> a, std::span<const double> b,
                                      double confidence, std::size_t max_sample = 2000);

struct Fisher {
  double p_two_sided = 1;  // sum of the tables no more likely than the observed (R's rule)
  double p_greater = 1;    // the second group fails more often than the first
};

// 2x2 table: failures and totals of group a (baseline) and group b (candidate).
[[nodiscard]] Fisher fisher_exact(std::uint64_t a_failed, std::uint64_t a_total,
                                  std::uint64_t b_failed, std::uint64_t b_total);

// Difference of proportions b/n_b - a/n_a with Newcombe's hybrid score interval (method 10).
[[nodiscard]] Interval proportion_difference(std::uint64_t a_k, std::uint64_t a_n,
                                             std::uint64_t b_k, std::uint64_t b_n,
                                             double confidence);

// Median of a sample (copied).
[[nodiscard]] double median(std::span<const double> values);

}  // namespace lbchaos::validate::stats

#include "harness/validate/statistics.h"

#include <boost/math/distributions/hypergeometric.hpp>
#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace lbchaos::validate::stats {
namespace {

double normal_quantile_upper(double tail) {
  return boost::math::quantile(boost::math::complement(boost::math::normal(), tail));
}

double normal_upper_tail(double z) {
  return boost::math::cdf(boost::math::complement(boost::math::normal(), z));
}

std::vector<double> thinned_sorted(std::span<const double> values, std::size_t max_sample) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() <= max_sample) return sorted;
  std::vector<double> thinned;
  thinned.reserve(max_sample);
  const double step = static_cast<double>(sorted.size()) / static_cast<double>(max_sample);
  for (std::size_t i = 0; i < max_sample; ++i) {
    thinned.push_back(sorted[static_cast<std::size_t>((static_cast<double>(i) + 0.5) * step)]);
  }
  return thinned;
}

// Wilson score interval of k successes in n.
Interval wilson(std::uint64_t k, std::uint64_t n, double z) {
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double denominator = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denominator;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denominator;
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace

MannWhitney mann_whitney(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("mann_whitney needs two samples");
  struct Value {
    double v;
    bool first;
  };
  std::vector<Value> all;
  all.reserve(a.size() + b.size());
  for (const double v : a) all.push_back({v, true});
  for (const double v : b) all.push_back({v, false});
  std::sort(all.begin(), all.end(), [](const Value& x, const Value& y) { return x.v < y.v; });
  double rank_sum_a = 0;
  double tie_term = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].v == all[i].v) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].first) rank_sum_a += average_rank;
    }
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const double n1 = static_cast<double>(a.size());
  const double n2 = static_cast<double>(b.size());
  const double n = n1 + n2;
  MannWhitney result;
  result.u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) {  // every value equal
    result.z = 0;
    result.p_value = 1;
    return result;
  }
  const double big_u = std::max(result.u, n1 * n2 - result.u);
  result.z = (big_u - mean - 0.5) / std::sqrt(variance);
  result.p_value = std::min(1.0, 2 * normal_upper_tail(result.z));
  if (result.u < mean) result.z = -result.z;
  return result;
}

double mann_whitney_exact_p(double u, std::size_t n_a, std::size_t n_b) {
  // counts[k] = number of arrangements with U = k, built up one element at a time
  // (the classic recurrence f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k)).
  const std::size_t max_u = n_a * n_b;
  std::vector<std::vector<double>> f(n_b + 1, std::vector<double>(max_u + 1, 0));
  for (std::size_t j = 0; j <= n_b; ++j) f[j][0] = 1;  // i = 0
  for (std::size_t i = 1; i <= n_a; ++i) {
    std::vector<std::vector<double>> g(n_b + 1, std::vector<double>(max_u + 1, 0));
    g[0][0] = 1;
    for (std::size_t j = 1; j <= n_b; ++j) {
      for (std::size_t k = 0; k <= max_u; ++k) {
        g[j][k] = (k >= j ? f[j][k - j] : 0) + g[j - 1][k];
      }
    }
    f = std::move(g);
  }
  const auto& counts = f[n_b];
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  const auto k = static_cast<std::size_t>(std::llround(u));
  double lower = 0;
  double upper = 0;
  for (std::size_t i = 0; i <= max_u; ++i) {
    if (i <= k) lower += counts[i];
    if (i >= k) upper += counts[i];
  }
  return std::min(1.0, 2 * std::min(lower, upper) / total);
}

Interval hodges_lehmann(std::span<const double> a, std::span<const double> b, double confidence,
                        std::size_t max_sample) {
  if (a.empty() || b.empty()) throw std::invalid_argument("hodges_lehmann needs two samples");
  const auto x = thinned_sorted(a, max_sample);
  const auto y = thinned_sorted(b, max_sample);
  std::vector<double> differences;
  differences.reserve(x.size() * y.size());
  for (const double yv : y) {
    for (const double xv : x) differences.push_back(yv - xv);
  }
  const std::size_t count = differences.size();
  const auto order_statistic = [&](std::size_t k) {  // 0-based
    std::nth_element(differences.begin(), differences.begin() + static_cast<long>(k),
                     differences.end());
    return differences[k];
  };
  Interval result;
  if (count % 2 == 1) {
    result.estimate = order_statistic(count / 2);
  } else {
    const double upper_middle = order_statistic(count / 2);
    const double lower_middle =
        *std::max_element(differences.begin(), differences.begin() + static_cast<long>(count / 2));
    result.estimate = (lower_middle + upper_middle) / 2;
  }
  const double n = static_cast<double>(x.size());
  const double m = static_cast<double>(y.size());
  const double z = normal_quantile_upper((1 - confidence) / 2);
  const double c = std::floor(n * m / 2 - z * std::sqrt(n * m * (n + m + 1) / 12));
  const auto k = static_cast<std::size_t>(std::max(0.0, c));
  result.low = order_statistic(std::min(k, count - 1));
  result.high = order_statistic(count - 1 - std::min(k, count - 1));
  return result;
}

Fisher fisher_exact(std::uint64_t a_failed, std::uint64_t a_total, std::uint64_t b_failed,
                    std::uint64_t b_total) {
  const std::uint64_t failures = a_failed + b_failed;
  const std::uint64_t total = a_total + b_total;
  Fisher result;
  if (failures == 0 || failures == total || a_total == 0 || b_total == 0) return result;
  // X = failures in group b: hypergeometric(failures defective, b_total drawn, total).
  const boost::math::hypergeometric_distribution<double> dist(
      static_cast<unsigned>(failures), static_cast<unsigned>(b_total),
      static_cast<unsigned>(total));
  const std::uint64_t low = b_total + failures > total ? b_total + failures - total : 0;
  const std::uint64_t high = std::min(failures, b_total);
  const double observed = boost::math::pdf(dist, static_cast<unsigned>(b_failed));
  double two_sided = 0;
  double greater = 0;
  for (std::uint64_t x = low; x <= high; ++x) {
    const double p = boost::math::pdf(dist, static_cast<unsigned>(x));
    if (p <= observed * (1 + 1e-7)) two_sided += p;
    if (x >= b_failed) greater += p;
  }
  result.p_two_sided = std::min(1.0, two_sided);
  result.p_greater = std::min(1.0, greater);
  return result;
}

Interval proportion_difference(std::uint64_t a_k, std::uint64_t a_n, std::uint64_t b_k,
                               std::uint64_t b_n, double confidence) {
  if (a_n == 0 || b_n == 0) throw std::invalid_argument("proportion_difference needs samples");
  const double z = normal_quantile_upper((1 - confidence) / 2);
  const Interval a = wilson(a_k, a_n, z);
  const Interval b = wilson(b_k, b_n, z);
  const double d = b.estimate - a.estimate;
  return {d,
          d - std::sqrt((b.estimate - b.low) * (b.estimate - b.low) +
                        (a.high - a.estimate) * (a.high - a.estimate)),
          d + std::sqrt((b.high - b.estimate) * (b.high - b.estimate) +
                        (a.estimate - a.low) * (a.estimate - a.low))};
}

double median(std::span<const double> values) {
  if (values.empty()) return 0;
  std::vector<double> v(values.begin(), values.end());
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  if (v.size() % 2 == 1) return v[mid];
  const double upper = v[mid];
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<long>(mid));
  return (lower + upper) / 2;
}

}  // namespace lbchaos::validate::stats

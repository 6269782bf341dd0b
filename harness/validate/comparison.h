#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario/result.h"
#include "harness/topology/slo.h"
#include "harness/validate/suite.h"

// Stage 4 of `lbchaos validate`: the candidate against the baseline, the same seeded suite run
// on both with the runs interleaved (A, B, A, B...), judged per metric in the manner of
// Kayenta: a difference counts only when it is both significant (98%) and larger than a
// tolerance band, and fewer than 50 samples on either side is "not enough data", never a pass.
namespace lbchaos::validate {

inline constexpr double kConfidence = 0.98;
inline constexpr std::size_t kMinSamples = 50;

struct Comparison {
  enum class Verdict { kRegression, kImprovement, kNoChange, kNotEnoughData };

  std::string metric;      // "latency (steady)", "error ratio (all phases)", ...
  std::string unit;        // "ms", "%"
  double baseline = 0;     // the metric on each side (p99 for latencies, ratios in %)
  double candidate = 0;
  double difference = 0;   // candidate - baseline: Hodges-Lehmann shift / difference of ratios
  double low = 0;          // its 98% confidence interval
  double high = 0;
  double tolerance = 0;    // differences inside +-tolerance are no change
  double p_value = 1;
  std::string test;        // "Mann-Whitney U / Hodges-Lehmann", "Fisher's exact / Newcombe"
  std::size_t baseline_samples = 0;
  std::size_t candidate_samples = 0;
  Verdict verdict = Verdict::kNotEnoughData;
  std::string detail;
};

[[nodiscard]] std::string_view to_string(Comparison::Verdict verdict);

// One repeat of the suite on one config.
struct SuiteRuns {
  const SuitePlan* plan = nullptr;
  std::vector<const scenario::ScenarioResult*> resilience;  // one per repeat
  std::vector<const scenario::ScenarioResult*> peak;
};

// Latencies are compared as samples of requests; error ratios and the distribution as counts.
[[nodiscard]] std::vector<Comparison> compare(const SuiteRuns& baseline,
                                              const SuiteRuns& candidate,
                                              const topology::Slo& slo);

// Judges two latency samples (ms) and two failure counts; exposed for tests.
[[nodiscard]] Comparison compare_latency(std::string metric, const std::vector<double>& baseline,
                                         const std::vector<double>& candidate);
[[nodiscard]] Comparison compare_ratio(std::string metric, std::uint64_t baseline_k,
                                       std::uint64_t baseline_n, std::uint64_t candidate_k,
                                       std::uint64_t candidate_n, double tolerance,
                                       double direction);

}  // namespace lbchaos::validate

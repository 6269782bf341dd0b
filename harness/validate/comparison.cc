#include "harness/validate/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "harness/validate/statistics.h"

namespace lbchaos::validate {
namespace {

using Verdict = Comparison::Verdict;

// Latency differences below this (or 10% of the baseline median) are noise, not change.
constexpr double kLatencyToleranceMs = 1.0;
constexpr double kLatencyToleranceShare = 0.10;
// Error ratios: a tenth of a percentage point.
constexpr double kErrorTolerance = 0.001;

double p99(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::vector<double> latencies_ms(const scenario::RunRecording& slice) {
  std::vector<double> out;
  for (const auto& r : slice.records) {
    if (r.ok()) out.push_back(static_cast<double>(r.latency_ns()) / 1e6);
  }
  return out;
}

struct Counts {
  std::uint64_t failed = 0;
  std::uint64_t total = 0;
};

void count(const scenario::RunRecording& slice, Counts& into) {
  for (const auto& r : slice.records) {
    ++into.total;
    if (r.failed()) ++into.failed;
  }
}

// Successful requests per server key of `backend` in a slice.
void served_by(const scenario::RunRecording& slice, const std::string& backend,
               std::map<std::string, std::uint64_t>& into, std::uint64_t& total) {
  const std::string prefix = backend + "/";
  for (const auto& r : slice.records) {
    if (!r.ok() || r.server >= slice.servers.size()) continue;
    const auto& key = slice.servers.name(r.server);
    if (key.rfind(prefix, 0) != 0) continue;
    ++into[key];
    ++total;
  }
}

}  // namespace

std::string_view to_string(Comparison::Verdict verdict) {
  switch (verdict) {
    case Verdict::kRegression: return "regression";
    case Verdict::kImprovement: return "improvement";
    case Verdict::kNoChange: return "no significant change";
    case Verdict::kNotEnoughData: return "not enough data";
  }
  return "?";
}

Comparison compare_latency(std::string metric, const std::vector<double>& baseline,
                           const std::vector<double>& candidate) {
  Comparison c;
  c.metric = std::move(metric);
  c.unit = "ms";
  c.test = "Mann-Whitney U, Hodges-Lehmann shift";
  c.baseline_samples = baseline.size();
  c.candidate_samples = candidate.size();
  c.baseline = p99(baseline);
  c.candidate = p99(candidate);
  if (baseline.size() < kMinSamples || candidate.size() < kMinSamples) {
    c.verdict = Verdict::kNotEnoughData;
    c.detail = fmt::format("{} baseline and {} candidate samples; at least {} each are needed",
                           baseline.size(), candidate.size(), kMinSamples);
    return c;
  }
  const auto u = stats::mann_whitney(baseline, candidate);
  const auto shift = stats::hodges_lehmann(baseline, candidate, kConfidence);
  c.p_value = u.p_value;
  c.difference = shift.estimate;
  c.low = shift.low;
  c.high = shift.high;
  c.tolerance = std::max(kLatencyToleranceMs, kLatencyToleranceShare * stats::median(baseline));
  const bool significant = u.p_value < 1 - kConfidence;
  if (significant && c.low > c.tolerance) {
    c.verdict = Verdict::kRegression;
  } else if (significant && c.high < -c.tolerance) {
    c.verdict = Verdict::kImprovement;
  } else {
    c.verdict = Verdict::kNoChange;
  }
  c.detail = fmt::format("p99 {:.2f} ms -> {:.2f} ms; median shift {:+.2f} ms [{:+.2f}, {:+.2f}] "
                         "(98%), tolerance +-{:.2f} ms, p = {:.3g}",
                         c.baseline, c.candidate, c.difference, c.low, c.high, c.tolerance,
                         c.p_value);
  return c;
}

Comparison compare_ratio(std::string metric, std::uint64_t baseline_k, std::uint64_t baseline_n,
                         std::uint64_t candidate_k, std::uint64_t candidate_n, double tolerance,
                         double direction) {
  Comparison c;
  c.metric = std::move(metric);
  c.unit = "%";
  c.test = "Fisher's exact test, Newcombe interval";
  c.baseline_samples = baseline_n;
  c.candidate_samples = candidate_n;
  c.tolerance = tolerance * 100;
  if (baseline_n < kMinSamples || candidate_n < kMinSamples) {
    c.verdict = Verdict::kNotEnoughData;
    c.detail = fmt::format("{} baseline and {} candidate requests; at least {} each are needed",
                           baseline_n, candidate_n, kMinSamples);
    return c;
  }
  c.baseline = 100.0 * static_cast<double>(baseline_k) / static_cast<double>(baseline_n);
  c.candidate = 100.0 * static_cast<double>(candidate_k) / static_cast<double>(candidate_n);
  const auto fisher = stats::fisher_exact(baseline_k, baseline_n, candidate_k, candidate_n);
  const auto d = stats::proportion_difference(baseline_k, baseline_n, candidate_k, candidate_n,
                                              kConfidence);
  c.p_value = fisher.p_two_sided;
  c.difference = d.estimate * 100;
  c.low = d.low * 100;
  c.high = d.high * 100;
  const bool significant = fisher.p_two_sided < 1 - kConfidence;
  // `direction` says which way is worse: +1 when more is worse, -1 when less is.
  const double worse_low = direction > 0 ? d.low : -d.high;
  const double better_low = direction > 0 ? -d.high : d.low;
  if (significant && worse_low > tolerance) {
    c.verdict = Verdict::kRegression;
  } else if (significant && better_low > tolerance) {
    c.verdict = Verdict::kImprovement;
  } else {
    c.verdict = Verdict::kNoChange;
  }
  c.detail = fmt::format("{}/{} -> {}/{}: {:+.2f} points [{:+.2f}, {:+.2f}] (98%), tolerance "
                         "+-{:.2f}, p = {:.3g}",
                         baseline_k, baseline_n, candidate_k, candidate_n, c.difference, c.low,
                         c.high, c.tolerance, c.p_value);
  return c;
}

std::vector<Comparison> compare(const SuiteRuns& baseline, const SuiteRuns& candidate,
                                const topology::Slo& slo) {
  std::vector<Comparison> out;
  const auto usable = [](const scenario::ScenarioResult* r) {
    return r != nullptr && r->outcome != scenario::ScenarioResult::Outcome::kError;
  };
  // Latency in the steady phase and at the peak.
  const auto gather_latency = [&](const SuiteRuns& side, bool peak) {
    std::vector<double> all;
    for (const auto* r : peak ? side.peak : side.resilience) {
      if (!usable(r)) continue;
      const auto values = latencies_ms(phase_slice(r->recording, 0));
      all.insert(all.end(), values.begin(), values.end());
    }
    return all;
  };
  out.push_back(compare_latency("latency (steady)", gather_latency(baseline, false),
                                gather_latency(candidate, false)));
  out.push_back(compare_latency("latency (peak)", gather_latency(baseline, true),
                                gather_latency(candidate, true)));

  // Error ratios: every request of every phase, and the server kills alone.
  const auto gather_errors = [&](const SuiteRuns& side, bool kills_only) {
    Counts counts;
    for (const auto* r : side.resilience) {
      if (!usable(r)) continue;
      for (std::size_t i = 0; i < side.plan->resilience_phases.size(); ++i) {
        if (kills_only && side.plan->resilience_phases[i].kind != Phase::Kind::kKill) continue;
        if (i > r->recording.faults.size()) continue;
        count(phase_slice(r->recording, i), counts);
      }
    }
    if (!kills_only) {
      for (const auto* r : side.peak) {
        if (usable(r)) count(phase_slice(r->recording, 0), counts);
      }
    }
    return counts;
  };
  for (const bool kills : {false, true}) {
    const auto a = gather_errors(baseline, kills);
    const auto b = gather_errors(candidate, kills);
    out.push_back(compare_ratio(kills ? "error ratio (server kills)" : "error ratio (all phases)",
                                a.failed, a.total, b.failed, b.total, kErrorTolerance, +1));
  }

  // Distribution: the candidate's most-off server, its share on both sides.
  const auto& backend = candidate.plan->backend;
  const auto gather_shares = [&](const SuiteRuns& side, std::uint64_t& total) {
    std::map<std::string, std::uint64_t> served;
    for (const auto* r : side.resilience) {
      if (usable(r)) served_by(phase_slice(r->recording, 0), backend, served, total);
    }
    return served;
  };
  std::uint64_t a_total = 0;
  std::uint64_t b_total = 0;
  const auto a_served = gather_shares(baseline, a_total);
  const auto b_served = gather_shares(candidate, b_total);
  const auto& topology = candidate.plan->resilience.topology;
  const auto* described = topology.find_backend(backend);
  if (described != nullptr && !backend.empty() && !candidate.plan->balance_first) {
    double capacity = 0;
    for (const auto& s : described->servers) capacity += s.backup ? 0 : s.capacity;
    std::string worst;
    double worst_deviation = -1;
    double worst_expected = 0;
    for (const auto& s : described->servers) {
      const auto key = topology::server_key(backend, s.name);
      const double expected = s.backup || capacity <= 0 ? 0 : s.capacity / capacity;
      const auto it = b_served.find(key);
      const double share = b_total == 0 || it == b_served.end()
                               ? 0
                               : static_cast<double>(it->second) / static_cast<double>(b_total);
      if (std::abs(share - expected) > worst_deviation) {
        worst_deviation = std::abs(share - expected);
        worst = key;
        worst_expected = expected;
      }
    }
    const auto served = [&](const std::map<std::string, std::uint64_t>& m) {
      const auto it = m.find(worst);
      return it == m.end() ? std::uint64_t{0} : it->second;
    };
    const double b_share =
        b_total == 0 ? 0 : static_cast<double>(served(b_served)) / static_cast<double>(b_total);
    auto c = compare_ratio(fmt::format("distribution (steady): share of {}", worst),
                           served(a_served), a_total, served(b_served), b_total,
                           slo.distribution / 2, b_share >= worst_expected ? +1 : -1);
    c.detail += fmt::format("; its capacity share is {:.1f}%", worst_expected * 100);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace lbchaos::validate

#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The journal's 100 ms buckets folded into at most one column per pixel of chart width, so an
// hour-long run draws as small as a ten-second one. A column keeps the worst of what it covers:
// the largest count of every error class and the highest p50/p99, so an error spike one bucket
// wide is never averaged away; successes are the column's mean (the typical rate).
namespace lbchaos::report {

// The error classes of a timeline bucket, in stacking order.
inline const std::vector<std::string> kErrorClasses = {"refused", "reset", "timeout",
                                                       "dropped", "5xx",   "other"};

struct ChartColumn {
  double from_s = 0;  // start of the first bucket in the column
  double to_s = 0;    // end of the last bucket in the column
  double ok = 0;      // mean successes per bucket
  std::vector<double> errors;  // per kErrorClasses: max per bucket over the column
  double sent = 0;             // mean requests due per bucket
  std::optional<double> p50_s;  // max over the column (buckets without successes skipped)
  std::optional<double> p99_s;
  std::vector<double> server_share;  // per timeline server: responses / all responses
};

// Folds `timeline` (the journal's {"bucket_s", "servers", "buckets"}) into at most
// `max_columns` columns; fewer buckets than that give one column per bucket.
[[nodiscard]] std::vector<ChartColumn> downsample(const nlohmann::json& timeline,
                                                  std::size_t max_columns);

}  // namespace lbchaos::report

#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/observe/metric_sample.h"

// The Prometheus text exposition format (0.0.4), as haproxy's exporter writes it and as the
// harness serves its own blackbox measurements to a real Prometheus.
namespace lbchaos::observe {

// Samples of `text` in order. Comments (# HELP, # TYPE, ...) and malformed lines are skipped;
// timestamps are dropped. `keep`, when set, sees each metric name before its labels are parsed
// (cheap filtering of a large exporter output).
[[nodiscard]] std::vector<MetricSample> parse_prometheus_text(
    std::string_view text, const std::function<bool(std::string_view name)>& keep = {});

// One `# TYPE` line per name (counter for names ending in _total, gauge otherwise), then its
// samples; samples of one name are grouped, names in order of first appearance.
[[nodiscard]] std::string to_prometheus_text(const std::vector<MetricSample>& samples);

}  // namespace lbchaos::observe

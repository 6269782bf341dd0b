#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// Metrics as the harness sees them: haproxy's Prometheus exporter scraped on the run's clock,
// plus the harness's own blackbox measurements, in Prometheus's data model.
namespace lbchaos::observe {

// Label name -> value. Every sample the harness collects carries instance="lb0" etc.
using Labels = std::map<std::string, std::string>;

struct MetricSample {
  std::string name;  // "haproxy_server_status"
  Labels labels;     // {proxy="app", server="web1", state="DOWN", instance="lb0"}
  double value = 0;
};

// One collection round over every haproxy instance, stamped on the run's monotonic clock.
// Holds, per instance:
//  - haproxy's exporter samples (when the scrape answered), each labelled instance="lbN";
//  - up{instance="lbN"}: 1 when the exporter answered, 0 when it did not (as Prometheus does);
//  - lbchaos_frontend_up{instance="lbN",frontend="www"}: 1 when an HTTP request to that frontend
//    got any HTTP response within the interval, 0 otherwise (the LB "stops answering", seed 000);
//  - lbchaos_reload_failures_total{instance="lbN"}: failed reloads counted by the master CLI.
struct ScrapeRound {
  std::int64_t at_ns = 0;  // when the round started (harness monotonic clock)
  std::vector<MetricSample> samples;
};

}  // namespace lbchaos::observe

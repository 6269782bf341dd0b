#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness/alerting/alert_events.h"
#include "harness/alerting/rule.h"
#include "harness/observe/metric_sample.h"

// The embedded alert engine's computation: rules evaluated over scrape rounds, producing the
// pending -> firing -> resolved events of every alert instance. Pure: no I/O, no clock.
//
// Semantics follow Prometheus's, with these differences:
//  - A rule is evaluated once per round, at round.at_ns, over that round's samples; a series
//    missing from the round has no value (no lookback), so `up == 0` is how "haproxy is gone"
//    is written.
//  - rate/increase use every point of the series within [at_ns - window, at_ns] (also when the
//    series is missing from the latest round), need at least two, and do not extrapolate:
//    increase is the reset-corrected last - first, rate is that divided by the time between
//    those two points. Prometheus extrapolates to the window's edges, so its increase reads up
//    to window / (last - first) times larger; its rate is about the same.
//  - Counter resets (a reload restarts haproxy's counters) are handled as in Prometheus: any
//    drop is a reset to zero.
namespace lbchaos::alerting {

class Evaluator {
 public:
  explicit Evaluator(std::vector<Rule> rules);

  // Rounds must come in increasing at_ns order (std::invalid_argument otherwise).
  void observe(const observe::ScrapeRound& round);

  // Every state change so far, ordered by at_ns (then rule order).
  [[nodiscard]] const std::vector<AlertEvent>& events() const { return events_; }
  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }
  // The metrics any rule reads: what the scraper must keep.
  [[nodiscard]] std::set<std::string> metric_names() const;

 private:
  struct Point {
    std::int64_t at_ns = 0;
    double value = 0;
  };
  using Vector = std::map<observe::Labels, double>;  // an instant vector: label set -> value
  struct Instance {
    AlertState state = AlertState::kPending;
    std::int64_t active_since_ns = 0;
  };
  using SamplesByMetric = std::map<std::string, std::vector<const observe::MetricSample*>>;

  void remember(const observe::ScrapeRound& round);
  [[nodiscard]] std::set<observe::Labels> active(const Rule& rule,
                                                 const SamplesByMetric& samples) const;
  [[nodiscard]] Vector holding(const Condition& condition, const SamplesByMetric& samples) const;
  [[nodiscard]] Vector evaluate(const Expression& expression, const SamplesByMetric& samples) const;
  [[nodiscard]] Vector evaluate(const Selector& selector, const SamplesByMetric& samples) const;
  [[nodiscard]] bool matches(const observe::Labels& labels,
                             const std::vector<LabelMatcher>& matchers) const;
  void update(std::size_t rule_index, const std::set<observe::Labels>& now_active,
              std::int64_t at_ns);

  std::vector<Rule> rules_;
  std::map<std::string, std::regex> regexes_;        // every labels_(not_)match pattern, compiled
  std::map<std::string, Duration> history_windows_;  // metric -> longest window reading it
  std::map<std::string, std::map<observe::Labels, std::deque<Point>>> history_;
  std::vector<std::map<observe::Labels, Instance>> instances_;  // per rule, by alert labels
  std::vector<AlertEvent> events_;
  std::optional<std::int64_t> last_at_ns_;
};

}  // namespace lbchaos::alerting

#include "harness/alerting/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace lbchaos::alerting {
namespace {

using observe::Labels;

// The value of a label as matchers see it: absent is "", as in PromQL.
const std::string& label_value(const Labels& labels, const std::string& name) {
  static const std::string kEmpty;
  const auto it = labels.find(name);
  return it == labels.end() ? kEmpty : it->second;
}

template <typename PointRange>
std::optional<double> range_value(const Selector& selector, const PointRange& points,
                                  std::int64_t at_ns) {
  const std::int64_t from = at_ns - selector.window.count();
  auto first = std::find_if(points.begin(), points.end(),
                            [&](const auto& point) { return point.at_ns >= from; });
  if (std::distance(first, points.end()) < 2) return std::nullopt;
  double increase = 0;
  for (auto previous = first, it = std::next(first); it != points.end(); ++previous, ++it) {
    // A drop is a counter reset: the counter restarted from zero, so all of it is new.
    increase += it->value >= previous->value ? it->value - previous->value : it->value;
  }
  if (selector.function == Selector::Function::kIncrease) return increase;
  const double seconds = static_cast<double>(points.back().at_ns - first->at_ns) / 1e9;
  return seconds > 0 ? std::optional<double>(increase / seconds) : std::nullopt;
}

struct Group {
  double sum = 0;
  double max = -std::numeric_limits<double>::infinity();
  double min = std::numeric_limits<double>::infinity();
  int count = 0;
};

double group_value(const Group& group, Selector::Aggregate aggregate) {
  switch (aggregate) {
    case Selector::Aggregate::kSum: return group.sum;
    case Selector::Aggregate::kMax: return group.max;
    case Selector::Aggregate::kMin: return group.min;
    case Selector::Aggregate::kAvg: return group.sum / group.count;
    case Selector::Aggregate::kCount: return group.count;
    case Selector::Aggregate::kNone: break;
  }
  return std::nan("");
}

}  // namespace

Evaluator::Evaluator(std::vector<Rule> rules)
    : rules_(std::move(rules)), instances_(rules_.size()) {
  auto note = [&](const Selector& selector) {
    for (const LabelMatcher& matcher : selector.matchers) {
      if (matcher.op == LabelMatcher::Op::kRegex || matcher.op == LabelMatcher::Op::kNotRegex) {
        regexes_.try_emplace(matcher.value, matcher.value);
      }
    }
    if (selector.function != Selector::Function::kNone) {
      Duration& window = history_windows_[selector.metric];
      window = std::max(window, selector.window);
    }
  };
  for (const Rule& rule : rules_) {
    for (const Selector& selector : rule.condition.expression.operands) note(selector);
    if (rule.only_if) {
      for (const Selector& selector : rule.only_if->expression.operands) note(selector);
    }
  }
}

std::set<std::string> Evaluator::metric_names() const {
  std::set<std::string> names;
  for (const Rule& rule : rules_) {
    for (const Selector& selector : rule.condition.expression.operands)
      names.insert(selector.metric);
    if (rule.only_if) {
      for (const Selector& selector : rule.only_if->expression.operands) {
        names.insert(selector.metric);
      }
    }
  }
  return names;
}

void Evaluator::observe(const observe::ScrapeRound& round) {
  if (last_at_ns_ && round.at_ns <= *last_at_ns_) {
    throw std::invalid_argument("Evaluator::observe: rounds must come in increasing time order");
  }
  last_at_ns_ = round.at_ns;
  remember(round);
  SamplesByMetric samples;
  for (const observe::MetricSample& sample : round.samples) samples[sample.name].push_back(&sample);
  for (std::size_t i = 0; i < rules_.size(); ++i)
    update(i, active(rules_[i], samples), round.at_ns);
}

// Keeps, for the metrics read by rate/increase, the points their longest window needs.
void Evaluator::remember(const observe::ScrapeRound& round) {
  for (const observe::MetricSample& sample : round.samples) {
    if (history_windows_.contains(sample.name)) {
      history_[sample.name][sample.labels].push_back({round.at_ns, sample.value});
    }
  }
  for (auto& [metric, series] : history_) {
    const std::int64_t keep_from = round.at_ns - history_windows_.at(metric).count();
    for (auto it = series.begin(); it != series.end();) {
      auto& points = it->second;
      while (!points.empty() && points.front().at_ns < keep_from) points.pop_front();
      it = points.empty() ? series.erase(it) : std::next(it);
    }
  }
}

std::set<Labels> Evaluator::active(const Rule& rule, const SamplesByMetric& samples) const {
  const Vector main = holding(rule.condition, samples);
  std::optional<Vector> guard;
  if (rule.only_if) guard = holding(*rule.only_if, samples);
  std::set<Labels> result;
  for (const auto& [labels, value] : main) {
    if (guard && !guard->contains(labels)) continue;
    Labels alert_labels = rule.labels;
    alert_labels.insert(labels.begin(), labels.end());  // the rule's labels win
    result.insert(std::move(alert_labels));
  }
  return result;
}

Evaluator::Vector Evaluator::holding(const Condition& condition,
                                     const SamplesByMetric& samples) const {
  Vector vector = evaluate(condition.expression, samples);
  std::erase_if(vector,
                [&](const auto& entry) { return !condition.comparison.holds(entry.second); });
  return vector;
}

Evaluator::Vector Evaluator::evaluate(const Expression& expression,
                                      const SamplesByMetric& samples) const {
  Vector result = evaluate(expression.operands.front(), samples);
  for (std::size_t i = 1; i < expression.operands.size(); ++i) {
    const Vector other = evaluate(expression.operands[i], samples);
    Vector matched;
    for (const auto& [labels, value] : result) {
      const auto it = other.find(labels);
      if (it == other.end()) continue;
      matched[labels] =
          expression.kind == Expression::Kind::kRatio ? value / it->second : value + it->second;
    }
    result = std::move(matched);
  }
  return result;
}

Evaluator::Vector Evaluator::evaluate(const Selector& selector,
                                      const SamplesByMetric& samples) const {
  Vector series;
  if (selector.function == Selector::Function::kNone) {
    if (const auto it = samples.find(selector.metric); it != samples.end()) {
      for (const observe::MetricSample* sample : it->second) {
        if (matches(sample->labels, selector.matchers)) series[sample->labels] = sample->value;
      }
    }
  } else if (const auto it = history_.find(selector.metric); it != history_.end()) {
    for (const auto& [labels, points] : it->second) {
      if (!matches(labels, selector.matchers)) continue;
      if (const auto value = range_value(selector, points, *last_at_ns_)) series[labels] = *value;
    }
  }
  if (selector.aggregate == Selector::Aggregate::kNone) return series;

  std::map<Labels, Group> groups;
  for (const auto& [labels, value] : series) {
    Labels key;
    for (const std::string& name : selector.by) {
      if (const auto it = labels.find(name); it != labels.end()) key.insert(*it);
    }
    Group& group = groups[key];
    group.sum += value;
    group.max = std::max(group.max, value);
    group.min = std::min(group.min, value);
    ++group.count;
  }
  Vector result;
  for (const auto& [key, group] : groups) result[key] = group_value(group, selector.aggregate);
  return result;
}

bool Evaluator::matches(const Labels& labels, const std::vector<LabelMatcher>& matchers) const {
  return std::all_of(matchers.begin(), matchers.end(), [&](const LabelMatcher& matcher) {
    const std::string& value = label_value(labels, matcher.label);
    switch (matcher.op) {
      case LabelMatcher::Op::kEqual: return value == matcher.value;
      case LabelMatcher::Op::kNotEqual: return value != matcher.value;
      case LabelMatcher::Op::kRegex: return std::regex_match(value, regexes_.at(matcher.value));
      case LabelMatcher::Op::kNotRegex: return !std::regex_match(value, regexes_.at(matcher.value));
    }
    return false;
  });
}

void Evaluator::update(std::size_t rule_index, const std::set<Labels>& now_active,
                       std::int64_t at_ns) {
  const Rule& rule = rules_[rule_index];
  auto& instances = instances_[rule_index];
  auto emit = [&](const Labels& labels, AlertState state) {
    events_.push_back({.at_ns = at_ns,
                       .rule = rule.name,
                       .labels = labels,
                       .state = state,
                       .summary = rule.summary});
  };
  for (auto it = instances.begin(); it != instances.end();) {
    if (now_active.contains(it->first)) {
      ++it;
      continue;
    }
    emit(it->first, AlertState::kResolved);
    it = instances.erase(it);
  }
  for (const Labels& labels : now_active) {
    auto [it, inserted] = instances.try_emplace(labels, Instance{AlertState::kPending, at_ns});
    if (inserted) emit(labels, AlertState::kPending);
    Instance& instance = it->second;
    if (instance.state == AlertState::kPending &&
        at_ns - instance.active_since_ns >= rule.hold.count()) {
      instance.state = AlertState::kFiring;
      emit(labels, AlertState::kFiring);
    }
  }
}

}  // namespace lbchaos::alerting

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/observe/metric_sample.h"

// An embedded alert rule: the small subset of PromQL the harness evaluates itself (TOML, see
// rule_loader.h), enough for haproxy's exporter and the harness's blackbox metrics.
namespace lbchaos::alerting {

struct LabelMatcher {
  enum class Op {
    kEqual,     // labels = { state = "DOWN" }
    kNotEqual,  // labels_not = { proxy = "stats" }
    kRegex,     // labels_match = { server = "web[12]" }: anchored, ECMAScript syntax
    kNotRegex,  // labels_not_match = { ... }
  };
  std::string label;
  Op op = Op::kEqual;
  std::string value;  // the string, or the regex as written
};

// metric{matchers}, optionally rate/increase over a window, optionally aggregated `by` labels.
struct Selector {
  enum class Function { kNone, kRate, kIncrease };
  enum class Aggregate { kNone, kSum, kMax, kMin, kAvg, kCount };

  std::string metric;
  std::vector<LabelMatcher> matchers;
  Function function = Function::kNone;
  Duration window{0};  // > 0 exactly when function != kNone
  Aggregate aggregate = Aggregate::kNone;
  std::vector<std::string> by;  // only with an aggregate; empty = one group over everything
};

// One selector, the ratio of two, or the sum of several. The operands of a ratio or sum are
// matched on identical label sets, like PromQL's one-to-one `a / b` and `a + b`.
struct Expression {
  enum class Kind { kSelector, kRatio, kSum };
  Kind kind = Kind::kSelector;
  std::vector<Selector> operands;  // 1, 2 (numerator, denominator) or >= 2
};

struct Comparison {
  enum class Op { kAbove, kAtLeast, kBelow, kAtMost, kEquals, kNotEquals };  // > >= < <= == !=
  Op op = Op::kAbove;
  double threshold = 0;

  [[nodiscard]] bool holds(double value) const;  // false for NaN, as in PromQL
};

struct Condition {
  Expression expression;
  Comparison comparison;
};

struct Rule {
  std::string name;     // alertname
  std::string summary;  // for people
  // Added to every alert instance's labels (severity included), overriding series labels.
  observe::Labels labels;
  Duration hold{0};  // `for`: how long the condition must hold before firing
  Condition condition;
  // `only_if`: an instance exists only where this holds too, for the same label set (PromQL
  // `and`), e.g. a minimum traffic below which a ratio means nothing.
  std::optional<Condition> only_if;
  SourcePosition where;
};

}  // namespace lbchaos::alerting

#include "harness/alerting/rule_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <array>
#include <map>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/common/toml_reader.h"

namespace lbchaos::alerting {
namespace {


constexpr std::array<std::string_view, 15> kRuleKeys{
    "name",    "summary", "severity", "labels", "for",     "expr",   "ratio",     "sum_of",
    "only_if", "above",   "at_least", "below",  "at_most", "equals", "not_equals"};
constexpr std::array<std::string_view, 9> kConditionKeys{
    "expr", "ratio", "sum_of", "above", "at_least", "below", "at_most", "equals", "not_equals"};
constexpr std::array<std::string_view, 3> kExpressionKeys{"expr", "ratio", "sum_of"};
constexpr std::array<std::string_view, 2> kRatioKeys{"numerator", "denominator"};
constexpr std::array<std::string_view, 9> kSelectorKeys{
    "metric", "labels",    "labels_not", "labels_match", "labels_not_match", "function",
    "window", "aggregate", "by"};
constexpr std::array<std::string_view, 2> kFunctions{"rate", "increase"};
constexpr std::array<std::string_view, 5> kAggregates{"sum", "max", "min", "avg", "count"};

struct ComparisonKey {
  std::string_view key;
  Comparison::Op op;
};
constexpr std::array<ComparisonKey, 6> kComparisons{{
    {"above", Comparison::Op::kAbove},
    {"at_least", Comparison::Op::kAtLeast},
    {"below", Comparison::Op::kBelow},
    {"at_most", Comparison::Op::kAtMost},
    {"equals", Comparison::Op::kEquals},
    {"not_equals", Comparison::Op::kNotEquals},
}};

struct MatcherKey {
  std::string_view key;
  LabelMatcher::Op op;
};
constexpr std::array<MatcherKey, 4> kMatcherKeys{{
    {"labels", LabelMatcher::Op::kEqual},
    {"labels_not", LabelMatcher::Op::kNotEqual},
    {"labels_match", LabelMatcher::Op::kRegex},
    {"labels_not_match", LabelMatcher::Op::kNotRegex},
}};

// Prometheus's own rules for names.
bool is_metric_name(const std::string& text) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(text, kName);
}
bool is_label_name(std::string_view text) {
  static const std::regex kName("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(text.begin(), text.end(), kName);
}

// The keys among `candidates` present in `table`, in file order.
std::vector<std::string_view> present(const TableReader& table,
                                      std::span<const std::string_view> candidates) {
  std::vector<std::string_view> found;
  for (const std::string_view key : table.keys()) {
    if (std::find(candidates.begin(), candidates.end(), key) != candidates.end()) {
      found.push_back(key);
    }
  }
  return found;
}

// What labels an expression's results carry: the `by` labels, or every label of the series.
struct Shape {
  bool aggregated = false;
  std::vector<std::string> by;  // sorted

  bool operator==(const Shape&) const = default;
  [[nodiscard]] std::string describe() const {
    return aggregated ? fmt::format("by [{}]", fmt::join(by, ", ")) : "not aggregated";
  }
};

Shape shape_of(const Selector& selector) {
  Shape shape{.aggregated = selector.aggregate != Selector::Aggregate::kNone, .by = selector.by};
  std::sort(shape.by.begin(), shape.by.end());
  return shape;
}

class RulesLoader {
 public:
  explicit RulesLoader(const TomlFile& toml)
      : root_(toml.root, toml.file, "the rules file") {}

  std::vector<Rule> load() {
    root_.allow_only(std::array<std::string_view, 1>{"rule"});
    const std::vector<TableReader> tables = root_.table_array("rule", "[rule]");
    if (tables.empty()) root_.fail_here("no [[rule]] in the rules file");
    std::vector<Rule> rules;
    for (const TableReader& table : tables) rules.push_back(read_rule(table));
    return rules;
  }

 private:
  Rule read_rule(const TableReader& table) {
    table.allow_only(kRuleKeys);
    Rule rule;
    rule.where = table.position();
    rule.name = table.required_string("name");
    if (!is_label_name(rule.name)) {
      table.fail(
          "name",
          fmt::format("name \"{}\" is not a valid alert name ([A-Za-z_][A-Za-z0-9_]*)", rule.name));
    }
    if (const auto first = names_.find(rule.name); first != names_.end()) {
      table.fail("name", fmt::format("duplicate rule name \"{}\" (first at line {})", rule.name,
                                     first->second.line));
    }
    names_.emplace(rule.name, rule.where);
    rule.summary = table.string("summary").value_or("");
    read_labels(table, rule);
    rule.hold = table.duration("for").value_or(Duration{0});

    const std::string context = fmt::format("rule {}", rule.name);
    rule.condition = read_condition(table, context);
    if (const auto only_if = table.table("only_if", context + " only_if")) {
      only_if->allow_only(kConditionKeys);
      rule.only_if = read_condition(*only_if, only_if->context());
      const Shape main = shape(rule.condition.expression);
      const Shape guard = shape(rule.only_if->expression);
      if (main != guard) {
        table.fail("only_if", fmt::format("only_if must have the labels of the rule's expression: "
                                          "the expression is {}, only_if is {}",
                                          main.describe(), guard.describe()));
      }
    }
    return rule;
  }

  static void read_labels(const TableReader& table, Rule& rule) {
    if (const auto labels = table.table("labels", fmt::format("rule {} labels", rule.name))) {
      for (const std::string_view key : labels->keys()) {
        if (!is_label_name(key) || key == "alertname") {
          labels->fail_at_key(key, fmt::format("'{}' cannot be a label name here", key));
        }
        rule.labels[std::string(key)] = labels->required_string(key);
      }
    }
    if (const auto severity = table.string("severity")) {
      if (severity->empty()) table.fail("severity", "severity must not be empty");
      if (rule.labels.contains("severity")) {
        table.fail_at_key("severity", "severity is given twice: as a key and in labels");
      }
      rule.labels["severity"] = *severity;
    }
  }

  // The expression and comparison keys of a [[rule]] or an only_if table.
  static Condition read_condition(const TableReader& table, const std::string& context) {
    Condition condition;
    const auto expressions = present(table, kExpressionKeys);
    if (expressions.empty()) {
      table.fail_here(
          fmt::format("{} has no expression: write expr = {{ metric = \"...\" }}, "
                      "ratio = {{ numerator = ..., denominator = ... }} or sum_of = [...]",
                      context));
    }
    if (expressions.size() > 1) {
      table.fail_at_key(expressions[1], fmt::format("{} and {} in the same {}: write only one",
                                                    expressions[0], expressions[1], context));
    }
    condition.expression = read_expression(table, expressions[0], context);

    std::vector<std::string_view> comparison_keys;
    for (const ComparisonKey& comparison : kComparisons) comparison_keys.push_back(comparison.key);
    const auto comparisons = present(table, comparison_keys);
    if (comparisons.empty()) {
      table.fail_here(fmt::format("{} has no comparison: write one of {}", context,
                                  fmt::join(comparison_keys, ", ")));
    }
    if (comparisons.size() > 1) {
      table.fail_at_key(comparisons[1], fmt::format("{} and {} in the same {}: write only one",
                                                    comparisons[0], comparisons[1], context));
    }
    const auto& info =
        *std::find_if(kComparisons.begin(), kComparisons.end(),
                      [&](const ComparisonKey& c) { return c.key == comparisons[0]; });
    condition.comparison.op = info.op;
    condition.comparison.threshold = *table.number(info.key);
    return condition;
  }

  static Expression read_expression(const TableReader& table, std::string_view key,
                                    const std::string& context) {
    Expression expression;
    if (key == "expr") {
      expression.kind = Expression::Kind::kSelector;
      expression.operands.push_back(read_selector(*table.table(key, context + " expr")));
      return expression;
    }
    if (key == "ratio") {
      expression.kind = Expression::Kind::kRatio;
      const TableReader ratio = *table.table(key, context + " ratio");
      ratio.allow_only(kRatioKeys);
      for (const std::string_view side : kRatioKeys) {
        const auto operand = ratio.table(side, fmt::format("{} ratio.{}", context, side));
        if (!operand) ratio.fail_here(fmt::format("ratio has no {}", side));
        expression.operands.push_back(read_selector(*operand));
      }
      require_alike(expression.operands[0], expression.operands[1], *ratio.table("denominator", ""),
                    "numerator and denominator must aggregate alike (they are matched on their "
                    "labels): numerator is {}, denominator is {}");
      return expression;
    }
    expression.kind = Expression::Kind::kSum;
    const std::vector<TableReader> operands = table.table_array(key, context + " sum_of");
    if (operands.size() < 2) table.fail(key, "sum_of needs at least two selectors");
    for (const TableReader& operand : operands)
      expression.operands.push_back(read_selector(operand));
    for (std::size_t i = 1; i < operands.size(); ++i) {
      require_alike(
          expression.operands[0], expression.operands[i], operands[i],
          "the selectors of sum_of must aggregate alike: the first is {}, this one is {}");
    }
    return expression;
  }

  // Fails at `other_table`'s `by` (or the table itself) when the two would not match.
  static void require_alike(const Selector& first, const Selector& other,
                            const TableReader& other_table,
                            fmt::format_string<std::string, std::string> message) {
    const Shape first_shape = shape_of(first);
    const Shape other_shape = shape_of(other);
    if (first_shape == other_shape) return;
    const std::string text = fmt::format(message, first_shape.describe(), other_shape.describe());
    if (other_table.has("by")) other_table.fail_at_key("by", text);
    other_table.fail_here(text);
  }

  static Shape shape(const Expression& expression) { return shape_of(expression.operands.front()); }

  static Selector read_selector(const TableReader& table) {
    table.allow_only(kSelectorKeys);
    Selector selector;
    selector.metric = table.required_string("metric");
    if (!is_metric_name(selector.metric)) {
      table.fail("metric",
                 fmt::format("metric \"{}\" is not a valid metric name", selector.metric));
    }
    for (const MatcherKey& matcher_key : kMatcherKeys) read_matchers(table, matcher_key, selector);

    if (const auto function = table.one_of("function", kFunctions)) {
      selector.function =
          *function == "rate" ? Selector::Function::kRate : Selector::Function::kIncrease;
      const auto window = table.positive_duration("window");
      if (!window) {
        table.fail("function",
                   fmt::format("function {} needs a window, e.g. window = \"10s\"", *function));
      }
      selector.window = *window;
    } else if (table.has("window")) {
      table.fail_at_key("window", "window needs function = \"rate\" or \"increase\"");
    }

    if (const auto aggregate = table.one_of("aggregate", kAggregates)) {
      constexpr std::array<Selector::Aggregate, 5> kOps{
          Selector::Aggregate::kSum, Selector::Aggregate::kMax, Selector::Aggregate::kMin,
          Selector::Aggregate::kAvg, Selector::Aggregate::kCount};
      const auto index =
          std::find(kAggregates.begin(), kAggregates.end(), *aggregate) - kAggregates.begin();
      selector.aggregate = kOps[static_cast<std::size_t>(index)];
      selector.by = table.string_array("by").value_or(std::vector<std::string>{});
      for (std::size_t i = 0; i < selector.by.size(); ++i) {
        const std::string& label = selector.by[i];
        if (!is_label_name(label)) {
          table.fail("by", fmt::format("by: \"{}\" is not a valid label name", label));
        }
        if (std::find(selector.by.begin(), selector.by.begin() + static_cast<long>(i), label) !=
            selector.by.begin() + static_cast<long>(i)) {
          table.fail("by", fmt::format("by: label \"{}\" is listed twice", label));
        }
      }
    } else if (table.has("by")) {
      table.fail_at_key("by", "by needs an aggregate: sum, max, min, avg or count");
    }
    return selector;
  }

  static void read_matchers(const TableReader& selector, const MatcherKey& matcher_key,
                            Selector& out) {
    const auto labels = selector.table(matcher_key.key, std::string(matcher_key.key));
    if (!labels) return;
    for (const std::string_view label : labels->keys()) {
      if (!is_label_name(label)) {
        labels->fail_at_key(label, fmt::format("'{}' is not a valid label name", label));
      }
      LabelMatcher matcher{.label = std::string(label),
                           .op = matcher_key.op,
                           .value = labels->required_string(label)};
      if (matcher.op == LabelMatcher::Op::kRegex || matcher.op == LabelMatcher::Op::kNotRegex) {
        try {
          (void)std::regex(matcher.value);
        } catch (const std::regex_error& error) {
          labels->fail(label, fmt::format("{}: invalid regular expression \"{}\": {}", label,
                                          matcher.value, error.what()));
        }
      }
      out.matchers.push_back(std::move(matcher));
    }
  }

  TableReader root_;
  std::map<std::string, SourcePosition> names_;
};

}  // namespace

std::vector<Rule> load_rules_file(const std::filesystem::path& path) {
  const TomlFile toml = read_toml_file(path, "rules");
  return RulesLoader(toml).load();
}

std::vector<Rule> load_rules_text(std::string_view text, std::string file_name) {
  const TomlFile toml = parse_toml(text, std::move(file_name));
  return RulesLoader(toml).load();
}

}  // namespace lbchaos::alerting

namespace lbchaos::alerting {

bool looks_like_rules_file(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return false;
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in && !in.eof()) return false;
  try {
    return parse_toml(text, path.string()).root.contains("rule");
  } catch (const InputError&) {
    // A rules file with a syntax error is still a rules file: say what is wrong in it.
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      const auto start = line.find_first_not_of(" \t");
      if (start != std::string::npos && line.compare(start, 8, "[[rule]]") == 0) return true;
    }
    return false;
  }
}

}  // namespace lbchaos::alerting

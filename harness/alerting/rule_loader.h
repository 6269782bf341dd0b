#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/alerting/rule.h"

// Embedded alert rules in TOML, read strictly: every mistake is an InputError
// "file:line:col: message" (exit 2). The format:
//
//   [[rule]]
//   name = "HaproxyServerDown"             # required, unique: [A-Za-z_][A-Za-z0-9_]*
//   summary = "haproxy marks a server DOWN"
//   severity = "critical"                  # becomes the label severity
//   labels = { team = "edge" }             # more labels on every alert instance
//   for = "0s"                             # default "0s"
//   expr = { metric = "haproxy_server_status", labels = { state = "DOWN" } }
//   at_least = 1      # exactly one of: above, at_least, below, at_most, equals, not_equals
//
// The expression is exactly one of `expr` (a selector), `ratio = { numerator = <selector>,
// denominator = <selector> }` or `sum_of = [<selector>, ...]`. A selector:
//   metric = "..."                         # required
//   labels = {...} / labels_not = {...} / labels_match = {...} / labels_not_match = {...}
//   function = "rate" | "increase", window = "10s"   # together
//   aggregate = "sum" | "max" | "min" | "avg" | "count", by = ["instance", "proxy"]
// Operands of a ratio or sum are either all aggregated with the same `by` or none is.
// `only_if = { <expression>, <comparison> }` adds a second condition on the same labels.
namespace lbchaos::alerting {

[[nodiscard]] std::vector<Rule> load_rules_file(const std::filesystem::path& path);
// True for a TOML file whose top level holds `rule` (so a folder of topologies, scenarios and
// rules can be checked file by file). Unreadable or non-TOML files are not rules files.
[[nodiscard]] bool looks_like_rules_file(const std::filesystem::path& path);
// `file_name` is the name errors use.
[[nodiscard]] std::vector<Rule> load_rules_text(std::string_view text, std::string file_name);

}  // namespace lbchaos::alerting

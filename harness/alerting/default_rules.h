#pragma once

#include <string_view>
#include <vector>

#include "harness/alerting/rule.h"

// The rules the embedded engine uses when a topology names none: alerts/default-rules.toml,
// compiled into the binary (its Prometheus twin is alerts/haproxy.rules.yml).
namespace lbchaos::alerting {

// The file's text as built in (generated from alerts/default-rules.toml at build time).
[[nodiscard]] std::string_view default_rules_text();
// Parsed once; errors name the file "alerts/default-rules.toml (built in)".
[[nodiscard]] std::vector<Rule> default_rules();

}  // namespace lbchaos::alerting

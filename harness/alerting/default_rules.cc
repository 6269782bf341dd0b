#include "harness/alerting/default_rules.h"

#include "harness/alerting/rule_loader.h"

namespace lbchaos::alerting {

std::vector<Rule> default_rules() {
  static const std::vector<Rule> kRules =
      load_rules_text(default_rules_text(), "alerts/default-rules.toml (built in)");
  return kRules;
}

}  // namespace lbchaos::alerting

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "harness/common/errors.h"

// One result of static analysis: what is wrong (or risky) at which line of the user's config,
// the number behind it and the SLO it threatens. Errors fail validation; warnings do not.
namespace lbchaos::validate {

struct Finding {
  enum class Severity { kError, kWarning };

  std::string check;        // stable id: "detection_time", "weight_zero", ...
  Severity severity = Severity::kError;
  SourcePosition where;     // the user's file and line
  std::string message;      // one sentence a reviewer would write
  std::optional<double> value;  // the number behind it, in `unit`
  std::string unit;         // "s", "ratio", "requests", "connections", ...
  std::string slo;          // what it threatens: "detection <= 10s", "" when none
};

[[nodiscard]] std::string_view to_string(Finding::Severity severity);  // "error" / "warning"

}  // namespace lbchaos::validate

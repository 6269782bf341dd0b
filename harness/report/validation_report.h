#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/validate/validation.h"

// What `lbchaos validate` shows and writes: the console's four sections and one verdict line,
// the JSON document (everything: findings, suite probes, comparisons, SLOs) and JUnit XML
// (a testcase per error finding, per probe of the suite, per comparison).
namespace lbchaos::report {

// "availability >= 99.00%, p99 <= 500ms, ...": the SLOs on one line.
[[nodiscard]] std::string slo_line(const topology::Slo& slo);

// "VALID", "NOT VALID", "INVALID INPUT" or "ENVIRONMENT ERROR", from the exit code.
[[nodiscard]] std::string_view validation_verdict(const validate::ValidationReport& report);
// The console's last line: "VALID: new.cfg passes ..." / "NOT VALID: new.cfg (2 reasons, 32s)".
[[nodiscard]] std::string verdict_sentence(const validate::ValidationReport& report);

void print_validation(std::FILE* out, const validate::ValidationReport& report);
// Throw EnvironmentError when the file cannot be written.
void write_validation_json(const std::filesystem::path& file,
                           const validate::ValidationReport& report);
void write_validation_junit(const std::filesystem::path& file,
                            const validate::ValidationReport& report);

}  // namespace lbchaos::report

#pragma once

#include <cstdio>
#include <filesystem>

#include "harness/validate/validation.h"

// What `lbchaos validate` shows and writes: the console's four sections and one verdict line,
// the JSON document (everything: findings, suite probes, comparisons, SLOs) and JUnit XML
// (a testcase per error finding, per probe of the suite, per comparison).
namespace lbchaos::report {

void print_validation(std::FILE* out, const validate::ValidationReport& report);
// Throw EnvironmentError when the file cannot be written.
void write_validation_json(const std::filesystem::path& file,
                           const validate::ValidationReport& report);
void write_validation_junit(const std::filesystem::path& file,
                            const validate::ValidationReport& report);

}  // namespace lbchaos::report

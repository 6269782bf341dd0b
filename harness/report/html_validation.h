#pragma once

#include <filesystem>
#include <string>

#include "harness/validate/validation.h"

// `lbchaos validate --html FILE`: one self-contained page (the run report's shell, style,
// scenario sections and charts, html_page.h / html_scenario.h) holding the verdict and every
// reason; haproxy's check; the static-analysis findings (errors first: severity, file:line,
// check, the number behind it, the SLO it threatens, the message); the generated suite, one row
// per run linking to its section with the run report's charts and the suite's probes of that
// run; and with a baseline, each generated run of both configs drawn over each other
// (html_overlay.h) and the comparison table (metric, baseline, candidate, difference with its
// 98% interval, verdict).
namespace lbchaos::report {

// `command_line`: shown at the top and in each section; "" for none.
[[nodiscard]] std::string html_validation(const validate::ValidationReport& report,
                                          const std::string& command_line = {});
// Throws EnvironmentError when the file cannot be written.
void write_html_validation(const std::filesystem::path& file,
                           const validate::ValidationReport& report,
                           const std::string& command_line = {});

}  // namespace lbchaos::report

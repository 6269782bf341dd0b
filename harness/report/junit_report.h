#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/scenario/result.h"

namespace lbchaos::report {

// JUnit XML as CI systems read it: a <testsuite> per scenario, a <testcase> per probe, a
// <failure> with measured vs threshold, an <error> for a probe that cannot judge or a scenario
// that could not run, and an <error> testcase "interrupted" for a scenario stopped by Ctrl-C or
// SIGTERM, so that its partial verdicts never read as a green run.
[[nodiscard]] std::string junit_xml(const std::vector<scenario::ScenarioResult>& results);
void write_junit(const std::filesystem::path& file,
                 const std::vector<scenario::ScenarioResult>& results);

}  // namespace lbchaos::report

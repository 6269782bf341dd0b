#pragma once

#include <cstdio>
#include <vector>

#include "harness/scenario/result.h"

namespace lbchaos::report {

// The end-of-scenario table: probe, measured, threshold, PASS/FAIL, and a sentence for people.
void print_scenario(std::FILE* out, const scenario::ScenarioResult& result);
// "3 scenarios: 2 passed, 1 failed" with the probe totals.
void print_summary(std::FILE* out, const std::vector<scenario::ScenarioResult>& results);

}  // namespace lbchaos::report

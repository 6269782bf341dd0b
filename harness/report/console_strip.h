#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The console's picture of a run: one character per second (or per few seconds on long runs,
// keeping the worst) of availability, and a line under it marking the fault windows --
//   availability  ██████▁▃████  1 char = 1 s; █ >= 99.9%, ▁ < 25%
//   faults              ━━━     kill app/web1 5.0-9.0 s
// drawn from a journal scenario (its timeline and fault events), so a CI log shows the shape.
namespace lbchaos::report {

// The two lines (empty when the scenario has no timeline), without a trailing newline.
[[nodiscard]] std::vector<std::string> availability_strip(const nlohmann::json& scenario,
                                                          bool utf8, std::size_t max_width = 100);

// Whether the locale (LC_ALL, LC_CTYPE, LANG) says the terminal takes UTF-8.
[[nodiscard]] bool locale_is_utf8();

}  // namespace lbchaos::report

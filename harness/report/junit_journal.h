#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

// JUnit XML from a journal (for `merge`, which has journals, not run results): the same shape as
// junit_report.h -- a <testsuite> per scenario, a <testcase> per probe, <failure> with measured
// vs threshold, <error> for a probe that cannot judge, a scenario that could not run or one that
// was interrupted.
namespace lbchaos::report {

[[nodiscard]] std::string junit_xml_from_journal(const nlohmann::json& journal);
void write_junit_from_journal(const std::filesystem::path& file, const nlohmann::json& journal);

}  // namespace lbchaos::report

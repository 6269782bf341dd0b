#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

// The HTML report: one self-contained page (inline CSS, SVG and a small script; a
// Content-Security-Policy that blocks every outside request) drawn from a journal as
// json_journal.h writes it -- so `run`, `merge` and any other command with a journal render the
// same page. A suite index (failures first) links to one section per scenario.
namespace lbchaos::report {

[[nodiscard]] std::string html_report(const nlohmann::json& journal);
// Throws EnvironmentError when the file cannot be written.
void write_html_report(const nlohmann::json& journal, const std::filesystem::path& file);

}  // namespace lbchaos::report

#pragma once

#include <string>
#include <string_view>

// The shell every HTML page of lbchaos shares: one self-contained document (inline style sheet
// and script, html_assets.h) under a Content-Security-Policy that blocks every outside request,
// so a page opens offline from a CI artifact. The run report and the validation page fill it.
namespace lbchaos::report {

// The whole document: <head> with the CSP and the style, `body` (markup, already escaped),
// `footer` (text, escaped here) and the script.
[[nodiscard]] std::string html_document(std::string_view title, std::string_view body,
                                        std::string_view footer);

// A coloured verdict pill; its class is "v-" + the verdict ("v-passed", "v-fail"...).
[[nodiscard]] std::string badge(const std::string& verdict);
// The same pill with its own class suffix, for labels that are not one CSS word
// ("not enough data" -> badge("not enough data", "not-enough-data")).
[[nodiscard]] std::string badge(const std::string& label, const std::string& css_class);

}  // namespace lbchaos::report

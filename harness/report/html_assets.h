#pragma once

#include <string_view>

// The page's inline style sheet and script (hover read-out, zoom), kept apart from the markup.
namespace lbchaos::report {

[[nodiscard]] std::string_view html_style();
[[nodiscard]] std::string_view html_script();

}  // namespace lbchaos::report

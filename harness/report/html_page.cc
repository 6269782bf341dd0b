#include "harness/report/html_page.h"

#include <fmt/format.h>

#include "harness/report/html_assets.h"
#include "harness/report/html_svg.h"

namespace lbchaos::report {

std::string html_document(std::string_view title, std::string_view body, std::string_view footer) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{}</title><style>{}</style></head>\n<body><main>\n{}"
      "<footer>{}</footer></main>\n<script>{}</script></body></html>\n",
      html_escape(title), html_style(), body, html_escape(footer), html_script());
}

std::string badge(const std::string& verdict) { return badge(verdict, verdict); }

std::string badge(const std::string& label, const std::string& css_class) {
  return fmt::format("<span class=\"badge v-{}\">{}</span>", html_escape(css_class),
                     html_escape(label));
}

}  // namespace lbchaos::report

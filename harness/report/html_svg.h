#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The few SVG shapes the report's charts are drawn with, written as text for an inline <svg>.
namespace lbchaos::report {

// Escapes text for HTML and SVG content and attribute values.
[[nodiscard]] std::string html_escape(std::string_view text);

// Maps a data interval onto a pixel interval, linearly or (for latency) logarithmically.
class Scale {
 public:
  Scale(double domain_from, double domain_to, double pixel_from, double pixel_to, bool log = false);
  [[nodiscard]] double operator()(double value) const;
  // Round values between the domain's ends, about `count` of them (1-2-5 steps; powers of ten
  // on a log scale).
  [[nodiscard]] std::vector<double> ticks(int count) const;

 private:
  double d0_, d1_, p0_, p1_;
  bool log_;
};

class SvgBuilder {
 public:
  // `attributes` is raw attribute text (already escaped), e.g. `data-state="DOWN"`.
  void rect(double x, double y, double width, double height, std::string_view css_class,
            std::string_view attributes = {});
  void line(double x1, double y1, double x2, double y2, std::string_view css_class);
  // An open path through the points; a NaN y breaks the line (a gap with no data).
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view css_class);
  void text(double x, double y, std::string_view content, std::string_view css_class,
            std::string_view anchor = "start");
  // <title> tooltip for the element opened last with `open`.
  void open(std::string_view tag, std::string_view attributes);
  void close(std::string_view tag);
  void raw(std::string_view markup) { out_ += markup; }
  [[nodiscard]] const std::string& markup() const { return out_; }

 private:
  std::string out_;
};

// "12.3" with at most one decimal and no trailing ".0": pixel coordinates stay short.
[[nodiscard]] std::string px(double value);

}  // namespace lbchaos::report

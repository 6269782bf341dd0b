#include "harness/report/html_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace lbchaos::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string px(double value) {
  if (!std::isfinite(value)) return "0";
  const double rounded = std::round(value * 10) / 10;
  if (rounded == std::floor(rounded)) return fmt::format("{:.0f}", rounded);
  return fmt::format("{:.1f}", rounded);
}

Scale::Scale(double domain_from, double domain_to, double pixel_from, double pixel_to, bool log)
    : d0_(domain_from), d1_(domain_to), p0_(pixel_from), p1_(pixel_to), log_(log) {
  if (log_) {
    d0_ = std::log10(std::max(domain_from, 1e-12));
    d1_ = std::log10(std::max(domain_to, domain_from * 10));
  }
  if (d1_ <= d0_) d1_ = d0_ + 1;
}

double Scale::operator()(double value) const {
  const double v = log_ ? std::log10(std::max(value, 1e-12)) : value;
  const double clamped = std::clamp(v, d0_, d1_);
  return p0_ + (clamped - d0_) / (d1_ - d0_) * (p1_ - p0_);
}

std::vector<double> Scale::ticks(int count) const {
  std::vector<double> out;
  if (log_) {
    // Powers of ten; with two decades or fewer, also 2x and 5x of each.
    const bool fine = d1_ - d0_ <= 2 + 1e-9;
    for (double e = std::floor(d0_); e <= d1_ + 1e-9; ++e) {
      for (const double m : {1.0, 2.0, 5.0}) {
        if (m > 1 && !fine) continue;
        const double v = m * std::pow(10.0, e);
        if (std::log10(v) >= d0_ - 1e-9 && std::log10(v) <= d1_ + 1e-9) out.push_back(v);
      }
    }
    return out;
  }
  const double raw_step = (d1_ - d0_) / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw_step) break;
  }
  for (double t = std::ceil(d0_ / step) * step; t <= d1_ + step * 1e-9; t += step) {
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return out;
}

void SvgBuilder::rect(double x, double y, double width, double height, std::string_view css_class,
                      std::string_view attributes) {
  out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"{}\"{}{}/>", px(x),
                      px(y), px(std::max(width, 0.0)), px(std::max(height, 0.0)), css_class,
                      attributes.empty() ? "" : " ", attributes);
}

void SvgBuilder::line(double x1, double y1, double x2, double y2, std::string_view css_class) {
  out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"{}\"/>", px(x1), px(y1),
                      px(x2), px(y2), css_class);
}

void SvgBuilder::polyline(const std::vector<std::pair<double, double>>& points,
                          std::string_view css_class) {
  std::string d;
  bool pen_down = false;
  for (const auto& [x, y] : points) {
    if (std::isnan(y)) {
      pen_down = false;
      continue;
    }
    d += fmt::format("{}{} {}", pen_down ? "L" : "M", px(x), px(y));
    pen_down = true;
  }
  if (!d.empty()) out_ += fmt::format("<path d=\"{}\" class=\"{}\"/>", d, css_class);
}

void SvgBuilder::text(double x, double y, std::string_view content, std::string_view css_class,
                      std::string_view anchor) {
  out_ += fmt::format("<text x=\"{}\" y=\"{}\" class=\"{}\" text-anchor=\"{}\">{}</text>", px(x),
                      px(y), css_class, anchor, html_escape(content));
}

void SvgBuilder::open(std::string_view tag, std::string_view attributes) {
  out_ += fmt::format("<{}{}{}>", tag, attributes.empty() ? "" : " ", attributes);
}

void SvgBuilder::close(std::string_view tag) { out_ += fmt::format("</{}>", tag); }

}  // namespace lbchaos::report

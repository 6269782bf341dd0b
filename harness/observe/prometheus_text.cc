#include "harness/observe/prometheus_text.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>

namespace lbchaos::observe {

namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// A cursor over one line; every parse step returns false on malformed input.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : line_(line) {}

  // A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), or a label name (the same without ':').
  std::string_view name(bool colons_allowed) {
    const std::size_t start = pos_;
    const auto fits = [&](char c) {
      return (pos_ == start ? is_name_start(c) : is_name_char(c)) && (colons_allowed || c != ':');
    };
    while (pos_ < line_.size() && fits(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }

  void skip_blanks() {
    while (pos_ < line_.size() && is_blank(line_[pos_])) ++pos_;
  }

  [[nodiscard]] bool peek(char c) const { return pos_ < line_.size() && line_[pos_] == c; }

  bool consume(char c) {
    if (pos_ < line_.size() && line_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // {name="value",...} with an optional trailing comma; the cursor is on '{'.
  bool labels(Labels& out) {
    if (!consume('{')) return false;
    for (;;) {
      skip_blanks();
      if (consume('}')) return true;
      const std::string_view label = name(/*colons_allowed=*/false);
      if (label.empty()) return false;
      skip_blanks();
      if (!consume('=')) return false;
      skip_blanks();
      std::string value;
      if (!quoted(value)) return false;
      out[std::string(label)] = std::move(value);
      skip_blanks();
      if (consume(',')) continue;
      if (consume('}')) return true;
      return false;
    }
  }

  std::string_view token() {
    const std::size_t start = pos_;
    while (pos_ < line_.size() && !is_blank(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }

  [[nodiscard]] bool at_end() const { return pos_ >= line_.size(); }

 private:
  bool quoted(std::string& out) {
    if (!consume('"')) return false;
    while (pos_ < line_.size()) {
      const char c = line_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= line_.size()) return false;
      const char escaped = line_[pos_++];
      if (escaped == 'n') {
        out += '\n';
      } else if (escaped == '\\' || escaped == '"') {
        out += escaped;
      } else {  // unknown escapes are kept literally, as Prometheus does
        out += '\\';
        out += escaped;
      }
    }
    return false;
  }

  std::string_view line_;
  std::size_t pos_ = 0;
};

std::optional<double> parse_value(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool is_timestamp(std::string_view text) {
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::vector<MetricSample> parse_prometheus_text(
    std::string_view text, const std::function<bool(std::string_view name)>& keep) {
  std::vector<MetricSample> samples;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    LineParser parser(line);
    parser.skip_blanks();
    const std::string_view name = parser.name(/*colons_allowed=*/true);
    if (name.empty()) continue;  // blank, a comment (# ...) or garbage
    if (keep && !keep(name)) continue;

    MetricSample sample;
    sample.name = std::string(name);
    parser.skip_blanks();
    if (parser.peek('{') && !parser.labels(sample.labels)) continue;
    parser.skip_blanks();
    const auto value = parse_value(parser.token());
    if (!value) continue;
    sample.value = *value;
    parser.skip_blanks();
    if (!parser.at_end() && !is_timestamp(parser.token())) continue;
    parser.skip_blanks();
    if (!parser.at_end()) continue;
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::string to_prometheus_text(const std::vector<MetricSample>& samples) {
  // Samples grouped by name, names in order of first appearance.
  std::vector<std::vector<const MetricSample*>> groups;
  std::unordered_map<std::string_view, std::size_t> group_of;
  for (const auto& sample : samples) {
    const auto [it, added] = group_of.try_emplace(sample.name, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(&sample);
  }
  std::string out;
  for (const auto& group : groups) {
    const std::string_view name = group.front()->name;
    out += fmt::format("# TYPE {} {}\n", name, ends_with(name, "_total") ? "counter" : "gauge");
    for (const MetricSample* sample : group) {
      out += name;
      if (!sample->labels.empty()) {
        out += '{';
        const char* separator = "";
        for (const auto& [label, value] : sample->labels) {
          out += fmt::format("{}{}=\"{}\"", separator, label, escape_label_value(value));
          separator = ",";
        }
        out += '}';
      }
      out += fmt::format(" {}\n", format_value(sample->value));
    }
  }
  return out;
}

}  // namespace lbchaos::observe

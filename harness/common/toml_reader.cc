#include "harness/common/toml_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace lbchaos {
namespace {

constexpr std::string_view kDurationHint =
    "write it like \"500ms\", \"2s\" or \"1m\" (units: ns, us, ms, s, m, h)";

std::string read_file_or_throw(const std::filesystem::path& path, std::string_view kind) {
  const auto fail = [&](int error) {
    throw InputError(fmt::format("cannot read {} file {}: {}", kind, path.string(),
                                 std::generic_category().message(error)));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  std::string text;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      fail(error);
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string in_quotes(std::string_view text) {
  constexpr std::size_t kMaxShown = 60;
  std::string out = "\"";
  for (const char c : text.substr(0, kMaxShown)) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

bool position_before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (const auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool looks_like_bare_number(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
}

}  // namespace

TomlFile read_toml_file(const std::filesystem::path& path, std::string_view kind) {
  const std::string text = read_file_or_throw(path, kind);
  return parse_toml(text, path.string());
}

TomlFile parse_toml(std::string_view text, std::string file) {
  try {
    toml::table root = toml::parse(text, std::string_view{file});
    return TomlFile{std::move(file), std::move(root)};
  } catch (const toml::parse_error& error) {
    throw InputError(source_position(file, error.source()),
                     fmt::format("TOML syntax error: {}", error.description()));
  }
}

SourcePosition source_position(const std::string& file, const toml::source_region& region) {
  return SourcePosition{file, static_cast<int>(region.begin.line),
                        static_cast<int>(region.begin.column)};
}

std::string describe_node(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "string " + in_quotes(node.as_string()->get());
    case toml::node_type::integer: return fmt::format("integer {}", node.as_integer()->get());
    case toml::node_type::floating_point:
      return fmt::format("float {}", node.as_floating_point()->get());
    case toml::node_type::boolean:
      return fmt::format("boolean {}", node.as_boolean()->get() ? "true" : "false");
    case toml::node_type::table: return "a table";
    case toml::node_type::array: {
      const auto size = node.as_array()->size();
      return fmt::format("an array of {} value{}", size, size == 1 ? "" : "s");
    }
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

TableReader::TableReader(const toml::table& table, std::string file, std::string context)
    : table_(&table), file_(std::move(file)), context_(std::move(context)) {}

void TableReader::allow_only(std::span<const std::string_view> allowed) const {
  const toml::key* first_unknown = nullptr;
  for (const auto& [key, value] : *table_) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    if (first_unknown == nullptr ||
        position_before(key.source().begin, first_unknown->source().begin)) {
      first_unknown = &key;
    }
  }
  if (first_unknown == nullptr) return;
  throw InputError(source_position(file_, first_unknown->source()),
                   fmt::format("unknown key '{}' in {} (expected one of: {})",
                               first_unknown->str(), context_, join(allowed)));
}

bool TableReader::has(std::string_view key) const { return find(key) != nullptr; }

const toml::node* TableReader::find(std::string_view key) const { return table_->get(key); }

std::vector<std::string_view> TableReader::keys() const {
  std::vector<const toml::key*> found;
  for (const auto& [key, value] : *table_) found.push_back(&key);
  std::sort(found.begin(), found.end(), [](const toml::key* a, const toml::key* b) {
    return position_before(a->source().begin, b->source().begin);
  });
  std::vector<std::string_view> names;
  names.reserve(found.size());
  for (const auto* key : found) names.push_back(key->str());
  return names;
}

std::optional<std::string> TableReader::string(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* text = node->as_string()) return text->get();
  fail_type(key, "a string");
}

std::string TableReader::required_string(std::string_view key) const {
  auto value = string(key);
  if (!value) fail_here(fmt::format("missing required key '{}' in {}", key, context_));
  return std::move(*value);
}

std::optional<std::string> TableReader::one_of(std::string_view key,
                                               std::span<const std::string_view> choices) const {
  auto value = string(key);
  if (value && std::find(choices.begin(), choices.end(), *value) == choices.end()) {
    fail(key, fmt::format("{} must be one of: {} (found {})", key, join(choices),
                          in_quotes(*value)));
  }
  return value;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* number = node->as_integer()) return number->get();
  fail_type(key, "an integer");
}

std::optional<int> TableReader::integer_in(std::string_view key, int min, int max) const {
  const auto value = integer(key);
  if (!value) return std::nullopt;
  if (*value < min || *value > max) {
    if (max == std::numeric_limits<int>::max()) {
      fail(key, fmt::format("{} must be at least {}, found {}", key, min, *value));
    }
    fail(key, fmt::format("{} must be between {} and {}, found {}", key, min, max, *value));
  }
  return static_cast<int>(*value);
}

std::optional<double> TableReader::number(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* whole = node->as_integer()) return static_cast<double>(whole->get());
  if (const auto* real = node->as_floating_point()) {
    if (!std::isfinite(real->get())) {
      fail(key, fmt::format("{} must be a finite number, found {}", key, describe_node(*node)));
    }
    return real->get();
  }
  fail_type(key, "a number");
}

std::optional<bool> TableReader::boolean(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* flag = node->as_boolean()) return flag->get();
  fail_type(key, "true or false");
}

std::optional<Duration> TableReader::duration(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* text = node->as_string();
  if (text == nullptr) fail_type(key, "a duration string like \"500ms\"");
  if (const auto parsed = parse_duration(text->get())) return parsed;
  if (looks_like_bare_number(text->get())) {
    fail(key, fmt::format("{}: duration {} has no unit; {}", key, in_quotes(text->get()),
                          kDurationHint));
  }
  fail(key,
       fmt::format("{}: {} is not a duration; {}", key, in_quotes(text->get()), kDurationHint));
}

std::optional<Duration> TableReader::positive_duration(std::string_view key) const {
  const auto value = duration(key);
  if (value && value->count() <= 0) {
    fail(key, fmt::format("{} must be greater than 0, found {}", key,
                          in_quotes(find(key)->as_string()->get())));
  }
  return value;
}

std::optional<double> TableReader::percentage(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  constexpr std::string_view kExpected =
      "a percentage like \"99.9%\" or a ratio between 0 and 1 like 0.999";
  std::optional<double> ratio;
  if (const auto* text = node->as_string()) {
    std::string_view s = text->get();
    if (s.size() >= 2 && s.back() == '%') {
      s.remove_suffix(1);
      double percent = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), percent);
      if (ec == std::errc{} && end == s.data() + s.size() && std::isfinite(percent)) {
        ratio = percent / 100.0;
      }
    }
  } else if (const auto* whole = node->as_integer()) {
    ratio = static_cast<double>(whole->get());
  } else if (const auto* real = node->as_floating_point()) {
    ratio = real->get();
  }
  if (!ratio || !(*ratio >= 0.0 && *ratio <= 1.0)) fail_type(key, kExpected);
  return ratio;
}

std::optional<std::vector<std::string>> TableReader::string_array(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) fail_type(key, "an array of strings");
  std::vector<std::string> values;
  values.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* text = element.as_string();
    if (text == nullptr) {
      throw InputError(source_position(file_, element.source()),
                       fmt::format("{}: expected an array of strings, found {} at index {}", key,
                                   describe_node(element), i));
    }
    values.push_back(text->get());
  }
  return values;
}

std::optional<TableReader> TableReader::table(std::string_view key, std::string context) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* child = node->as_table();
  if (child == nullptr) fail_type(key, "a table");
  return TableReader(*child, file_, std::move(context));
}

std::vector<TableReader> TableReader::table_array(std::string_view key,
                                                  std::string context) const {
  std::vector<TableReader> tables;
  const toml::node* node = find(key);
  if (node == nullptr) return tables;
  // The context of the elements ("[backend.server]") is how the user writes them, doubled.
  const auto expected = context.size() > 1 && context.front() == '[' && context.back() == ']'
                            ? fmt::format("an array of tables ([{}])", context)
                            : fmt::format("an array of tables ([[{}]])", key);
  const auto* array = node->as_array();
  if (array == nullptr) fail_type(key, expected);
  for (const toml::node& element : *array) {
    const auto* child = element.as_table();
    if (child == nullptr) {
      throw InputError(source_position(file_, element.source()),
                       fmt::format("{}: expected {}, found {}", key, expected,
                                   describe_node(element)));
    }
    tables.emplace_back(*child, file_, context);
  }
  return tables;
}

SourcePosition TableReader::position() const { return source_position(file_, table_->source()); }

SourcePosition TableReader::value_position(std::string_view key) const {
  const toml::node* node = find(key);
  return node == nullptr ? position() : source_position(file_, node->source());
}

SourcePosition TableReader::key_position(std::string_view key) const {
  const auto it = table_->find(key);
  return it == table_->end() ? position() : source_position(file_, it->first.source());
}

void TableReader::fail(std::string_view key, const std::string& message) const {
  throw InputError(value_position(key), message);
}

void TableReader::fail_at_key(std::string_view key, const std::string& message) const {
  throw InputError(key_position(key), message);
}

void TableReader::fail_here(const std::string& message) const {
  throw InputError(position(), message);
}

void TableReader::fail_type(std::string_view key, std::string_view expected) const {
  const toml::node* node = find(key);
  fail(key, fmt::format("{}: expected {}, found {}", key, expected,
                        node == nullptr ? std::string("nothing") : describe_node(*node)));
}

}  // namespace lbchaos

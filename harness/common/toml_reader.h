#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "harness/common/duration.h"
#include "harness/common/errors.h"

// A strict reader over toml++ tables, shared by every loader of user files (topology, scenario,
// alert rules). Lookups never throw from toml++; every mistake becomes an InputError whose
// position is the offending value (bad value), key (unknown or forbidden key) or table header
// (missing key, table-level rule), so what() reads "file:line:col: message".
namespace lbchaos {

// A parsed file and the name errors use for it (the path as the user gave it).
struct TomlFile {
  std::string file;
  toml::table root;
};

// Reads and parses `path`. `kind` names the file in read errors: "cannot read <kind> file X:
// No such file or directory". TOML syntax errors carry toml++'s line:col.
[[nodiscard]] TomlFile read_toml_file(const std::filesystem::path& path, std::string_view kind);

// Parses text already in memory; `file` is the name used in errors.
[[nodiscard]] TomlFile parse_toml(std::string_view text, std::string file);

[[nodiscard]] SourcePosition source_position(const std::string& file,
                                             const toml::source_region& region);

// "integer 500", "string \"5s\"", "table", "array of 2 values": what a user actually wrote.
[[nodiscard]] std::string describe_node(const toml::node& node);

class TableReader {
 public:
  // `context` names the table in messages: "[backend]", "[backend.server]", "the top level".
  // The table must outlive the reader.
  TableReader(const toml::table& table, std::string file, std::string context);

  // Throws at the first key, in file order, that is not in `allowed`:
  // "unknown key 'foo' in [backend] (expected one of: name, balance, ...)".
  void allow_only(std::span<const std::string_view> allowed) const;

  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] const toml::node* find(std::string_view key) const;
  // Keys present in the table, in file order.
  [[nodiscard]] std::vector<std::string_view> keys() const;

  // Each getter returns nullopt when the key is absent and throws InputError at the value
  // when it has the wrong type or an invalid value. Messages start with the key's name.
  [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
  [[nodiscard]] std::string required_string(std::string_view key) const;
  // A string that must be one of `choices`.
  [[nodiscard]] std::optional<std::string> one_of(std::string_view key,
                                                  std::span<const std::string_view> choices) const;
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key) const;
  // An integer within [min, max]: "weight must be between 0 and 256, found 300".
  [[nodiscard]] std::optional<int> integer_in(std::string_view key, int min,
                                              int max = std::numeric_limits<int>::max()) const;
  // An integer or a float (finite).
  [[nodiscard]] std::optional<double> number(std::string_view key) const;
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
  // A string such as "500ms", "2s", "1m" (see parse_duration).
  [[nodiscard]] std::optional<Duration> duration(std::string_view key) const;
  // Like duration(), but must be greater than zero.
  [[nodiscard]] std::optional<Duration> positive_duration(std::string_view key) const;
  // "99.9%" or a ratio such as 0.999; returns the ratio in [0, 1].
  [[nodiscard]] std::optional<double> percentage(std::string_view key) const;
  [[nodiscard]] std::optional<std::vector<std::string>> string_array(std::string_view key) const;
  // A [table] or an inline { table }.
  [[nodiscard]] std::optional<TableReader> table(std::string_view key,
                                                 std::string context) const;
  // An array of tables ([[key]]); empty when absent.
  [[nodiscard]] std::vector<TableReader> table_array(std::string_view key,
                                                     std::string context) const;

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::string& context() const { return context_; }
  [[nodiscard]] const toml::table& raw() const { return *table_; }
  // Where the table starts (its [header], or its opening brace when inline).
  [[nodiscard]] SourcePosition position() const;
  // Where the value of `key` starts; the table's position when the key is absent.
  [[nodiscard]] SourcePosition value_position(std::string_view key) const;
  // Where `key` itself is written; the table's position when the key is absent.
  [[nodiscard]] SourcePosition key_position(std::string_view key) const;

  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  [[noreturn]] void fail_at_key(std::string_view key, const std::string& message) const;
  [[noreturn]] void fail_here(const std::string& message) const;
  // "<key>: expected <expected>, found integer 500".
  [[noreturn]] void fail_type(std::string_view key, std::string_view expected) const;

 private:
  const toml::table* table_;
  std::string file_;
  std::string context_;
};

}  // namespace lbchaos

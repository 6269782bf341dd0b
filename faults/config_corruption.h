#pragma once

#include <array>
#include <string>
#include <string_view>

// The config_corrupt fault's edits (DESIGN.md "Fault catalogue"), as pure text transformations
// of a good haproxy.cfg. The first three are the mistakes haproxy refuses (seed 001: a typo in a
// new server line); the last three it accepts, and they take effect silently.
namespace lbchaos::faults {

inline constexpr std::array<std::string_view, 6> kCorruptionModes{
    "syntax_error_new_server",   // a new `server` line with a typo'd keyword ("chekc")
    "unknown_keyword",           // a misspelled keyword ("balanse") in the first backend
    "truncated",                 // the file ends in the middle of a server line
    "checks_removed",            // `check` dropped from every server line: deaths go unnoticed
    "all_weights_but_one_zero",  // every server but the first of each backend gets weight 0
    "wrong_server_port",         // the first server points at port 1, where nothing listens
};

// Not a corruption: the config reloaded as it is (a graceful reload under load, which must not
// fail a request). Used by `lbchaos validate`'s generated suite; not offered to scenario files.
inline constexpr std::string_view kUnchangedMode = "unchanged";

struct Corruption {
  std::string text;     // the corrupted config
  std::string summary;  // for the journal: "added server web4 to backend app with 'chekc'"
};

// Throws std::invalid_argument for an unknown mode, or a config without any `server` line in a
// backend or listen section (there is nothing to corrupt).
[[nodiscard]] Corruption corrupt(std::string_view good, std::string_view mode);

[[nodiscard]] inline std::string corrupt_config(std::string_view good, const std::string& mode) {
  return corrupt(good, mode).text;
}

}  // namespace lbchaos::faults

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lbchaos {

using Duration = std::chrono::nanoseconds;

// Parses "250ms", "2s", "1.5s", "1m", "100us", "1h". Returns nullopt for anything else,
// including a bare number: a duration in a file always names its unit.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact spelling haproxy accepts: "500ms", "2s", "1m"... (milliseconds at best).
[[nodiscard]] std::string haproxy_duration(Duration d);

// For people: "250ms", "1.50s", "2m0s".
[[nodiscard]] std::string human_duration(Duration d);

}  // namespace lbchaos

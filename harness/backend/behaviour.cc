#include "harness/backend/behaviour.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

namespace lbchaos::backend {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(" \t\r", at);
    if (start == std::string_view::npos) break;
    const auto end = std::min(line.find_first_of(" \t\r", start), line.size());
    words.push_back(line.substr(start, end - start));
    at = end;
  }
  return words;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_ratio(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0.0 || value > 1.0) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parse_on_off(std::string_view text) {
  if (text == "on") return true;
  if (text == "off") return false;
  return std::nullopt;
}

std::string error(std::string_view reason) { return fmt::format("error: {}", reason); }

double to_ms(Duration d) { return static_cast<double>(d.count()) / 1e6; }

constexpr std::string_view kOk = "ok";

std::string apply_set(BackendBehaviour& b, const std::vector<std::string_view>& words) {
  if (words.size() < 2) {
    return error("set needs a setting: latency, errors, hang, health_fail, overload");
  }
  const auto setting = words[1];
  const auto args = words.size() - 2;
  if (setting == "latency") {
    const auto d = args == 1 ? parse_duration(words[2]) : std::nullopt;
    if (!d) return error("usage: set latency <duration with a unit, e.g. 50ms>");
    b.added_latency = *d;
    return std::string(kOk);
  }
  if (setting == "errors") {
    const auto ratio = args >= 1 && args <= 2 ? parse_ratio(words[2]) : std::nullopt;
    if (!ratio) return error("usage: set errors <ratio 0..1> [<status 400..599>]");
    int status = kDefaultErrorStatus;
    if (args == 2) {
      const auto s = parse_int(words[3]);
      if (!s || *s < 400 || *s > 599) {
        return error(fmt::format("error status must be 400..599, got '{}'", words[3]));
      }
      status = *s;
    }
    b.error_ratio = *ratio;
    b.error_status = status;
    return std::string(kOk);
  }
  if (setting == "hang" || setting == "health_fail") {
    const auto on = args == 1 ? parse_on_off(words[2]) : std::nullopt;
    if (!on) return error(fmt::format("usage: set {} on|off", setting));
    (setting == "hang" ? b.hang : b.health_fail) = *on;
    return std::string(kOk);
  }
  if (setting == "overload") {
    const auto max = args == 2 ? parse_int(words[2]) : std::nullopt;
    const auto policy = args == 2 ? topology::parse_overload(words[3]) : std::nullopt;
    if (!max || *max < 1 || !policy) {
      return error("usage: set overload <max_inflight >= 1> <queue|reject|crash>");
    }
    b.max_inflight = *max;
    b.overload = *policy;
    return std::string(kOk);
  }
  return error(fmt::format(
      "unknown setting '{}' (latency, errors, hang, health_fail, overload)", setting));
}

}  // namespace

BackendState make_backend_state(std::string name, const BackendBehaviour& initial) {
  return BackendState{.name = std::move(name), .initial = initial, .current = initial,
                      .counters = {}};
}

std::string apply_control_command(BackendState& state, std::string_view line) {
  const auto words = split_words(line);
  if (words.empty()) return error("empty command");
  const auto command = words[0];
  if (command == "ping" && words.size() == 1) return "pong";
  if (command == "get" && words.size() == 1) return state_json(state);
  if (command == "reset" && words.size() == 1) {
    state.current = state.initial;
    return std::string(kOk);
  }
  if (command == "set") return apply_set(state.current, words);
  if (command == "ping" || command == "get" || command == "reset") {
    return error(fmt::format("'{}' takes no arguments", command));
  }
  return error(fmt::format("unknown command '{}' (ping, get, set, reset)", command));
}

std::string state_json(const BackendState& state) {
  const auto& b = state.current;
  const auto& c = state.counters;
  const nlohmann::ordered_json json = {
      {"name", state.name},
      {"latency_ms", to_ms(b.latency)},
      {"added_latency_ms", to_ms(b.added_latency)},
      {"error_ratio", b.error_ratio},
      {"error_status", b.error_status},
      {"hang", b.hang},
      {"health_fail", b.health_fail},
      {"max_inflight", b.max_inflight},
      {"overload", topology::to_string(b.overload)},
      {"inflight", c.inflight},
      {"queued", c.queued},
      {"served", c.served},
      {"errors_served", c.errors_served},
      {"rejected", c.rejected},
  };
  // Replace, never throw: a name is not guaranteed to be valid UTF-8.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lbchaos::backend

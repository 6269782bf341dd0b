#include "harness/deploy/toxic.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace lbchaos::deploy {

namespace {

// Toxiproxy's own names for its toxics (the fault catalogue's network actions map onto them).
constexpr std::array<std::pair<std::string_view, ToxicKind>, 6> kKinds{{
    {"latency", ToxicKind::kLatency},
    {"bandwidth", ToxicKind::kBandwidth},
    {"reset_peer", ToxicKind::kReset},
    {"timeout", ToxicKind::kBlackhole},
    {"slow_close", ToxicKind::kSlowClose},
    {"slicer", ToxicKind::kSlice},
}};

std::string direction_words(ToxicDirection direction) {
  switch (direction) {
    case ToxicDirection::kUp: return "up (haproxy -> server)";
    case ToxicDirection::kDown: return "down (server -> haproxy)";
    case ToxicDirection::kBoth: return "both directions";
  }
  return {};
}

}  // namespace

std::string_view to_string(ToxicKind kind) {
  for (const auto& [name, k] : kKinds) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::string_view to_string(ToxicDirection direction) {
  switch (direction) {
    case ToxicDirection::kUp: return "up";
    case ToxicDirection::kDown: return "down";
    case ToxicDirection::kBoth: return "both";
  }
  return "unknown";
}

std::optional<ToxicKind> parse_toxic_kind(std::string_view text) {
  for (const auto& [name, kind] : kKinds) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

std::optional<ToxicDirection> parse_direction(std::string_view text) {
  if (text == "up") return ToxicDirection::kUp;
  if (text == "down") return ToxicDirection::kDown;
  if (text == "both") return ToxicDirection::kBoth;
  return std::nullopt;
}

bool applies_to(ToxicDirection direction, Flow flow) {
  return direction == ToxicDirection::kBoth ||
         (direction == ToxicDirection::kUp) == (flow == Flow::kUp);
}

std::string describe(const Toxic& toxic) {
  std::string what;
  switch (toxic.kind) {
    case ToxicKind::kLatency:
      what = fmt::format("latency {}", human_duration(toxic.latency));
      if (toxic.jitter.count() > 0) what += fmt::format(" ± {}", human_duration(toxic.jitter));
      what += " per chunk";
      break;
    case ToxicKind::kBandwidth:
      what = fmt::format("bandwidth {:.0f} bytes/s", toxic.bytes_per_second);
      break;
    case ToxicKind::kReset:
      what = "reset (RST to both sides)";
      break;
    case ToxicKind::kBlackhole:
      what = "blackhole (read, never forwarded)";
      break;
    case ToxicKind::kSlowClose:
      what = fmt::format("slow_close (closes go on after {})", human_duration(toxic.delay));
      break;
    case ToxicKind::kSlice:
      what = fmt::format("slice into {}-byte writes", toxic.slice_bytes);
      if (toxic.delay.count() > 0) what += fmt::format(" {} apart", human_duration(toxic.delay));
      break;
  }
  if (toxic.kind != ToxicKind::kReset) what += ", " + direction_words(toxic.direction);
  return fmt::format("{}, toxicity {:g}%", what, toxic.toxicity * 100);
}

void FlowEffects::add(const Toxic& toxic) {
  switch (toxic.kind) {
    case ToxicKind::kLatency:
      latency += toxic.latency;
      jitter += toxic.jitter;
      break;
    case ToxicKind::kBandwidth:
      bytes_per_second = bytes_per_second > 0
                             ? std::min(bytes_per_second, toxic.bytes_per_second)
                             : toxic.bytes_per_second;
      break;
    case ToxicKind::kBlackhole:
      blackhole = true;
      break;
    case ToxicKind::kSlowClose:
      close_delay = std::max(close_delay, toxic.delay);
      break;
    case ToxicKind::kSlice:
      slice_bytes = slice_bytes > 0 ? std::min(slice_bytes, toxic.slice_bytes) : toxic.slice_bytes;
      slice_delay = std::max(slice_delay, toxic.delay);
      break;
    case ToxicKind::kReset:
      break;  // acts on whole connections, not on a flow
  }
}

}  // namespace lbchaos::deploy

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/common/duration.h"

// What the fault proxy (fault_proxy.h) can do to the bytes between haproxy and one server, in
// Toxiproxy's vocabulary. "up" is haproxy -> server, "down" is server -> haproxy.
namespace lbchaos::deploy {

enum class ToxicKind { kLatency, kBandwidth, kReset, kBlackhole, kSlowClose, kSlice };

// One direction of a proxied connection.
enum class Flow { kUp, kDown };

enum class ToxicDirection { kUp, kDown, kBoth };

struct Toxic {
  ToxicKind kind = ToxicKind::kLatency;
  ToxicDirection direction = ToxicDirection::kBoth;  // reset ignores it: it ends both sides
  // Probability that a connection is affected, drawn once per connection (open ones when the
  // toxic is added, new ones when accepted) from a generator seeded with `seed`.
  double toxicity = 1.0;
  std::uint64_t seed = 1;
  Duration latency{0};          // latency: added to every chunk, in each affected direction
  Duration jitter{0};           // latency: +- uniform, per chunk (order is kept)
  double bytes_per_second = 0;  // bandwidth
  Duration delay{0};            // slow_close: before a close goes on; slice: between slices
  std::size_t slice_bytes = 0;  // slice: bytes per write
};

[[nodiscard]] std::string_view to_string(ToxicKind kind);
[[nodiscard]] std::string_view to_string(ToxicDirection direction);
[[nodiscard]] std::optional<ToxicKind> parse_toxic_kind(std::string_view text);
[[nodiscard]] std::optional<ToxicDirection> parse_direction(std::string_view text);
[[nodiscard]] bool applies_to(ToxicDirection direction, Flow flow);

// "latency 100ms ± 10ms per chunk, both directions, toxicity 100%".
[[nodiscard]] std::string describe(const Toxic& toxic);

// What every toxic that affects one direction of one connection adds up to. Several toxics of
// one kind combine: latencies add, the lowest bandwidth wins, the longest delays win.
struct FlowEffects {
  Duration latency{0};
  Duration jitter{0};
  double bytes_per_second = 0;  // 0: unlimited
  bool blackhole = false;
  Duration close_delay{0};
  std::size_t slice_bytes = 0;  // 0: whole chunks
  Duration slice_delay{0};

  void add(const Toxic& toxic);
  [[nodiscard]] bool shapes_writes() const { return bytes_per_second > 0 || slice_bytes > 0; }
};

}  // namespace lbchaos::deploy

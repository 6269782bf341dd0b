#include "faults/network.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/deploy/fault_proxy.h"

namespace lbchaos::faults {

namespace {

using deploy::Toxic;
using deploy::ToxicKind;

constexpr std::array<std::string_view, 3> kDirections{"up", "down", "both"};

// Every toxic takes these two, last.
#define LBCHAOS_TOXIC_COMMON_PARAMS                                                      \
  {.key = "direction", .type = ParamType::kChoice,                                       \
   .meaning = "up (to the server), down (to haproxy) or both", .default_toml = "\"both\"", \
   .choices = kDirections},                                                              \
  {.key = "toxicity", .type = ParamType::kRatio,                                         \
   .meaning = "probability that a connection is affected", .default_toml = "1.0"}

constexpr std::array<ParamInfo, 4> kLatencyParams{{
    {.key = "latency", .type = ParamType::kPositiveDuration, .meaning = "added per direction",
     .example = "latency = \"200ms\"", .journal_key = "latency_s"},
    {.key = "jitter", .type = ParamType::kDuration, .meaning = "+- uniform, per chunk",
     .journal_key = "jitter_s"},
    LBCHAOS_TOXIC_COMMON_PARAMS,
}};
constexpr std::array<ParamInfo, 3> kBandwidthParams{{
    {.key = "bandwidth", .type = ParamType::kByteRate, .meaning = "bytes per second",
     .example = "bandwidth = \"100KB/s\"", .journal_key = "bandwidth_bytes_per_s"},
    LBCHAOS_TOXIC_COMMON_PARAMS,
}};
constexpr std::array<ParamInfo, 2> kProxyParams{{LBCHAOS_TOXIC_COMMON_PARAMS}};
constexpr std::array<ParamInfo, 3> kSlowCloseParams{{
    // Long enough by default to outlast a check interval.
    {.key = "delay", .type = ParamType::kPositiveDuration, .meaning = "how long a close waits",
     .default_toml = "\"1s\"", .journal_key = "delay_s"},
    LBCHAOS_TOXIC_COMMON_PARAMS,
}};
constexpr std::array<ParamInfo, 4> kSliceParams{{
    {.key = "slice_bytes", .type = ParamType::kInteger, .meaning = "bytes per write",
     .example = "slice_bytes = 64", .min = 1},
    {.key = "latency", .type = ParamType::kDuration, .meaning = "pause between slices",
     .journal_key = "latency_s"},
    LBCHAOS_TOXIC_COMMON_PARAMS,
}};
#undef LBCHAOS_TOXIC_COMMON_PARAMS

constexpr std::array<EffectRule, 1> kFailsAtOnce{{{scenario::kChecksFailAtOnce}}};
constexpr std::array<EffectRule, 1> kHangs{{{scenario::kChecksHang}}};

constexpr std::array<ActionInfo, 6> kActions{{
    {.name = "latency", .params = kLatencyParams, .summary = "delay every chunk"},
    {.name = "bandwidth", .params = kBandwidthParams, .summary = "limit bytes per second"},
    {.name = "reset", .params = kProxyParams, .random_may_draw = true, .effects = kFailsAtOnce,
     .summary = "RST to both sides of every connection"},
    {.name = "blackhole", .params = kProxyParams, .random_may_draw = true, .effects = kHangs,
     .summary = "read, never forward"},
    {.name = "slow_close", .params = kSlowCloseParams, .summary = "delay closes"},
    {.name = "slice", .params = kSliceParams, .summary = "split writes into small slices"},
}};
// The toxic of each action, in the order of kActions.
constexpr std::array<ToxicKind, 6> kToxics{ToxicKind::kLatency,   ToxicKind::kBandwidth,
                                           ToxicKind::kReset,     ToxicKind::kBlackhole,
                                           ToxicKind::kSlowClose, ToxicKind::kSlice};

// Toxicity draws are seeded from this and the fault itself (action, target, time), not from the
// scenario's seed, which faults are not given: the same scenario draws the same way each run,
// as far as connections arrive in the same order.
constexpr std::uint64_t kSeedBase = 0x6c62636861'6f7321ULL;

std::uint64_t seed_for(const scenario::FaultSpec& spec) {
  std::uint64_t hash = kSeedBase ^ 0xcbf29ce484222325ULL;  // FNV-1a
  const auto mix = [&hash](std::string_view bytes) {
    for (const unsigned char c : bytes) hash = (hash ^ c) * 0x100000001b3ULL;
  };
  mix(spec.action);
  mix(spec.target);
  mix(std::to_string(spec.at.count()));
  return hash;
}

class NetworkFault : public Fault {
 public:
  NetworkFault(deploy::FaultProxy& proxy, Toxic toxic, std::string action)
      : proxy_(proxy), toxic_(toxic), action_(std::move(action)) {}

  boost::asio::awaitable<std::string> inject() override {
    const auto added = proxy_.add_toxic(toxic_);
    id_ = added.id;
    const bool reset = toxic_.kind == ToxicKind::kReset;
    co_return fmt::format("{} in the proxy {} -> {} ({}); {} of {} open connection(s) {}",
                          deploy::describe(toxic_), proxy_.endpoint().to_string(),
                          proxy_.upstream().to_string(), proxy_.name(), added.affected,
                          added.open_connections, reset ? "reset" : "affected");
  }

  boost::asio::awaitable<std::string> heal() override {
    const std::size_t affected = proxy_.remove_toxic(id_);
    const auto counters = proxy_.counters();
    std::string detail = fmt::format("removed the {} toxic; it affected {} connection(s)",
                                     action_, affected);
    if (toxic_.kind == ToxicKind::kBlackhole) {
      detail += fmt::format(" (the proxy has swallowed {} bytes in all)", counters.dropped_bytes);
    }
    co_return detail;
  }

 private:
  deploy::FaultProxy& proxy_;
  Toxic toxic_;
  std::string action_;
  deploy::FaultProxy::ToxicId id_ = 0;
};

[[noreturn]] void refuse(const scenario::FaultSpec& spec, const std::string& why) {
  throw InputError(spec.where, fmt::format("fault {} on {}: {}", spec.action, spec.target, why));
}

// The toxic the action's typed parameters describe (bounds checked by the catalogue).
Toxic toxic_for(const scenario::FaultSpec& spec, ToxicKind kind) {
  Toxic toxic;
  toxic.kind = kind;
  toxic.seed = seed_for(spec);
  const auto direction = deploy::parse_direction(spec.param<std::string>("direction").value_or(""));
  if (!direction) refuse(spec, "direction must be up, down or both");
  toxic.direction = *direction;
  toxic.toxicity = spec.param<double>("toxicity").value_or(1.0);
  const auto latency = spec.param<Duration>("latency");
  switch (kind) {
    case ToxicKind::kLatency:
      if (!latency) refuse(spec, "latency needs latency = \"200ms\"");
      toxic.latency = *latency;
      toxic.jitter = spec.param<Duration>("jitter").value_or(Duration{0});
      break;
    case ToxicKind::kBandwidth:
      toxic.bytes_per_second = spec.param<double>("bandwidth").value_or(0);
      if (toxic.bytes_per_second < 1) refuse(spec, "bandwidth needs bandwidth >= 1 bytes/s");
      break;
    case ToxicKind::kSlice:
      toxic.slice_bytes = static_cast<std::size_t>(
          std::max<std::int64_t>(1, spec.param<std::int64_t>("slice_bytes").value_or(1)));
      toxic.delay = latency.value_or(Duration{0});
      break;
    case ToxicKind::kSlowClose:
      toxic.delay = spec.param<Duration>("delay").value_or(Duration{0});
      break;
    case ToxicKind::kReset:
    case ToxicKind::kBlackhole:
      break;
  }
  return toxic;
}

std::unique_ptr<Fault> make(const scenario::FaultSpec& spec, deploy::Deployment& deployment) {
  const auto index = static_cast<std::size_t>(
      std::find_if(kActions.begin(), kActions.end(),
                   [&](const ActionInfo& a) { return a.name == spec.action; }) -
      kActions.begin());
  deploy::FaultProxy* proxy = deployment.proxy_for(spec.target);
  if (proxy == nullptr) refuse(spec, "the target is not a server of this run");
  return std::make_unique<NetworkFault>(*proxy, toxic_for(spec, kToxics.at(index)), spec.action);
}

}  // namespace

const Family kNetworkFamily{.name = "network", .actions = kActions, .make = &make};

}  // namespace lbchaos::faults

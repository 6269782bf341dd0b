#include <fmt/format.h>

#include "harness/common/errors.h"
#include "harness/deploy/deployment.h"
#include "harness/deploy/fault_proxy.h"
#include "harness/faults/families.h"

// latency, bandwidth, reset, blackhole, slow_close, slice: a toxic in the fault proxy between
// haproxy and the target server, removed on heal. Nothing restarts.
namespace lbchaos::faults {

namespace {

using deploy::Toxic;
using deploy::ToxicKind;

// slow_close without a delay: long enough to outlast a check interval.
constexpr Duration kDefaultCloseDelay = std::chrono::seconds(1);

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
  NetworkFault(deploy::FaultProxy& proxy, Toxic toxic) : proxy_(proxy), toxic_(toxic) {}

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
                                     deploy::to_string(toxic_.kind), affected);
    if (toxic_.kind == ToxicKind::kBlackhole) {
      detail += fmt::format(" (the proxy has swallowed {} bytes in all)", counters.dropped_bytes);
    }
    co_return detail;
  }

 private:
  deploy::FaultProxy& proxy_;
  Toxic toxic_;
  deploy::FaultProxy::ToxicId id_ = 0;
};

[[noreturn]] void refuse(const scenario::FaultSpec& spec, const std::string& why) {
  throw InputError(spec.where, fmt::format("fault {} on {}: {}", spec.action, spec.target, why));
}

Toxic toxic_for(const scenario::FaultSpec& spec, ToxicKind kind) {
  const auto& p = spec.params;
  Toxic toxic;
  toxic.kind = kind;
  toxic.seed = seed_for(spec);
  const auto direction = deploy::parse_direction(p.direction);
  if (!direction) refuse(spec, fmt::format("direction must be up, down or both, not '{}'", p.direction));
  toxic.direction = *direction;
  if (!(p.toxicity >= 0.0 && p.toxicity <= 1.0)) {
    refuse(spec, fmt::format("toxicity must be between 0 and 1 (0% and 100%), not {}", p.toxicity));
  }
  toxic.toxicity = p.toxicity;
  switch (kind) {
    case ToxicKind::kLatency:
      if (!p.latency) refuse(spec, "latency needs latency = \"200ms\"");
      toxic.latency = *p.latency;
      toxic.jitter = p.jitter.value_or(Duration{0});
      break;
    case ToxicKind::kBandwidth:
      if (!p.bandwidth || *p.bandwidth <= 0) refuse(spec, "bandwidth needs bandwidth > 0 bytes/s");
      toxic.bytes_per_second = *p.bandwidth;
      break;
    case ToxicKind::kSlice:
      if (!p.slice_bytes || *p.slice_bytes < 1) refuse(spec, "slice needs slice_bytes >= 1");
      toxic.slice_bytes = static_cast<std::size_t>(*p.slice_bytes);
      // The pause between slices: `latency` as the loader reads it, or `delay`.
      toxic.delay = p.latency.value_or(p.delay.value_or(Duration{0}));
      break;
    case ToxicKind::kSlowClose:
      toxic.delay = p.delay.value_or(p.latency.value_or(kDefaultCloseDelay));
      break;
    case ToxicKind::kReset:
    case ToxicKind::kBlackhole:
      break;
  }
  return toxic;
}

}  // namespace

bool is_network_action(std::string_view action) {
  return deploy::parse_toxic_kind(action).has_value();
}

std::unique_ptr<Fault> make_network_fault(const scenario::FaultSpec& spec,
                                          deploy::Deployment& deployment) {
  const auto kind = deploy::parse_toxic_kind(spec.action);
  if (!kind) return nullptr;
  deploy::FaultProxy* proxy = deployment.proxy_for(spec.target);
  if (proxy == nullptr) refuse(spec, "the target is not a server of this run");
  return std::make_unique<NetworkFault>(*proxy, toxic_for(spec, *kind));
}

}  // namespace lbchaos::faults

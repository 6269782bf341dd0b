#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "harness/deploy/toxic.h"
#include "harness/topology/endpoints.h"

namespace lbchaos::deploy {

class ProxyCore;

struct ProxyCounters {
  std::uint64_t accepted = 0;          // connections from haproxy
  std::uint64_t open = 0;              // proxied right now
  std::uint64_t upstream_refused = 0;  // connects to the server it refused
  std::uint64_t reset_by_toxic = 0;    // connections a reset toxic ended
  std::uint64_t dropped_bytes = 0;     // read, then swallowed by a blackhole
};

// The TCP fault proxy between haproxy and one server node (DESIGN.md "network" faults): it
// listens on a reserved loopback port and forwards every connection to the node, byte for byte,
// on the harness's io_context thread. haproxy is configured with the proxy's address from the
// start, so injecting a toxic never restarts anything. Without toxics it is a plain relay.
//
// It also mirrors the node's refusals: when the node refuses a connection (it is dead or not
// yet restarted) the proxy stops listening, so haproxy sees "connection refused" as it would
// without a proxy (TCP checks included), and listens again as soon as the node does.
class FaultProxy {
 public:
  using ToxicId = std::uint64_t;

  // Reserves a port on the upstream's loopback address; nothing listens before start().
  // Throws EnvironmentError.
  FaultProxy(boost::asio::io_context& io, std::string name, topology::Endpoint upstream);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  [[nodiscard]] const std::string& name() const;
  // Where haproxy connects.
  [[nodiscard]] const topology::Endpoint& endpoint() const;
  // The node behind it.
  [[nodiscard]] const topology::Endpoint& upstream() const;
  [[nodiscard]] bool listening() const;
  [[nodiscard]] ProxyCounters counters() const;

  // Starts listening. Throws EnvironmentError.
  void start();
  // Stops listening and resets every connection. Idempotent.
  void close();

  struct Added {
    ToxicId id = 0;
    std::size_t open_connections = 0;  // when it was added
    std::size_t affected = 0;          // of those (reset: the ones it reset)
  };
  // Applies to new connections and to open ones (each drawn against the toxicity).
  Added add_toxic(const Toxic& toxic);
  // Heals: the affected connections return to plain forwarding (data a blackhole swallowed is
  // gone; queued chunks go at once). Returns how many connections the toxic affected in all.
  std::size_t remove_toxic(ToxicId id);

 private:
  std::shared_ptr<ProxyCore> core_;
};

}  // namespace lbchaos::deploy

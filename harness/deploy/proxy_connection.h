#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "harness/common/clock.h"
#include "harness/deploy/toxic.h"

namespace lbchaos::deploy {

class ProxyConnection;

// What a proxied connection asks of its proxy (fault_proxy.cc). Connections hold it by
// shared_ptr, so it outlives every one of them.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  // The toxics that affect `connection` in `flow`, added up.
  [[nodiscard]] virtual FlowEffects effects(const ProxyConnection& connection, Flow flow) = 0;
  // A uniform draw in [-jitter, +jitter] for one chunk.
  [[nodiscard]] virtual Duration draw_jitter(Duration jitter) = 0;
  // The server refused a connection.
  virtual void upstream_refused() = 0;
  // The server closed or reset a connection before haproxy did (it may have died).
  virtual void upstream_closed() = 0;
  // A blackhole swallowed `bytes`.
  virtual void dropped(std::size_t bytes) = 0;
  // The connection is gone.
  virtual void forget(ProxyConnection& connection) = 0;
};

// One connection through the proxy: haproxy's socket ("client") and the server's. Each direction
// is a pipe with a reader and a writer coroutine and a small ring of chunks between them, so a
// delayed chunk does not stop reading and order is always kept. A connection no toxic affects
// skips the ring: its readers write what they read themselves. Buffers are allocated the first
// time a ring slot is used and reused for the connection's life.
class ProxyConnection : public std::enable_shared_from_this<ProxyConnection> {
 public:
  using ToxicId = std::uint64_t;

  ProxyConnection(std::shared_ptr<ConnectionHost> host, boost::asio::ip::tcp::socket client);
  ~ProxyConnection();
  ProxyConnection(const ProxyConnection&) = delete;
  ProxyConnection& operator=(const ProxyConnection&) = delete;

  // Connects to the server, then forwards both ways until both sides have closed (or one
  // resets). Returns at once; the connection keeps itself alive meanwhile.
  void start(const boost::asio::ip::tcp::endpoint& upstream);
  // Ends the connection with an RST to both sides (SO_LINGER 0).
  void reset();
  // A toxic was added or removed: writers look at their effects again (and queued chunks
  // get a fresh due time), so a heal takes effect at once.
  void toxics_changed();

  void affect(ToxicId id) { toxics_.push_back(id); }
  void unaffect(ToxicId id);
  [[nodiscard]] bool affected_by(ToxicId id) const;
  [[nodiscard]] bool has_toxics() const { return !toxics_.empty(); }

 private:
  static constexpr std::size_t kChunkBytes = 16 * 1024;
  static constexpr std::size_t kRingChunks = 4;

  struct Chunk {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
    std::size_t sent = 0;
    MonoTime arrived{};
    std::optional<MonoTime> due;  // when latency lets it go (jitter drawn once per chunk)
  };

  struct Pipe {
    Pipe(Flow f, boost::asio::ip::tcp::socket& source, boost::asio::ip::tcp::socket& sink);

    Flow flow;
    boost::asio::ip::tcp::socket& from;
    boost::asio::ip::tcp::socket& to;
    std::array<Chunk, kRingChunks> ring;
    std::size_t head = 0;
    std::size_t count = 0;
    bool source_closed = false;  // EOF read: pass the close on once the ring is empty
    MonoTime closed_at{};
    MonoTime last_due{};         // latency never reorders chunks
    MonoTime paced_until{};      // bandwidth: when the next byte may go
    bool writer_idle = false;    // waiting for data: a new chunk wakes it
    bool reader_blocked = false; // ring full: a freed slot wakes it
    boost::asio::steady_timer writer_wake;
    boost::asio::steady_timer reader_wake;
  };

  boost::asio::awaitable<void> run(std::shared_ptr<ProxyConnection> self,
                                   boost::asio::ip::tcp::endpoint upstream);
  boost::asio::awaitable<void> read_loop(std::shared_ptr<ProxyConnection> self, Pipe& pipe);
  boost::asio::awaitable<void> write_loop(std::shared_ptr<ProxyConnection> self, Pipe& pipe);
  void pop(Pipe& pipe);

  std::shared_ptr<ConnectionHost> host_;
  boost::asio::ip::tcp::socket client_;
  boost::asio::ip::tcp::socket server_;
  Pipe up_;
  Pipe down_;
  boost::asio::steady_timer connect_timer_;
  std::vector<ToxicId> toxics_;
  bool connected_ = false;
  bool aborted_ = false;
};

}  // namespace lbchaos::deploy

// The fault proxy on its own: an echo server on loopback behind it, a client in front, one
// io_context. Each toxic's effect, its removal, and toxicity as a probability. Timing asserts
// are lower bounds (physics) or generous proportions, never tight upper bounds.
#include <utility>  // before boost/asio/awaitable.hpp with GCC 12

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/deploy/fault_proxy.h"

namespace lbchaos::deploy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto kUse = asio::use_awaitable;

double seconds_since(MonoTime start) {
  return std::chrono::duration<double>(mono_now() - start).count();
}

// Echoes every byte back; counts what it received. Closes a connection when the client does.
class EchoServer {
 public:
  explicit EchoServer(asio::io_context& io, unsigned short port = 0)
      : io_(io), acceptor_(io) {
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    asio::co_spawn(io_, accept_loop(), asio::detached);
  }
  ~EchoServer() { stop(); }

  void stop() {
    error_code ignored;
    acceptor_.close(ignored);
  }
  [[nodiscard]] topology::Endpoint endpoint() const {
    return {"127.0.0.1", acceptor_.local_endpoint().port()};
  }
  std::size_t bytes_received = 0;
  std::size_t accepted = 0;

 private:
  asio::awaitable<void> accept_loop() {
    while (acceptor_.is_open()) {
      tcp::socket socket(io_);
      error_code ec;
      co_await acceptor_.async_accept(socket, asio::redirect_error(kUse, ec));
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(io_, echo(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> echo(tcp::socket socket) {
    std::array<char, 4096> buffer{};
    while (true) {
      error_code ec;
      const auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(kUse, ec));
      if (ec) co_return;
      bytes_received += n;
      co_await asio::async_write(socket, asio::buffer(buffer.data(), n), asio::redirect_error(kUse, ec));
      if (ec) co_return;
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
};

// What a read with a deadline got.
struct ReadResult {
  std::string data;
  error_code error;  // operation_aborted: the deadline passed
  int reads = 0;     // how many read_some calls returned data
};

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override { proxy_.start(); }

  // Runs `task` on the io_context until it finishes (bounded in real time).
  template <typename T>
  T run(asio::awaitable<T> task, std::chrono::seconds limit = 20s) {
    std::optional<T> result;
    std::exception_ptr error;
    asio::co_spawn(io_, std::move(task), [&](std::exception_ptr e, T value) {
      error = e;
      result = std::move(value);
    });
    const auto deadline = mono_now() + limit;
    while (!result && !error && mono_now() < deadline) io_.run_one_for(deadline - mono_now());
    if (error) std::rethrow_exception(error);
    if (!result) throw std::runtime_error("test task did not finish in time");
    return std::move(*result);
  }

  // Lets the io_context run for a while (so the proxy reacts to something).
  void pump(std::chrono::milliseconds how_long) {
    const auto until = mono_now() + how_long;
    while (mono_now() < until) io_.run_one_for(until - mono_now());
  }

  // A blocking connect is fine: on loopback the kernel completes it from the listen backlog.
  // Throws system_error (connection refused) when nothing listens.
  tcp::socket connect_to(const topology::Endpoint& at) {
    tcp::socket socket(io_);
    socket.connect({asio::ip::make_address(at.host), static_cast<unsigned short>(at.port)});
    socket.set_option(tcp::no_delay(true));
    return socket;
  }
  tcp::socket connect() { return connect_to(proxy_.endpoint()); }

  // Reads until `want` bytes arrived, the peer closed, or `limit` passed.
  asio::awaitable<ReadResult> read_for(tcp::socket& socket, std::size_t want,
                                       std::chrono::milliseconds limit) {
    ReadResult out;
    auto expired = std::make_shared<bool>(false);
    asio::steady_timer timer(io_, limit);
    timer.async_wait([expired, &socket](const error_code& ec) {
      if (ec) return;
      *expired = true;
      error_code ignored;
      socket.cancel(ignored);
    });
    std::array<char, 4096> buffer{};
    while (out.data.size() < want) {
      error_code ec;
      const auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(kUse, ec));
      if (ec) {
        out.error = *expired ? error_code(asio::error::operation_aborted) : ec;
        break;
      }
      out.data.append(buffer.data(), n);
      ++out.reads;
    }
    timer.cancel();
    co_return out;
  }

  // Sends `message` and reads its echo; returns the round-trip time in seconds.
  asio::awaitable<double> round_trip(tcp::socket& socket, std::string message = "ping") {
    const MonoTime start = mono_now();
    co_await asio::async_write(socket, asio::buffer(message), kUse);
    const auto echo = co_await read_for(socket, message.size(), 5s);
    EXPECT_EQ(echo.data, message) << echo.error.message();
    co_return seconds_since(start);
  }

  asio::awaitable<double> new_connection_round_trip() {
    auto socket = connect();
    co_return co_await round_trip(socket);
  }

  static Toxic latency(Duration delay, ToxicDirection direction = ToxicDirection::kBoth,
                       double toxicity = 1.0) {
    Toxic t;
    t.kind = ToxicKind::kLatency;
    t.latency = delay;
    t.direction = direction;
    t.toxicity = toxicity;
    return t;
  }

  static Toxic of_kind(ToxicKind kind, ToxicDirection direction = ToxicDirection::kBoth) {
    Toxic t;
    t.kind = kind;
    t.direction = direction;
    return t;
  }

  asio::io_context io_;
  EchoServer echo_{io_};
  FaultProxy proxy_{io_, "app/web1", echo_.endpoint()};
};

TEST_F(FaultProxyTest, ForwardsBytesBothWaysInOrder) {
  EXPECT_NE(proxy_.endpoint().port, echo_.endpoint().port);
  std::string payload(512 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
  auto socket = connect();
  // Write and read at once: half a megabyte does not fit in socket buffers.
  asio::co_spawn(io_, asio::async_write(socket, asio::buffer(payload), kUse), asio::detached);
  const auto echo = run(read_for(socket, payload.size(), 10s));
  EXPECT_FALSE(echo.error) << echo.error.message();
  EXPECT_TRUE(echo.data == payload);
  EXPECT_EQ(echo_.bytes_received, payload.size());
  EXPECT_EQ(proxy_.counters().accepted, 1u);
}

TEST_F(FaultProxyTest, LatencyDelaysEachAffectedDirectionAndHealRemovesIt) {
  auto socket = connect();
  EXPECT_LT(run(round_trip(socket)), 0.1);

  const auto both = proxy_.add_toxic(latency(100ms));
  EXPECT_EQ(both.open_connections, 1u);
  EXPECT_EQ(both.affected, 1u);  // an open connection is slowed too
  EXPECT_GE(run(round_trip(socket)), 0.2);
  EXPECT_GE(run(new_connection_round_trip()), 0.2);
  EXPECT_EQ(proxy_.remove_toxic(both.id), 2u);
  EXPECT_LT(run(round_trip(socket)), 0.1);

  const auto up = proxy_.add_toxic(latency(150ms, ToxicDirection::kUp));
  const double up_only = run(round_trip(socket));
  EXPECT_GE(up_only, 0.15);
  EXPECT_LT(up_only, 0.3 + 0.1);  // one direction, not two (generous)
  proxy_.remove_toxic(up.id);
  EXPECT_LT(run(round_trip(socket)), 0.1);
}

TEST_F(FaultProxyTest, HealReleasesChunksAlreadyWaitingOutTheirLatency) {
  auto socket = connect();
  const auto slow = proxy_.add_toxic(latency(2s, ToxicDirection::kDown));
  run(asio::async_write(socket, asio::buffer(std::string("ping")), kUse));
  pump(100ms);  // the echo is now queued in the proxy for 2 s
  const MonoTime healed = mono_now();
  proxy_.remove_toxic(slow.id);
  const auto echo = run(read_for(socket, 4, 5s));
  EXPECT_EQ(echo.data, "ping");
  EXPECT_LT(seconds_since(healed), 1.0);
}

TEST_F(FaultProxyTest, JitterNeverReordersBytes) {
  Toxic jittery = latency(20ms);
  jittery.jitter = 20ms;
  proxy_.add_toxic(jittery);
  auto socket = connect();
  std::string sent;
  for (int i = 0; i < 40; ++i) {
    const std::string message = "<" + std::to_string(i) + ">";
    run(asio::async_write(socket, asio::buffer(message), kUse));
    sent += message;
    pump(2ms);  // separate chunks, each with its own jitter draw
  }
  const auto echo = run(read_for(socket, sent.size(), 10s));
  EXPECT_EQ(echo.data, sent);
}

TEST_F(FaultProxyTest, ToxicityZeroNeverAffectsAndOneAlwaysDoes) {
  proxy_.add_toxic(latency(300ms, ToxicDirection::kBoth, 0.0));
  for (int i = 0; i < 10; ++i) EXPECT_LT(run(new_connection_round_trip()), 0.3);

  FaultProxy always{io_, "app/web2", echo_.endpoint()};
  always.start();
  always.add_toxic(latency(100ms, ToxicDirection::kDown, 1.0));
  for (int i = 0; i < 5; ++i) {
    auto socket = connect_to(always.endpoint());
    EXPECT_GE(run(round_trip(socket)), 0.1);
  }
}

TEST_F(FaultProxyTest, ToxicityIsAProbabilityDrawnOncePerConnection) {
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < 60; ++i) sockets.push_back(connect());
  const MonoTime start = mono_now();
  while (proxy_.counters().open < 60 && seconds_since(start) < 5) pump(10ms);
  const auto half = proxy_.add_toxic(latency(100ms, ToxicDirection::kBoth, 0.5));
  EXPECT_EQ(half.open_connections, 60u);
  // Seeded, so this is the same every run; the bounds only say "about half".
  EXPECT_GE(half.affected, 15u);
  EXPECT_LE(half.affected, 45u);
  // All round trips at once: the affected ones take 200 ms, the others a fraction of that.
  std::vector<double> times;
  for (auto& socket : sockets) {
    asio::co_spawn(io_, round_trip(socket), [&times](std::exception_ptr, double t) { times.push_back(t); });
  }
  const MonoTime sent = mono_now();
  while (times.size() < sockets.size() && seconds_since(sent) < 10) pump(10ms);
  ASSERT_EQ(times.size(), sockets.size());
  const auto slowed = std::count_if(times.begin(), times.end(), [](double t) { return t >= 0.2; });
  EXPECT_EQ(static_cast<std::size_t>(slowed), half.affected);
}

TEST_F(FaultProxyTest, BandwidthCapsTheRate) {
  Toxic cap = of_kind(ToxicKind::kBandwidth, ToxicDirection::kDown);
  cap.bytes_per_second = 20'000;
  const auto added = proxy_.add_toxic(cap);
  auto socket = connect();
  const std::string payload(10'000, 'x');
  const MonoTime start = mono_now();
  run(asio::async_write(socket, asio::buffer(payload), kUse));
  const auto echo = run(read_for(socket, payload.size(), 10s));
  EXPECT_EQ(echo.data.size(), payload.size());
  // 10 kB at 20 kB/s: 0.5 s, less the first 50 ms piece that goes at once.
  EXPECT_GE(seconds_since(start), 0.4);
  proxy_.remove_toxic(added.id);
  const MonoTime fast = mono_now();
  run(asio::async_write(socket, asio::buffer(payload), kUse));
  EXPECT_EQ(run(read_for(socket, payload.size(), 10s)).data.size(), payload.size());
  EXPECT_LT(seconds_since(fast), 0.2);
}

TEST_F(FaultProxyTest, ResetSendsRstOnOpenAndNewConnectionsUntilHealed) {
  auto open = connect();
  run(round_trip(open));
  const auto reset = proxy_.add_toxic(of_kind(ToxicKind::kReset));
  EXPECT_EQ(reset.affected, 1u);
  EXPECT_EQ(run(read_for(open, 1, 2s)).error, asio::error::connection_reset);

  auto fresh = connect();  // the kernel completes the handshake; then the RST comes
  run(asio::async_write(fresh, asio::buffer(std::string("ping")), kUse));
  const auto refused = run(read_for(fresh, 4, 2s));
  EXPECT_TRUE(refused.data.empty());
  EXPECT_EQ(refused.error, asio::error::connection_reset);
  EXPECT_GE(proxy_.counters().reset_by_toxic, 2u);

  proxy_.remove_toxic(reset.id);
  EXPECT_LT(run(new_connection_round_trip()), 0.5);
}

TEST_F(FaultProxyTest, BlackholeUpSwallowsRequestsAndHealResumesTheConnection) {
  auto socket = connect();
  run(round_trip(socket));
  const std::size_t before = echo_.bytes_received;
  const auto hole = proxy_.add_toxic(of_kind(ToxicKind::kBlackhole, ToxicDirection::kUp));
  run(asio::async_write(socket, asio::buffer(std::string("lost")), kUse));
  const auto nothing = run(read_for(socket, 1, 300ms));
  EXPECT_TRUE(nothing.data.empty());
  EXPECT_EQ(nothing.error, asio::error::operation_aborted);  // still open, just silent
  EXPECT_EQ(echo_.bytes_received, before);
  EXPECT_EQ(proxy_.counters().dropped_bytes, 4u);
  // A new connection is accepted (a frozen peer still completes handshakes) and is silent too.
  auto fresh = connect();
  run(asio::async_write(fresh, asio::buffer(std::string("lost")), kUse));
  EXPECT_TRUE(run(read_for(fresh, 1, 200ms)).data.empty());

  proxy_.remove_toxic(hole.id);
  EXPECT_LT(run(round_trip(socket, "back")), 0.5);
  EXPECT_LT(run(round_trip(fresh, "back")), 0.5);
}

TEST_F(FaultProxyTest, BlackholeDownLetsTheServerReadButNothingComesBack) {
  auto socket = connect();
  proxy_.add_toxic(of_kind(ToxicKind::kBlackhole, ToxicDirection::kDown));
  run(asio::async_write(socket, asio::buffer(std::string("ping")), kUse));
  EXPECT_TRUE(run(read_for(socket, 1, 300ms)).data.empty());
  EXPECT_EQ(echo_.bytes_received, 4u);
}

TEST_F(FaultProxyTest, SlowCloseDelaysTheFin) {
  Toxic slow = of_kind(ToxicKind::kSlowClose, ToxicDirection::kUp);
  slow.delay = 300ms;
  proxy_.add_toxic(slow);
  auto socket = connect();
  run(round_trip(socket));
  const MonoTime start = mono_now();
  socket.shutdown(tcp::socket::shutdown_send);
  // The echo server closes when it sees our FIN; its FIN comes back as EOF.
  const auto closed = run(read_for(socket, 1, 5s));
  EXPECT_EQ(closed.error, asio::error::eof);
  EXPECT_GE(seconds_since(start), 0.3);
}

TEST_F(FaultProxyTest, SliceSplitsWritesWithADelayBetween) {
  Toxic slice = of_kind(ToxicKind::kSlice, ToxicDirection::kDown);
  slice.slice_bytes = 10;
  slice.delay = 20ms;
  proxy_.add_toxic(slice);
  auto socket = connect();
  const std::string payload(100, 's');
  const MonoTime start = mono_now();
  run(asio::async_write(socket, asio::buffer(payload), kUse));
  const auto echo = run(read_for(socket, payload.size(), 5s));
  EXPECT_EQ(echo.data, payload);
  EXPECT_GE(seconds_since(start), 9 * 0.02);
  EXPECT_GE(echo.reads, 5);  // arrived in pieces, not in one read
}

TEST_F(FaultProxyTest, RefusesWhileTheServerRefusesAndListensAgainWhenItIsBack) {
  const auto upstream = echo_.endpoint();
  echo_.stop();
  // The first connection is accepted, then reset: that is how the proxy learns.
  auto first = connect();
  EXPECT_EQ(run(read_for(first, 1, 2s)).error, asio::error::connection_reset);
  pump(20ms);
  EXPECT_FALSE(proxy_.listening());
  EXPECT_THROW(connect(), boost::system::system_error);  // connection refused, as without it

  EchoServer again(io_, static_cast<unsigned short>(upstream.port));
  const MonoTime back = mono_now();
  while (!proxy_.listening() && seconds_since(back) < 5) pump(10ms);
  EXPECT_TRUE(proxy_.listening());
  EXPECT_LT(run(new_connection_round_trip()), 0.5);
}

TEST_F(FaultProxyTest, CloseResetsEveryConnectionAndStopsListening) {
  auto socket = connect();
  run(round_trip(socket));
  proxy_.close();
  EXPECT_EQ(run(read_for(socket, 1, 2s)).error, asio::error::connection_reset);
  EXPECT_FALSE(proxy_.listening());
  EXPECT_THROW(connect(), boost::system::system_error);
}

}  // namespace
}  // namespace lbchaos::deploy

#include "harness/deploy/proxy_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>

namespace lbchaos::deploy {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// A node that does not even complete a handshake (paused with a full backlog) is given up on.
constexpr auto kConnectTimeout = 10s;
// bandwidth: bytes go out in pieces worth this long, so a slow rate still trickles.
constexpr auto kPacingQuantum = 50ms;

asio::awaitable<void> sleep_until(asio::steady_timer& timer, MonoTime until) {
  timer.expires_at(until);
  boost::system::error_code ignored;  // cancelled = woken up: the caller looks again
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void close_abortively(tcp::socket& socket) {
  boost::system::error_code ignored;
  if (!socket.is_open()) return;
  socket.set_option(tcp::socket::linger(true, 0), ignored);
  socket.close(ignored);
}

void set_no_delay(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
}

}  // namespace

ProxyConnection::Pipe::Pipe(Flow f, tcp::socket& source, tcp::socket& sink)
    : flow(f),
      from(source),
      to(sink),
      writer_wake(source.get_executor()),
      reader_wake(source.get_executor()) {}

ProxyConnection::ProxyConnection(std::shared_ptr<ConnectionHost> host, tcp::socket client)
    : host_(std::move(host)),
      client_(std::move(client)),
      server_(client_.get_executor()),
      up_(Flow::kUp, client_, server_),
      down_(Flow::kDown, server_, client_),
      connect_timer_(client_.get_executor()) {}

ProxyConnection::~ProxyConnection() { host_->forget(*this); }

void ProxyConnection::start(const tcp::endpoint& upstream) {
  auto self = shared_from_this();
  asio::co_spawn(client_.get_executor(), run(self, upstream), asio::detached);
}

void ProxyConnection::reset() {
  if (aborted_) return;
  aborted_ = true;
  close_abortively(client_);
  close_abortively(server_);
  for (Pipe* pipe : {&up_, &down_}) {
    pipe->writer_wake.cancel();
    pipe->reader_wake.cancel();
  }
  connect_timer_.cancel();
}

void ProxyConnection::toxics_changed() {
  for (Pipe* pipe : {&up_, &down_}) {
    for (Chunk& chunk : pipe->ring) chunk.due.reset();
    pipe->last_due = MonoTime{};
    pipe->writer_wake.cancel();
  }
}

void ProxyConnection::unaffect(ToxicId id) {
  toxics_.erase(std::remove(toxics_.begin(), toxics_.end(), id), toxics_.end());
}

bool ProxyConnection::affected_by(ToxicId id) const {
  return std::find(toxics_.begin(), toxics_.end(), id) != toxics_.end();
}

asio::awaitable<void> ProxyConnection::run(std::shared_ptr<ProxyConnection> self,
                                           tcp::endpoint upstream) {
  connect_timer_.expires_after(kConnectTimeout);
  connect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto connection = weak.lock(); connection && !connection->connected_) {
      connection->reset();
    }
  });
  boost::system::error_code ec;
  co_await server_.async_connect(upstream, asio::redirect_error(asio::use_awaitable, ec));
  connected_ = true;
  connect_timer_.cancel();
  if (aborted_) co_return;
  if (ec) {
    if (ec == asio::error::connection_refused) host_->upstream_refused();
    reset();
    co_return;
  }
  set_no_delay(client_);
  set_no_delay(server_);
  const auto executor = client_.get_executor();
  for (Pipe* pipe : {&up_, &down_}) {
    asio::co_spawn(executor, read_loop(self, *pipe), asio::detached);
    asio::co_spawn(executor, write_loop(self, *pipe), asio::detached);
  }
}

asio::awaitable<void> ProxyConnection::read_loop(std::shared_ptr<ProxyConnection> /*self*/,
                                                 Pipe& pipe) {
  while (!aborted_) {
    if (pipe.count == kRingChunks) {
      pipe.reader_blocked = true;
      co_await sleep_until(pipe.reader_wake, MonoTime::max());
      pipe.reader_blocked = false;
      continue;
    }
    Chunk& chunk = pipe.ring[(pipe.head + pipe.count) % kRingChunks];
    if (!chunk.data) chunk.data = std::make_unique_for_overwrite<char[]>(kChunkBytes);
    boost::system::error_code ec;
    const std::size_t n = co_await pipe.from.async_read_some(
        asio::buffer(chunk.data.get(), kChunkBytes), asio::redirect_error(asio::use_awaitable, ec));
    if (aborted_) co_return;
    if (ec) {
      // The server ending a connection first is how a dead node usually shows.
      if (pipe.flow == Flow::kDown && !up_.source_closed) host_->upstream_closed();
      if (ec != asio::error::eof) {
        reset();
        co_return;
      }
      pipe.source_closed = true;
      pipe.closed_at = mono_now();
      pipe.writer_wake.cancel();
      co_return;
    }
    if (pipe.count == 0 && !has_toxics()) {
      // Plain relay, the common case: write it from here, one hop fewer than via the writer.
      co_await asio::async_write(pipe.to, asio::buffer(chunk.data.get(), n),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (aborted_) co_return;
      if (ec) {
        reset();
        co_return;
      }
      continue;
    }
    chunk.size = n;
    chunk.sent = 0;
    chunk.arrived = mono_now();
    chunk.due.reset();
    ++pipe.count;
    if (pipe.writer_idle) pipe.writer_wake.cancel();
  }
}

asio::awaitable<void> ProxyConnection::write_loop(std::shared_ptr<ProxyConnection> /*self*/,
                                                  Pipe& pipe) {
  while (!aborted_) {
    const FlowEffects fx = host_->effects(*this, pipe.flow);
    if (pipe.count == 0) {
      if (!pipe.source_closed) {
        pipe.writer_idle = true;
        co_await sleep_until(pipe.writer_wake, MonoTime::max());
        pipe.writer_idle = false;
        continue;
      }
      // A frozen peer never closes; a slow one closes late.
      const MonoTime close_at = pipe.closed_at + fx.close_delay;
      if (fx.blackhole || mono_now() < close_at) {
        co_await sleep_until(pipe.writer_wake, fx.blackhole ? MonoTime::max() : close_at);
        continue;
      }
      boost::system::error_code ignored;
      pipe.to.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }

    Chunk& chunk = pipe.ring[pipe.head];
    if (fx.blackhole) {
      host_->dropped(chunk.size - chunk.sent);
      pop(pipe);
      continue;
    }
    if (fx.latency.count() > 0 || fx.jitter.count() > 0) {
      if (!chunk.due) {
        const Duration delay = std::max(Duration{0}, fx.latency + host_->draw_jitter(fx.jitter));
        pipe.last_due = std::max(pipe.last_due, chunk.arrived + delay);
        chunk.due = pipe.last_due;
      }
      if (mono_now() < *chunk.due) {
        co_await sleep_until(pipe.writer_wake, *chunk.due);
        continue;
      }
    }

    std::size_t piece = chunk.size - chunk.sent;
    if (fx.slice_bytes > 0) piece = std::min(piece, fx.slice_bytes);
    if (fx.bytes_per_second > 0) {
      const auto quantum = std::chrono::duration<double>(kPacingQuantum).count();
      piece = std::min(piece, std::max<std::size_t>(
                                  1, static_cast<std::size_t>(fx.bytes_per_second * quantum)));
      const MonoTime now = mono_now();
      if (now < pipe.paced_until) {
        co_await sleep_until(pipe.writer_wake, pipe.paced_until);
        continue;
      }
      // Keep the schedule through small wake-up delays; start afresh after an idle spell.
      const MonoTime base = now - pipe.paced_until < kPacingQuantum ? pipe.paced_until : now;
      pipe.paced_until = base + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                                    static_cast<double>(piece) / fx.bytes_per_second));
    }

    boost::system::error_code ec;
    const std::size_t n =
        co_await asio::async_write(pipe.to, asio::buffer(chunk.data.get() + chunk.sent, piece),
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (aborted_) co_return;
    if (ec) {
      reset();
      co_return;
    }
    chunk.sent += n;
    if (chunk.sent == chunk.size) {
      pop(pipe);
    } else if (fx.slice_bytes > 0 && fx.slice_delay.count() > 0) {
      co_await sleep_until(pipe.writer_wake, mono_now() + fx.slice_delay);
    }
  }
}

void ProxyConnection::pop(Pipe& pipe) {
  pipe.ring[pipe.head].due.reset();
  pipe.head = (pipe.head + 1) % kRingChunks;
  --pipe.count;
  if (pipe.reader_blocked) pipe.reader_wake.cancel();
}

}  // namespace lbchaos::deploy

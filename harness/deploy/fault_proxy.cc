#include "harness/deploy/fault_proxy.h"

#include <sys/socket.h>

#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/errors.h"
#include "harness/deploy/proxy_connection.h"
#include "harness/process/port_reservation.h"

namespace lbchaos::deploy {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// While the node refuses connections, how often the proxy asks whether it listens again.
constexpr auto kUpstreamPoll = 20ms;
constexpr auto kProbeTimeout = 1s;
// A server that closes every connection itself (HTTP/1.0) must not get a probe for each one.
constexpr auto kProbeSpacing = 100ms;
constexpr auto kAcceptErrorPause = 50ms;

struct ActiveToxic {
  ActiveToxic(FaultProxy::ToxicId i, const Toxic& t) : id(i), toxic(t), rng(t.seed) {}

  // One draw per connection.
  bool hits() {
    if (toxic.toxicity >= 1.0) return true;
    if (toxic.toxicity <= 0.0) return false;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < toxic.toxicity;
  }

  FaultProxy::ToxicId id;
  Toxic toxic;
  std::mt19937_64 rng;
  std::size_t affected = 0;
};

}  // namespace

// The proxy's state, shared with its connections (they may outlive the FaultProxy handle by a
// few handler runs after close()).
class ProxyCore : public ConnectionHost, public std::enable_shared_from_this<ProxyCore> {
 public:
  ProxyCore(asio::io_context& io, std::string name, topology::Endpoint upstream)
      : io_(io),
        name_(std::move(name)),
        upstream_(std::move(upstream)),
        reservation_(upstream_.host),
        endpoint_{upstream_.host, reservation_.port()},
        upstream_address_(asio::ip::make_address(upstream_.host),
                          static_cast<unsigned short>(upstream_.port)),
        listen_address_(upstream_address_.address(), static_cast<unsigned short>(endpoint_.port)),
        acceptor_(io),
        probe_socket_(io),
        probe_timer_(io),
        poll_timer_(io) {}

  void start();
  void close();
  FaultProxy::Added add_toxic(const Toxic& toxic);
  std::size_t remove_toxic(FaultProxy::ToxicId id);

  const std::string& name() const { return name_; }
  const topology::Endpoint& endpoint() const { return endpoint_; }
  const topology::Endpoint& upstream() const { return upstream_; }
  bool listening() const { return listening_; }
  ProxyCounters counters() const {
    ProxyCounters c = counters_;
    c.open = connections_.size();
    return c;
  }

  // ConnectionHost
  FlowEffects effects(const ProxyConnection& connection, Flow flow) override;
  Duration draw_jitter(Duration jitter) override;
  void upstream_refused() override;
  void upstream_closed() override;
  void dropped(std::size_t bytes) override { counters_.dropped_bytes += bytes; }
  void forget(ProxyConnection& connection) override {
    connections_.erase(std::remove(connections_.begin(), connections_.end(), &connection),
                       connections_.end());
  }

 private:
  void listen();
  void stop_listening();
  void admit(tcp::socket client);
  asio::awaitable<void> accept_loop(std::shared_ptr<ProxyCore> self, std::uint64_t generation);
  // Until the node accepts again, then listens again.
  asio::awaitable<void> watch_upstream(std::shared_ptr<ProxyCore> self);
  // One connect to the node: false only when it was refused.
  asio::awaitable<bool> upstream_accepts();

  asio::io_context& io_;
  std::string name_;
  topology::Endpoint upstream_;
  process::PortReservation reservation_;
  topology::Endpoint endpoint_;
  tcp::endpoint upstream_address_;
  tcp::endpoint listen_address_;
  tcp::acceptor acceptor_;
  tcp::socket probe_socket_;
  asio::steady_timer probe_timer_;
  asio::steady_timer poll_timer_;
  std::vector<ActiveToxic> toxics_;
  std::vector<ProxyConnection*> connections_;  // oldest first: toxicity draws follow that order
  FaultProxy::ToxicId next_id_ = 1;
  std::mt19937_64 jitter_rng_{1};
  ProxyCounters counters_;
  MonoTime last_probe_{};
  std::uint64_t generation_ = 0;  // of the listening socket; a stale accept loop stops
  bool started_ = false;
  bool listening_ = false;
  bool watching_ = false;
  bool probing_ = false;
  bool closed_ = false;
};

void ProxyCore::start() {
  if (started_) return;
  started_ = true;
  listen();
}

void ProxyCore::listen() {
  boost::system::error_code ec;
  acceptor_.open(listen_address_.protocol(), ec);
  const int one = 1;
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  // The port reservation holds the port with SO_REUSEPORT; the listener must share it.
  if (!ec && ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one,
                          sizeof one) != 0) {
    ec.assign(errno, boost::system::system_category());
  }
  if (!ec) acceptor_.bind(listen_address_, ec);
  if (!ec) acceptor_.listen(tcp::acceptor::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    throw EnvironmentError(fmt::format("fault proxy for {} cannot listen on {}: {}", name_,
                                       endpoint_.to_string(), ec.message()));
  }
  listening_ = true;
  asio::co_spawn(io_, accept_loop(shared_from_this(), ++generation_), asio::detached);
}

void ProxyCore::stop_listening() {
  listening_ = false;
  ++generation_;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void ProxyCore::close() {
  if (closed_) return;
  closed_ = true;
  stop_listening();
  boost::system::error_code ignored;
  probe_socket_.close(ignored);
  probe_timer_.cancel();
  poll_timer_.cancel();
  const auto open = connections_;
  for (auto* connection : open) connection->reset();
}

asio::awaitable<void> ProxyCore::accept_loop(std::shared_ptr<ProxyCore> /*self*/,
                                             std::uint64_t generation) {
  while (listening_ && generation == generation_) {
    tcp::socket client(io_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(client, asio::redirect_error(asio::use_awaitable, ec));
    if (!listening_ || generation != generation_) co_return;
    if (ec) {
      // EMFILE and the like: say so, pause, and keep serving.
      spdlog::warn("fault proxy {}: accept failed: {}", name_, ec.message());
      asio::steady_timer pause(io_, kAcceptErrorPause);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    admit(std::move(client));
  }
}

void ProxyCore::admit(tcp::socket client) {
  auto connection = std::make_shared<ProxyConnection>(shared_from_this(), std::move(client));
  connections_.push_back(connection.get());
  ++counters_.accepted;
  bool reset = false;
  for (auto& toxic : toxics_) {
    if (!toxic.hits()) continue;
    connection->affect(toxic.id);
    ++toxic.affected;
    reset = reset || toxic.toxic.kind == ToxicKind::kReset;
  }
  if (reset) {
    ++counters_.reset_by_toxic;
    connection->reset();
    return;
  }
  connection->start(upstream_address_);
}

FaultProxy::Added ProxyCore::add_toxic(const Toxic& toxic) {
  auto& added = toxics_.emplace_back(next_id_++, toxic);
  if (toxic.kind == ToxicKind::kLatency) jitter_rng_.seed(toxic.seed ^ 0x9e3779b97f4a7c15ULL);
  const auto open = connections_;
  std::vector<ProxyConnection*> hit;
  for (auto* connection : open) {
    if (!added.hits()) continue;
    connection->affect(added.id);
    hit.push_back(connection);
  }
  added.affected = hit.size();
  for (auto* connection : hit) {
    if (toxic.kind == ToxicKind::kReset) {
      ++counters_.reset_by_toxic;
      connection->reset();
    } else {
      connection->toxics_changed();
    }
  }
  return {added.id, open.size(), hit.size()};
}

std::size_t ProxyCore::remove_toxic(FaultProxy::ToxicId id) {
  const auto it = std::find_if(toxics_.begin(), toxics_.end(),
                               [id](const ActiveToxic& t) { return t.id == id; });
  if (it == toxics_.end()) return 0;
  const std::size_t affected = it->affected;
  toxics_.erase(it);
  for (auto* connection : connections_) {
    if (!connection->affected_by(id)) continue;
    connection->unaffect(id);
    connection->toxics_changed();
  }
  return affected;
}

FlowEffects ProxyCore::effects(const ProxyConnection& connection, Flow flow) {
  FlowEffects fx;
  if (toxics_.empty() || !connection.has_toxics()) return fx;
  for (const auto& toxic : toxics_) {
    if (applies_to(toxic.toxic.direction, flow) && connection.affected_by(toxic.id)) {
      fx.add(toxic.toxic);
    }
  }
  return fx;
}

Duration ProxyCore::draw_jitter(Duration jitter) {
  if (jitter.count() <= 0) return Duration{0};
  return Duration{
      std::uniform_int_distribution<Duration::rep>(-jitter.count(), jitter.count())(jitter_rng_)};
}

void ProxyCore::upstream_refused() {
  ++counters_.upstream_refused;
  if (!listening_ || closed_) return;
  stop_listening();
  spdlog::debug("fault proxy {}: {} refuses connections; so does {} until it listens again",
                name_, upstream_.to_string(), endpoint_.to_string());
  if (!watching_) {
    watching_ = true;
    asio::co_spawn(io_, watch_upstream(shared_from_this()), asio::detached);
  }
}

void ProxyCore::upstream_closed() {
  if (!listening_ || probing_ || watching_ || closed_) return;
  if (mono_now() - last_probe_ < kProbeSpacing) return;
  last_probe_ = mono_now();
  probing_ = true;
  asio::co_spawn(
      io_,
      [](std::shared_ptr<ProxyCore> self) -> asio::awaitable<void> {
        const bool accepts = co_await self->upstream_accepts();
        self->probing_ = false;
        if (!accepts && !self->closed_) self->upstream_refused();
      }(shared_from_this()),
      asio::detached);
}

asio::awaitable<void> ProxyCore::watch_upstream(std::shared_ptr<ProxyCore> /*self*/) {
  while (!closed_) {
    poll_timer_.expires_after(kUpstreamPoll);
    boost::system::error_code ignored;
    co_await poll_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (closed_) break;
    if (probing_) continue;
    probing_ = true;
    const bool accepts = co_await upstream_accepts();
    probing_ = false;
    if (closed_) break;
    if (accepts) {
      try {
        listen();
        spdlog::debug("fault proxy {}: {} listens again", name_, upstream_.to_string());
      } catch (const EnvironmentError& e) {
        spdlog::error("{}", e.what());
      }
      break;
    }
  }
  watching_ = false;
}

asio::awaitable<bool> ProxyCore::upstream_accepts() {
  boost::system::error_code ec;
  probe_socket_.open(upstream_address_.protocol(), ec);
  if (ec) co_return true;  // cannot tell: stay transparent
  probe_timer_.expires_after(kProbeTimeout);
  probe_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& e) {
    if (e) return;
    if (auto core = weak.lock()) {
      boost::system::error_code ignored;
      core->probe_socket_.close(ignored);
    }
  });
  co_await probe_socket_.async_connect(upstream_address_,
                                       asio::redirect_error(asio::use_awaitable, ec));
  probe_timer_.cancel();
  boost::system::error_code ignored;
  probe_socket_.close(ignored);
  co_return ec != asio::error::connection_refused;
}

FaultProxy::FaultProxy(asio::io_context& io, std::string name, topology::Endpoint upstream)
    : core_(std::make_shared<ProxyCore>(io, std::move(name), std::move(upstream))) {}

FaultProxy::~FaultProxy() { core_->close(); }

const std::string& FaultProxy::name() const { return core_->name(); }
const topology::Endpoint& FaultProxy::endpoint() const { return core_->endpoint(); }
const topology::Endpoint& FaultProxy::upstream() const { return core_->upstream(); }
bool FaultProxy::listening() const { return core_->listening(); }
ProxyCounters FaultProxy::counters() const { return core_->counters(); }
void FaultProxy::start() { core_->start(); }
void FaultProxy::close() { core_->close(); }
FaultProxy::Added FaultProxy::add_toxic(const Toxic& toxic) { return core_->add_toxic(toxic); }
std::size_t FaultProxy::remove_toxic(ToxicId id) { return core_->remove_toxic(id); }

}  // namespace lbchaos::deploy

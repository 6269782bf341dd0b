#include "harness/alerting/harness_endpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <set>

#include "harness/common/errors.h"

namespace lbchaos::alerting {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4";

struct Reply {
  http::status status;
  const char* content_type;
  std::string body;
};

void set_cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

std::string_view path_of(boost::beast::string_view target) {
  const std::string_view text(target.data(), target.size());
  return text.substr(0, text.find('?'));
}

}  // namespace

struct HarnessEndpoint::State {
  explicit State(asio::io_context& io, Handlers h) : acceptor(io), handlers(std::move(h)) {}

  tcp::acceptor acceptor;
  Handlers handlers;
  std::set<tcp::socket*> connections;
  bool closed = false;

  Reply answer(const http::request<http::string_body>& request) {
    const auto path = path_of(request.target());
    if (path == "/metrics" && request.method() == http::verb::get) {
      return {http::status::ok, kMetricsContentType,
              handlers.metrics ? handlers.metrics() : std::string()};
    }
    if (path == "/alertmanager" && request.method() == http::verb::post) {
      try {
        if (handlers.notification) handlers.notification(request.body());
        return {http::status::ok, "text/plain", "ok\n"};
      } catch (const std::exception& e) {
        spdlog::warn("alertmanager webhook: {}", e.what());
        return {http::status::bad_request, "text/plain", std::string(e.what()) + "\n"};
      }
    }
    return {http::status::not_found, "text/plain", "not found\n"};
  }
};

namespace {

asio::awaitable<void> serve(std::shared_ptr<HarnessEndpoint::State> state, tcp::socket socket);

asio::awaitable<void> accept_loop(std::shared_ptr<HarnessEndpoint::State> state) {
  while (!state->closed) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->closed || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("harness endpoint: accept failed: {}", ec.message());
      continue;
    }
    set_cloexec(socket.native_handle());
    asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> serve(std::shared_ptr<HarnessEndpoint::State> state, tcp::socket socket) {
  state->connections.insert(&socket);
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!state->closed) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    co_await http::async_read(socket, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec || state->closed) break;
    const auto& request = parser.get();
    auto reply = state->answer(request);
    http::response<http::string_body> response(reply.status, request.version());
    response.set(http::field::content_type, reply.content_type);
    response.keep_alive(request.keep_alive());
    response.body() = std::move(reply.body);
    response.prepare_payload();
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  state->connections.erase(&socket);
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

HarnessEndpoint::HarnessEndpoint(asio::io_context& io, Handlers handlers)
    : state_(std::make_shared<State>(io, std::move(handlers))) {
  auto& acceptor = state_->acceptor;
  try {
    const tcp::endpoint listen(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(listen.protocol());
    set_cloexec(acceptor.native_handle());
    acceptor.bind(listen);
    acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw EnvironmentError(fmt::format(
        "cannot listen on 127.0.0.1 for Prometheus and Alertmanager: {}", e.code().message()));
  }
  endpoint_ = topology::Endpoint{"127.0.0.1", acceptor.local_endpoint().port()};
}

HarnessEndpoint::~HarnessEndpoint() { close(); }

void HarnessEndpoint::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), asio::detached);
}

void HarnessEndpoint::close() {
  if (state_->closed) return;
  state_->closed = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (auto* socket : state_->connections) socket->close(ignored);
}

}  // namespace lbchaos::alerting

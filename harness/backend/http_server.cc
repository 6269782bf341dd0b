#include "harness/backend/http_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>

#include "harness/common/errors.h"

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

constexpr std::size_t kMaxRequestBytes = 64 * 1024;  // header + body; haproxy sends small GETs
constexpr std::string_view kServerHeader = "X-Lbchaos-Server";
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

void set_cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

void set_reuse_port(tcp::acceptor& acceptor) {
  const int on = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    throw boost::system::system_error(errno, boost::system::system_category(), "SO_REUSEPORT");
  }
}

// Beast 1.74 speaks boost::string_view.
boost::beast::string_view to_beast(std::string_view s) { return {s.data(), s.size()}; }

std::string_view path_of(boost::beast::string_view target) {
  const std::string_view text(target.data(), target.size());
  return text.substr(0, text.find('?'));
}

template <class Response>
void set_common_headers(Response& response, std::string_view server_name, bool keep_alive) {
  response.set(to_beast(kServerHeader), to_beast(server_name));
  response.set(http::field::content_type, "text/plain");
  response.keep_alive(keep_alive);
}

// HEAD gets the same header (Content-Length included) without a body.
asio::awaitable<void> write_response(tcp::socket& socket,
                                     const http::request<http::string_body>& request,
                                     unsigned status, std::string_view server_name,
                                     std::string_view body, boost::system::error_code& ec) {
  const auto code = static_cast<http::status>(status);
  const bool keep_alive = request.keep_alive();
  if (request.method() == http::verb::head) {
    http::response<http::empty_body> response(code, request.version());
    set_common_headers(response, server_name, keep_alive);
    response.content_length(body.size());
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  http::response<http::string_body> response(code, request.version());
  set_common_headers(response, server_name, keep_alive);
  response.body() = body;
  response.prepare_payload();
  co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& listen, ServiceModel& model,
                       std::string name, std::string health_path)
    : acceptor_(io),
      model_(model),
      name_(std::move(name)),
      health_path_(std::move(health_path)),
      body_(name_ + "\n") {
  try {
    acceptor_.open(listen.protocol());
    set_cloexec(acceptor_.native_handle());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    set_reuse_port(acceptor_);
    acceptor_.bind(listen);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw EnvironmentError(fmt::format("backend {}: cannot listen on {}:{}: {}", name_,
                                       listen.address().to_string(), listen.port(),
                                       e.code().message()));
  }
}

void HttpServer::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

tcp::endpoint HttpServer::local_endpoint() const { return acceptor_.local_endpoint(); }

asio::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Typically EMFILE: back off instead of spinning, the listener stays up.
      spdlog::warn("backend {}: accept failed: {}", name_, ec.message());
      asio::steady_timer delay(acceptor_.get_executor(), kAcceptRetryDelay);
      co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    set_cloexec(socket.native_handle());
    asio::co_spawn(acceptor_.get_executor(), serve_connection(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::serve_connection(tcp::socket socket) {
  boost::beast::flat_buffer buffer(kMaxRequestBytes);
  boost::system::error_code ec;
  for (;;) {
    http::request<http::string_body> request;
    co_await http::async_read(socket, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // closed by the client, reset, or not HTTP: nothing to answer

    // A hung backend behaves like a frozen process: it holds the connection and says nothing.
    co_await model_.wait_while_hung();
    unsigned status = 0;
    std::string_view body = body_;
    if (path_of(request.target()) == health_path_) {
      status = model_.health_status();
      body = status == kStatusOk ? "ok\n" : "unhealthy\n";
    } else {
      status = co_await model_.serve();
      co_await model_.wait_while_hung();  // hang applied while the request was in service
    }
    co_await write_response(socket, request, status, name_, body, ec);
    if (ec || !request.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace lbchaos::backend

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
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <iterator>

#include "harness/common/errors.h"

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::beast::string_view;  // Beast 1.74 speaks boost::string_view
using boost::system::error_code;

constexpr std::size_t kMaxRequestBytes = 64 * 1024;  // header + body; haproxy sends small GETs
constexpr std::size_t kInitialBufferBytes = 4096;
constexpr std::size_t kMaxReadBytes = 64 * 1024;  // per read, as Beast's http::async_read
constexpr std::size_t kMaxCachedResponses = 64;
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

std::string_view path_of(string_view target) {
  const std::string_view text(target.data(), target.size());
  return text.substr(0, text.find('?'));
}

// Beast's request parser (same limits and framing as http::async_read into a
// request<string_body>: 8 KiB of header, 1 MiB of body) keeping only what the answer depends
// on. The body is read and discarded; nothing is allocated.
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(std::string_view health_path) : health_path_(health_path) {
    eager(true);  // parse the body along with the header, as http::async_read does
  }

  [[nodiscard]] bool head() const { return head_; }
  [[nodiscard]] bool health() const { return health_; }
  [[nodiscard]] unsigned version() const { return version_; }

 private:
  void on_request_impl(http::verb method, string_view /*method_string*/, string_view target,
                       int version, error_code& /*ec*/) override {
    head_ = method == http::verb::head;
    health_ = path_of(target) == health_path_;
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int /*code*/, string_view /*reason*/, int /*version*/,
                        error_code& /*ec*/) override {}
  void on_field_impl(http::field /*name*/, string_view /*name_string*/, string_view /*value*/,
                     error_code& /*ec*/) override {}
  void on_header_impl(error_code& /*ec*/) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& /*content_length*/,
                         error_code& /*ec*/) override {}
  std::size_t on_body_impl(string_view body, error_code& /*ec*/) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t /*size*/, string_view /*extensions*/,
                            error_code& /*ec*/) override {}
  std::size_t on_chunk_body_impl(std::uint64_t /*remain*/, string_view body,
                                 error_code& /*ec*/) override {
    return body.size();
  }
  void on_finish_impl(error_code& /*ec*/) override {}

  std::string_view health_path_;
  bool head_ = false;
  bool health_ = false;
  unsigned version_ = 11;
};

// The bytes Beast would serialize for a response with these header fields (in this order),
// its keep_alive() applied and its payload prepared: HEAD gets the same header (Content-Length
// included) without a body.
void format_response(std::string& out, unsigned status, unsigned version, bool keep_alive,
                     bool head, std::string_view server_name, std::string_view body) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  out.clear();
  auto it = std::back_inserter(out);
  fmt::format_to(it, "HTTP/{}.{} {} {}\r\n{}: {}\r\nContent-Type: text/plain\r\n", version / 10,
                 version % 10, status, std::string_view(reason.data(), reason.size()),
                 kServerHeader, server_name);
  // HTTP/1.1 keeps connections alive unless told otherwise, HTTP/1.0 closes them unless told.
  if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
  fmt::format_to(it, "Content-Length: {}\r\n\r\n", body.size());
  if (!head) out += body;
}

// Reads until `parser` holds one complete request. Any error (end of stream, reset, not HTTP,
// a limit exceeded) ends the connection: there is nothing to answer.
asio::awaitable<void> read_request(tcp::socket& socket, boost::beast::flat_buffer& buffer,
                                   RequestParser& parser, error_code& ec) {
  for (;;) {
    if (buffer.size() != 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (!ec && parser.is_done()) co_return;
      if (ec && ec != http::error::need_more) co_return;
      ec = {};
      if (used != 0 && buffer.size() != 0) continue;
    }
    const std::size_t size = boost::beast::read_size(buffer, kMaxReadBytes);
    if (size == 0) {
      ec = http::error::buffer_overflow;
      co_return;
    }
    const std::size_t n = co_await socket.async_read_some(
        buffer.prepare(size), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    buffer.commit(n);
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& listen, ServiceModel& model,
                       std::string name, std::string health_path)
    : acceptor_(io),
      model_(model),
      name_(std::move(name)),
      health_path_(std::move(health_path)),
      body_(name_ + "\n") {
  responses_.reserve(kMaxCachedResponses);  // never reallocated: views into it stay valid
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

void HttpServer::set_health_answer(unsigned status, std::string body) {
  health_ok_status_ = status;
  health_ok_body_ = std::move(body);
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

std::string_view HttpServer::response_bytes(const ResponseKey& key, std::string& scratch) {
  for (const CachedResponse& cached : responses_) {
    if (cached.key == key) return cached.bytes;
  }
  std::string& out = responses_.size() < kMaxCachedResponses
                         ? responses_.emplace_back(CachedResponse{key, {}}).bytes
                         : scratch;
  format_response(out, key.status, key.version, key.keep_alive, key.head, name_, key.body);
  return out;
}

asio::awaitable<void> HttpServer::serve_connection(tcp::socket socket) {
  boost::beast::flat_buffer buffer(kMaxRequestBytes);
  buffer.reserve(kInitialBufferBytes);
  std::string scratch;  // an answer that did not fit in the cache
  error_code ec;
  socket.non_blocking(true, ec);  // answers are sent at once when the socket has room
  while (!ec) {
    RequestParser request(health_path_);
    co_await read_request(socket, buffer, request, ec);
    if (ec) break;  // closed by the client, reset, or not HTTP: nothing to answer

    // A hung backend behaves like a frozen process: it holds the connection and says nothing.
    if (model_.hung()) co_await model_.wait_while_hung();
    unsigned status = 0;
    std::string_view body = body_;
    if (request.health()) {
      status = model_.health_status();
      body = status == kStatusOk ? std::string_view(health_ok_body_)
                                 : std::string_view("unhealthy\n");
      if (status == kStatusOk) status = health_ok_status_;
    } else if (const auto now = model_.try_serve_now()) {
      status = *now;  // answered without waiting: the backend cannot have started hanging
    } else {
      status = co_await model_.serve();
      if (model_.hung()) co_await model_.wait_while_hung();  // hang applied while in service
    }
    const bool keep_alive = request.keep_alive();
    const std::string_view bytes = response_bytes(
        {.status = status, .version = request.version(), .keep_alive = keep_alive,
         .head = request.head(), .body = body},
        scratch);
    std::size_t sent = socket.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      sent = 0;
    }
    if (!ec && sent < bytes.size()) {
      co_await asio::async_write(socket, asio::buffer(bytes.data() + sent, bytes.size() - sent),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!keep_alive) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace lbchaos::backend

#include "harness/observe/http_request.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

namespace lbchaos::observe {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

asio::awaitable<HttpResponse> http_request(const topology::Endpoint& endpoint,
                                           std::string_view target,
                                           std::chrono::milliseconds timeout,
                                           std::string_view body, std::string_view content_type) {
  HttpResponse response;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) {
    response.error = fmt::format("bad address {}: {}", endpoint.host, ec.message());
    co_return response;
  }
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  const auto failed = [&](std::string_view step) {
    response.error = ec == beast::error::timeout
                         ? fmt::format("timed out after {} ms ({})", timeout.count(), step)
                         : fmt::format("{}: {}", step, ec.message());
    return response;
  };

  const asio::ip::tcp::endpoint peer(address, static_cast<unsigned short>(endpoint.port));
  co_await stream.async_connect(peer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("connect");

  http::request<http::string_body> request(body.empty() ? http::verb::get : http::verb::post,
                                           std::string(target), 11);
  request.set(http::field::host, endpoint.to_string());
  request.set(http::field::connection, "close");
  request.set(http::field::user_agent, "lbchaos");
  if (!body.empty()) {
    request.set(http::field::content_type, std::string(content_type));
    request.body() = std::string(body);
    request.prepare_payload();
  }
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("send");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);  // an exporter with many servers answers megabytes
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failed("read");

  response.ok = true;
  response.status = static_cast<int>(parser.get().result_int());
  response.body = std::move(parser.get().body());
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  co_return response;
}

}  // namespace lbchaos::observe

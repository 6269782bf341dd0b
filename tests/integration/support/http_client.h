#pragma once

// A tiny blocking HTTP/1.1 client for integration tests: plain POSIX sockets, every wait
// bounded by a real-time timeout. Header-only (tests/integration/*.cc is globbed flat).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lbchaos::test_support {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The value of a header (name in any case), or "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const {
    std::string key(name);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = headers.find(key);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One client connection; requests may be pipelined one at a time (send, then read).
class HttpConnection {
 public:
  HttpConnection(const std::string& host, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
      throw std::runtime_error("http client: not an IPv4 address: " + host);
    }
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      fail("connect to " + host + ":" + std::to_string(port));
    }
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Sends "GET path HTTP/1.x" with a Host header and any `extra_headers` ("Name: value\r\n"...).
  void send_get(std::string_view path, std::string_view extra_headers = {},
                std::string_view version = "HTTP/1.1") {
    std::string request;
    request.append("GET ").append(path).append(" ").append(version).append("\r\n");
    request.append("Host: 127.0.0.1\r\n").append(extra_headers).append("\r\n");
    std::size_t sent = 0;
    while (sent < request.size()) {
      const auto n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("send");
      sent += static_cast<std::size_t>(n);
    }
  }

  // One complete response, or nullopt when none arrived within `timeout`. Throws when the
  // server closes the connection or sends something that is not HTTP.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto response = take_response()) return response;
      if (!receive_until(deadline)) return std::nullopt;
    }
  }

  // True when the server closes the connection (EOF) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    try {
      while (receive_until(deadline)) {
      }
      return false;
    } catch (const std::runtime_error&) {
      return true;
    }
  }

 private:
  [[noreturn]] static void fail(const std::string& what) {
    throw std::runtime_error("http client: " + what + ": " + std::strerror(errno));
  }

  // Appends what arrives before `deadline` to buffer_; false on timeout, throws on EOF.
  bool receive_until(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) fail("poll");
      if (ready == 0) return false;
      char chunk[4096];
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("recv");
      if (n == 0) throw std::runtime_error("http client: connection closed by the server");
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  // Parses one response from the front of buffer_ if it is complete (Content-Length framing).
  std::optional<HttpResponse> take_response() {
    const auto header_end = buffer_.find("\r\n\r\n");
    if (header_end == std::string::npos) return std::nullopt;
    HttpResponse response;
    const std::string_view head(buffer_.data(), header_end);
    auto line_end = head.find("\r\n");
    const auto status_line = head.substr(0, line_end);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
      throw std::runtime_error("http client: bad status line: " + std::string(status_line));
    }
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    while (line_end != std::string_view::npos) {
      const auto start = line_end + 2;
      line_end = head.find("\r\n", start);
      const auto line = head.substr(start, line_end == std::string_view::npos ? std::string_view::npos
                                                                              : line_end - start);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response.headers[name] = std::string(value);
    }
    const auto length_text = response.header("content-length");
    const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    const auto body_start = header_end + 4;
    if (buffer_.size() < body_start + length) return std::nullopt;
    response.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return response;
  }

  int fd_ = -1;
  std::string buffer_;
};

// One GET on a fresh connection; throws when no response arrives within `timeout`.
inline HttpResponse http_get(const std::string& host, std::uint16_t port, std::string_view path,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  HttpConnection connection(host, port);
  connection.send_get(path, "Connection: close\r\n");
  auto response = connection.read_response(timeout);
  if (!response) {
    throw std::runtime_error("http client: no response to GET " + std::string(path) + " within " +
                             std::to_string(timeout.count()) + "ms");
  }
  return *response;
}

}  // namespace lbchaos::test_support

#include "harness/backend/tcp_persona_server.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>

#include "harness/common/errors.h"

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Script = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxPending = 64 * 1024;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (const unsigned v : values) out += static_cast<char>(v);
  return out;
}

// A MySQL 8.0 protocol-10 initial handshake (what `option mysql-check` reads first).
std::string mysql_greeting() {
  std::string payload = bytes({0x0a});
  payload += std::string("8.0.19-lbchaos") + '\0';
  payload += bytes({0x0a, 0, 0, 0});                           // connection id
  payload += std::string("lbchaos!") + '\0';                   // auth data part 1 + filler
  payload += bytes({0xff, 0xff, 0x21, 0x02, 0x00, 0xff, 0xc7});  // caps, charset, status, caps
  payload += bytes({21});                                      // auth data length
  payload += std::string(10, '\0');                            // reserved
  payload += std::string("lbchaos-salt") + '\0';               // auth data part 2
  payload += std::string("mysql_native_password") + '\0';
  std::string packet = bytes({static_cast<unsigned>(payload.size() & 0xff),
                              static_cast<unsigned>((payload.size() >> 8) & 0xff), 0, 0});
  return packet + payload;
}

std::string mysql_ok(unsigned sequence) {
  return bytes({7, 0, 0, sequence & 0xff, 0, 0, 0, 2, 0, 0, 0});
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

bool looks_like_http(const std::string& received) {
  for (const std::string_view method : {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ",
                                        "PATCH "}) {
    if (received.starts_with(method)) return true;
  }
  return false;
}

std::string http_answer(const std::string& name) {
  const std::string body = name + "\n";
  return fmt::format(
      "HTTP/1.1 200 OK\r\nX-Lbchaos-Server: {}\r\nContent-Type: text/plain\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
      name, body.size(), body);
}

// One Redis command (inline or a RESP array) from the front of `received`, removed from it.
std::optional<std::vector<std::string>> take_redis_command(std::string& received) {
  if (received.empty()) return std::nullopt;
  if (received.front() != '*') {
    const auto end = received.find('\n');
    if (end == std::string::npos) return std::nullopt;
    std::string line = received.substr(0, end);
    received.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ') ++i;
      const auto start = i;
      while (i < line.size() && line[i] != ' ') ++i;
      if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
  }
  std::size_t pos = received.find("\r\n");
  if (pos == std::string::npos) return std::nullopt;
  const int count = std::atoi(received.c_str() + 1);
  std::vector<std::string> words;
  pos += 2;
  for (int i = 0; i < count; ++i) {
    const auto end = received.find("\r\n", pos);
    if (end == std::string::npos || received[pos] != '$') return std::nullopt;
    const auto length = static_cast<std::size_t>(std::atoi(received.c_str() + pos + 1));
    if (received.size() < end + 2 + length + 2) return std::nullopt;
    words.push_back(received.substr(end + 2, length));
    pos = end + 2 + length + 2;
  }
  received.erase(0, pos);
  return words;
}

TcpPersonaServer::Answer redis_answer(std::string& received) {
  TcpPersonaServer::Answer out;
  while (auto command = take_redis_command(received)) {
    if (command->empty()) continue;
    const auto verb = upper(command->front());
    if (verb == "PING") out.bytes += command->size() > 1 ? fmt::format("+{}\r\n", (*command)[1])
                                                         : "+PONG\r\n";
    else if (verb == "INFO") {
      const std::string info = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n";
      out.bytes += fmt::format("${}\r\n{}\r\n", info.size(), info);
    } else if (verb == "QUIT") {
      out.bytes += "+OK\r\n";
      out.close = true;
      return out;
    } else if (verb == "GET") out.bytes += "$-1\r\n";
    else if (verb == "ECHO" && command->size() > 1) {
      out.bytes += fmt::format("${}\r\n{}\r\n", (*command)[1].size(), (*command)[1]);
    } else out.bytes += "+OK\r\n";
  }
  return out;
}

TcpPersonaServer::Answer smtp_answer(std::string& received) {
  TcpPersonaServer::Answer out;
  for (auto end = received.find('\n'); end != std::string::npos; end = received.find('\n')) {
    const auto verb = upper(received.substr(0, std::min<std::size_t>(4, end)));
    received.erase(0, end + 1);
    if (verb == "QUIT") {
      out.bytes += "221 lbchaos closing\r\n";
      out.close = true;
      return out;
    }
    out.bytes += verb == "EHLO" || verb == "HELO" ? "250 lbchaos\r\n" : "250 OK\r\n";
  }
  return out;
}

}  // namespace

std::string TcpPersonaServer::greeting(const std::string& persona, const Script& script,
                                       std::size_t& script_step) {
  if (persona == "mysql") return mysql_greeting();
  if (persona == "smtp") return "220 lbchaos ESMTP ready\r\n";
  std::string out;
  while (persona == "tcp" && script_step < script.size() && script[script_step].first.empty()) {
    out += script[script_step++].second;
  }
  return out;
}

TcpPersonaServer::Answer TcpPersonaServer::answer(const std::string& persona,
                                                  const Script& script, std::size_t& script_step,
                                                  std::string& received, const std::string& name) {
  Answer out;
  if (persona == "redis") return redis_answer(received);
  if (persona == "smtp") return smtp_answer(received);
  if (persona == "mysql") {
    if (received.size() < 4) return out;
    const auto length = static_cast<unsigned char>(received[0]) |
                        (static_cast<unsigned char>(received[1]) << 8) |
                        (static_cast<unsigned char>(received[2]) << 16);
    if (received.size() < 4 + static_cast<std::size_t>(length)) return out;
    const auto sequence = static_cast<unsigned char>(received[3]);
    const bool quit = length >= 1 && static_cast<unsigned char>(received[4]) == 0x01;
    received.erase(0, 4 + length);
    if (quit) {
      out.close = true;
      return out;
    }
    out.bytes = mysql_ok(sequence + 1U);
    return out;
  }
  if (persona == "pgsql") {
    if (received.size() < 8) return out;
    received.clear();
    out.bytes = bytes({'R', 0, 0, 0, 8, 0, 0, 0, 0, 'Z', 0, 0, 0, 5, 'I'});
    return out;
  }
  if (persona == "ldap") {
    if (received.size() < 2) return out;
    received.clear();
    out.bytes = bytes({0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00,
                       0x04, 0x00});
    return out;
  }
  // tcp: the script first, then HTTP or an echo.
  while (script_step < script.size()) {
    const auto& [send, expect] = script[script_step];
    const auto found = received.find(send);
    if (found == std::string::npos) return out;
    received.erase(0, found + send.size());
    out.bytes += expect;
    ++script_step;
    while (script_step < script.size() && script[script_step].first.empty()) {
      out.bytes += script[script_step++].second;
    }
    if (received.empty()) return out;
  }
  if (looks_like_http(received)) {
    if (received.find("\r\n\r\n") == std::string::npos) return out;
    received.clear();
    out.bytes = http_answer(name);
    out.close = true;
    return out;
  }
  out.bytes += received;
  received.clear();
  return out;
}

TcpPersonaServer::TcpPersonaServer(asio::io_context& io, const tcp::endpoint& listen,
                                   ServiceModel& model, std::string name, std::string persona,
                                   Script script)
    : acceptor_(io),
      model_(model),
      name_(std::move(name)),
      persona_(std::move(persona)),
      script_(std::move(script)) {
  try {
    acceptor_.open(listen.protocol());
    const int flags = ::fcntl(acceptor_.native_handle(), F_GETFD);
    if (flags >= 0) ::fcntl(acceptor_.native_handle(), F_SETFD, flags | FD_CLOEXEC);
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    const int on = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      throw boost::system::system_error(errno, boost::system::system_category(), "SO_REUSEPORT");
    }
    acceptor_.bind(listen);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw EnvironmentError(fmt::format("backend {}: cannot listen on {}:{}: {}", name_,
                                       listen.address().to_string(), listen.port(),
                                       e.code().message()));
  }
}

void TcpPersonaServer::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

tcp::endpoint TcpPersonaServer::local_endpoint() const { return acceptor_.local_endpoint(); }

asio::awaitable<void> TcpPersonaServer::accept_loop() {
  for (;;) {
    error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("backend {}: accept failed: {}", name_, ec.message());
      asio::steady_timer delay(acceptor_.get_executor(), kAcceptRetryDelay);
      co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const int flags = ::fcntl(socket.native_handle(), F_GETFD);
    if (flags >= 0) ::fcntl(socket.native_handle(), F_SETFD, flags | FD_CLOEXEC);
    asio::co_spawn(acceptor_.get_executor(), serve_connection(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> TcpPersonaServer::serve_connection(tcp::socket socket) {
  error_code ec;
  if (model_.hung()) co_await model_.wait_while_hung();
  std::size_t step = 0;
  const std::string hello = greeting(persona_, script_, step);
  if (!hello.empty()) {
    co_await asio::async_write(socket, asio::buffer(hello), asio::redirect_error(asio::use_awaitable, ec));
  }
  std::string received;
  char chunk[4096];
  while (!ec) {
    const std::size_t n = co_await socket.async_read_some(
        asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    received.append(chunk, n);
    if (model_.hung()) co_await model_.wait_while_hung();
    const Answer reply = answer(persona_, script_, step, received, name_);
    if (!reply.bytes.empty()) {
      co_await asio::async_write(socket, asio::buffer(reply.bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (reply.close || received.size() > kMaxPending) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace lbchaos::backend

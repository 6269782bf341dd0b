#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/backend/service_model.h"

// The built-in backend's TCP personas: just enough of a protocol to pass haproxy's protocol
// health checks, and otherwise an echo, so that the load balancer (what is under test) sees a
// healthy server that answers. Personas:
//  - "tcp": the reply lines of the config's tcp-check script (a `send` answered by its
//    `expect`; an `expect` before any `send` is a greeting), else an echo; a request that
//    starts like HTTP/1.x gets a small HTTP answer (TCP-mode proxies often carry HTTP);
//  - "redis": PING -> +PONG, INFO -> role:master, QUIT -> +OK and close, GET -> nil, other
//    commands -> +OK (inline and RESP arrays);
//  - "mysql": a protocol-10 greeting (`option mysql-check`), then an OK packet to anything;
//  - "pgsql": AuthenticationOk and ReadyForQuery to a startup message (`option pgsql-check`);
//  - "smtp": a 220 greeting, 250 to EHLO/HELO and other commands, 221 to QUIT (`option smtpchk`);
//  - "ldap": a successful bind response (`option ldap-check`).
// A hung backend (ServiceModel::hung) answers nothing, as the HTTP side does.
namespace lbchaos::backend {

class TcpPersonaServer {
 public:
  // Binds and listens at once (SO_REUSEADDR, SO_REUSEPORT, CLOEXEC). Throws EnvironmentError.
  TcpPersonaServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
                   ServiceModel& model, std::string name, std::string persona,
                   std::vector<std::pair<std::string, std::string>> script);
  TcpPersonaServer(const TcpPersonaServer&) = delete;
  TcpPersonaServer& operator=(const TcpPersonaServer&) = delete;

  void start();
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

  // The answer to `received` (bytes not yet answered are left in it); `close` set when the
  // persona ends the conversation. Exposed for tests.
  struct Answer {
    std::string bytes;
    bool close = false;
  };
  [[nodiscard]] static Answer answer(const std::string& persona,
                                     const std::vector<std::pair<std::string, std::string>>& script,
                                     std::size_t& script_step, std::string& received,
                                     const std::string& name);
  [[nodiscard]] static std::string greeting(
      const std::string& persona, const std::vector<std::pair<std::string, std::string>>& script,
      std::size_t& script_step);

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  ServiceModel& model_;
  std::string name_;
  std::string persona_;
  std::vector<std::pair<std::string, std::string>> script_;
};

}  // namespace lbchaos::backend

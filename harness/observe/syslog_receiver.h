#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/observe/haproxy_log.h"

namespace lbchaos::observe {

// A server health change as haproxy logged it, stamped on the harness clock when received.
struct HealthEvent {
  MonoTime at;
  int instance = 0;
  ServerStateChange change;
};

// Receives one haproxy instance's logs (UDP syslog on a loopback port), stamps every message
// on the harness's monotonic clock, writes them to a log file in the run directory and keeps
// the server state changes for probes and the journal.
class SyslogReceiver {
 public:
  using Listener = std::function<void(MonoTime, std::string_view message)>;

  SyslogReceiver(boost::asio::io_context& io, int instance, std::filesystem::path log_file);

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::vector<HealthEvent>& health_events() const { return health_events_; }
  [[nodiscard]] std::size_t messages_received() const { return messages_; }
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  // Receives until close() is called.
  boost::asio::awaitable<void> run();
  void close();

 private:
  void handle(std::string_view datagram);

  boost::asio::ip::udp::socket socket_;
  int instance_;
  int port_ = 0;
  std::ofstream log_;
  std::vector<HealthEvent> health_events_;
  std::vector<Listener> listeners_;
  std::size_t messages_ = 0;
};

}  // namespace lbchaos::observe

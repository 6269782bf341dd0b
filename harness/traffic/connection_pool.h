#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/traffic/http_response_parser.h"
#include "harness/traffic/tcp_answer.h"

// The load generator's keep-alive connections. One object per slot, made once and reused for
// every TCP connection that slot carries, so a request allocates nothing.
namespace lbchaos::traffic {

using TcpSocket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

struct Connection {
  enum class State : std::uint8_t { kFree, kIdle, kBusy };

  explicit Connection(const boost::asio::io_context::executor_type& executor) : socket(executor) {}

  TcpSocket socket;
  HttpResponseParser parser;
  TcpAnswer tcp_answer;  // protocol = "tcp"
  std::int64_t deadline_ns = 0;  // while busy: when the request times out
  std::uint32_t id = 0;          // generator connection id of the TCP connection it carries
  std::uint16_t client = 0;      // index of its source address
  std::uint8_t instance = 0;     // haproxy instance it is connected to (or about to be)
  State state = State::kFree;
  bool timed_out = false;
  bool keep_alive = false;  // the last response allows another request
  std::string request;      // the bytes of the request in flight (reused: no allocation)
  std::array<char, 4096> buffer{};
};

class ConnectionPool {
 public:
  ConnectionPool(const boost::asio::io_context::executor_type& executor, int max_connections,
                 int clients, int instances);

  // A connection for a request of `client` to `instance`, marked busy: an idle one of that
  // client, else a new one (closed socket) while under the cap, else another client's idle one
  // to that instance, else an idle one to another instance closed for reuse. nullptr when every
  // connection is busy: the caller drops the request.
  Connection* acquire(int instance, int client);
  // Keeps `connection` open for the next request of its client.
  void release_idle(Connection& connection);
  // Closes `connection` and frees its slot.
  void release_closed(Connection& connection);
  // Closes every busy connection whose deadline has passed (marking it timed out): the request
  // waiting on it fails at once.
  void expire(std::int64_t now_ns);
  // Closes every idle connection (the end of a run).
  void close_idle();

 private:
  std::vector<Connection*>& idle_list(int instance, int client) {
    return idle_[static_cast<std::size_t>(instance * clients_ + client)];
  }
  Connection* take_idle(int instance, int client);
  Connection* take_any_idle(int instance);

  boost::asio::io_context::executor_type executor_;
  std::size_t max_connections_;
  int clients_;
  int instances_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> free_;
  std::vector<std::vector<Connection*>> idle_;  // per (instance, client), most recent last
  std::vector<int> idle_count_;                 // per instance
};

}  // namespace lbchaos::traffic

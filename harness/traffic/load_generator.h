#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/clock.h"
#include "harness/traffic/connection_pool.h"
#include "harness/traffic/load_options.h"
#include "harness/traffic/request_record.h"

// The traffic generator (see ../shared/notes/measurement.md for the load model). Open loop:
// request i is due at start + i/rate whatever the servers do; a request that finds every
// connection busy is recorded as dropped, never delayed. Each request is recorded once with its
// intended, sent and done times on the run's clock. Each request carries its sequence number in
// an X-Lbchaos-Request header, so haproxy's log can name the server that served it
// (harness/common/request_id.h). Runs on the harness's one io_context thread.
namespace lbchaos::traffic {

class LoadGenerator {
 public:
  // Throws InputError for options it cannot run (no target, rate <= 0 in open loop, ...).
  LoadGenerator(boost::asio::io_context& io, LoadOptions options);
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Issues requests from `start` for the configured duration (or until request_stop()) and
  // returns once every issued request has completed or failed. Call once.
  boost::asio::awaitable<void> run(MonoTime start);

  // Ctrl-C: issue no new request; the ones in flight finish or time out.
  void request_stop();

  // One record per issued request, in issue order (records()[i].seq == i). Grows while running.
  [[nodiscard]] const std::vector<RequestRecord>& records() const { return records_; }
  [[nodiscard]] ServerTable& servers() { return servers_; }
  // Names the server ("backend/server") of record `index`, whose response named none (command
  // backends send no X-Lbchaos-Server): from haproxy's log line for its request id.
  void attribute_server(std::size_t index, std::string_view server);
  [[nodiscard]] const LoadOptions& options() const { return options_; }
  [[nodiscard]] const RequestMix& mix() const { return mix_; }

  // Live counters for a progress line.
  [[nodiscard]] std::uint64_t sent() const { return sent_; }            // sending started
  [[nodiscard]] std::uint64_t completed() const { return completed_; }  // finished, ok()
  [[nodiscard]] std::uint64_t failed() const { return failed_; }  // finished, !ok(): dropped too
  [[nodiscard]] std::uint64_t in_flight() const { return in_flight_; }
  // Open loop: how many requests the whole schedule holds (0 in closed loop).
  [[nodiscard]] std::size_t scheduled() const { return scheduled_; }
  // Why the last kOther connection failed (EMFILE, EADDRNOTAVAIL...), for the report; empty
  // when there was none.
  [[nodiscard]] const std::string& last_local_error() const { return last_local_error_; }

 private:
  using Executor = boost::asio::io_context::executor_type;

  boost::asio::awaitable<void> run_open_loop();
  boost::asio::awaitable<void> run_closed_loop();
  boost::asio::awaitable<void> closed_loop_worker(int worker);
  // Sleeps until `until` or a wake-up, expiring timed-out requests on the way.
  boost::asio::awaitable<void> wait_until(MonoTime until);
  boost::asio::awaitable<void> drain();

  // A new record for request `seq`; returns its index.
  std::size_t add_record(std::int64_t intended_ns);
  void issue_open_loop(std::size_t index);
  // Sends request `index` on `connection` (connecting it first when needed) and records the
  // outcome; gives the connection back to the pool.
  boost::asio::awaitable<void> serve(Connection& connection, std::size_t index);
  boost::asio::awaitable<ErrorClass> connect(Connection& connection, int instance);
  boost::asio::awaitable<ErrorClass> connect_with_failover(Connection& connection);
  void compose_request(Connection& connection, std::size_t index, std::uint32_t seq);
  boost::asio::awaitable<ErrorClass> exchange(Connection& connection, const std::string& request);
  boost::asio::awaitable<ErrorClass> read_tcp_answer(Connection& connection);
  void finish(Connection& connection, std::size_t index, ErrorClass error);
  void sweep(MonoTime now);

  Executor executor_;
  LoadOptions options_;
  std::vector<boost::asio::ip::tcp::endpoint> targets_;
  std::vector<boost::asio::ip::address_v4> client_addresses_;
  RequestMix mix_;
  // [instance][template]: the bytes to send up to the request id (kRequestIdHeader's value)
  std::vector<std::vector<std::string>> request_heads_;
  ConnectionPool pool_;
  boost::asio::steady_timer wake_;
  Duration sweep_interval_;
  MonoTime next_sweep_{};
  MonoTime start_{};
  MonoTime end_{};
  std::size_t scheduled_ = 0;  // open loop: how many requests the schedule holds

  std::vector<RequestRecord> records_;
  ServerTable servers_;
  std::uint64_t sent_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t in_flight_ = 0;
  std::uint32_t next_connection_id_ = 0;
  int workers_ = 0;
  std::string last_local_error_;
  bool started_ = false;
  bool stop_ = false;
  bool draining_ = false;
};

}  // namespace lbchaos::traffic

// The traffic generator against the real built-in backend (no haproxy): what it records is
// what a probe will later judge, so every record is checked against what the backend did.

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include "harness/traffic/load_generator.h"
// clang-format on

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/backend/control_client.h"
#include "harness/common/errors.h"
#include "harness/process/port_reservation.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos::traffic {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test_support::LbchaosProcess;
using test_support::TempDir;

constexpr auto kStartTimeout = 10s;
constexpr const char* kHost = "127.0.0.1";

std::string control_command(const std::filesystem::path& socket, const std::string& command) {
  asio::io_context io;
  auto reply =
      asio::co_spawn(io, backend::control_request(socket, command, 2000ms), asio::use_future);
  io.run();
  return reply.get();
}

// `lbchaos backend` on a reserved loopback port, ready once its control socket answers.
class Backend {
 public:
  explicit Backend(const TempDir& dir, const std::vector<std::string>& extra_args = {})
      : reservation_(kHost), control_(dir / "web1.ctl") {
    std::vector<std::string> args = {"backend",
                                     "--name",
                                     "app/web1",
                                     "--listen",
                                     std::string(kHost) + ":" + std::to_string(reservation_.port()),
                                     "--control",
                                     control_.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<LbchaosProcess>(args, dir.path());
    const bool ready = test_support::eventually(
        [&] {
          if (process_->wait(0ms)) return true;
          try {
            return control("ping") == "pong";
          } catch (const std::runtime_error&) {
            return false;
          }
        },
        kStartTimeout);
    if (!ready || process_->wait(0ms)) {
      throw std::runtime_error("backend not ready within 10s:\n" + process_->output());
    }
  }

  std::string control(const std::string& command) const {
    return control_command(control_, command);
  }
  [[nodiscard]] topology::Endpoint endpoint() const { return {kHost, reservation_.port()}; }

 private:
  process::PortReservation reservation_;
  std::filesystem::path control_;
  std::unique_ptr<LbchaosProcess> process_;
};

struct RunResult {
  std::vector<RequestRecord> records;
  std::vector<std::string> servers;
  std::uint64_t sent = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
};

LoadOptions open_loop(double rate, Duration duration, std::vector<topology::Endpoint> targets) {
  LoadOptions options;
  options.rate = rate;
  options.duration = duration;
  options.clients = 8;
  options.max_connections = 100;
  options.timeout = 2s;
  options.paths = {"/", "/a?x=1"};
  options.targets = std::move(targets);
  return options;
}

// Runs the generator to completion on its own io_context; `during` may act on it meanwhile.
RunResult run(const LoadOptions& options,
              const std::function<void(asio::io_context&, LoadGenerator&)>& during = {}) {
  asio::io_context io(1);
  LoadGenerator generator(io, options);
  auto done = asio::co_spawn(io, generator.run(mono_now()), asio::use_future);
  if (during) during(io, generator);
  io.run();
  done.get();
  return {generator.records(), generator.servers().names(), generator.sent(), generator.completed(),
          generator.failed()};
}

std::size_t count(const std::vector<RequestRecord>& records, ErrorClass error) {
  return static_cast<std::size_t>(std::count_if(records.begin(), records.end(),
                                                [&](const auto& r) { return r.error == error; }));
}

std::string describe(const RequestRecord& r) {
  return "seq " + std::to_string(r.seq) + " error " + std::string(to_string(r.error)) + " status " +
         std::to_string(r.status) + " instance " + std::to_string(r.instance);
}

// A tiny in-test HTTP server: answers every request with 200 and an empty body, remembers the
// client addresses it saw, and can close each connection right after answering, without saying
// so (a server whose keep-alive timeout is shorter than the client's pause).
class RawServer {
 public:
  RawServer(asio::io_context& io, bool close_after_response)
      : acceptor_(io, {asio::ip::make_address(kHost), 0}),
        close_after_response_(close_after_response) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  [[nodiscard]] topology::Endpoint endpoint() const {
    return {kHost, acceptor_.local_endpoint().port()};
  }
  [[nodiscard]] const std::set<std::string>& clients() const { return clients_; }
  [[nodiscard]] int connections() const { return connections_; }
  // Every request head received (request line and headers), in arrival order.
  [[nodiscard]] const std::vector<std::string>& requests() const { return requests_; }
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections_;
      clients_.insert(socket.remote_endpoint().address().to_string());
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
    std::string input;
    boost::system::error_code ec;
    for (;;) {
      const auto n =
          co_await asio::async_read_until(socket, asio::dynamic_buffer(input), "\r\n\r\n",
                                          asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      requests_.push_back(input.substr(0, n));
      input.erase(0, n);
      constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      co_await asio::async_write(socket, asio::buffer(kResponse),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec || close_after_response_) co_return;
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  bool close_after_response_;
  std::set<std::string> clients_;
  std::vector<std::string> requests_;
  int connections_ = 0;
};

class LoadGeneratorTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

// The open loop's promise, judged on the actual send times: every request the schedule holds is
// sent or counted as dropped, the sends keep the target rate, and each goes out when it is due.
// The bounds hold on a loaded 2-core machine (the median ignores the odd scheduling hiccup) but
// catch a generator that falls behind (late last send, low rate) or sends in bursts (the median
// request waits for its burst: half the burst period).
TEST_F(LoadGeneratorTest, OpenLoopSendsEveryRequestOnScheduleAtTheTargetRate) {
  constexpr double kRate = 200;
  constexpr std::size_t kScheduled = 400;  // 2 s at 200 req/s
  Backend backend(dir_, {"--latency", "5ms"});
  const auto result = run(open_loop(kRate, 2s, {backend.endpoint()}));
  const auto& records = result.records;

  ASSERT_EQ(records.size(), kScheduled) << "one record per scheduled request";
  ASSERT_EQ(result.servers.size(), 1u);
  EXPECT_EQ(result.servers[0], "app/web1");
  std::set<std::uint32_t> connections;
  std::vector<std::int64_t> lags_ns;
  std::int64_t first_sent = 0;
  std::int64_t last_sent = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    EXPECT_EQ(r.seq, i);
    if (i > 0) {
      EXPECT_GT(r.intended_ns, records[i - 1].intended_ns);
    }
    if (r.error == ErrorClass::kDropped) {
      EXPECT_EQ(r.sent_ns, 0) << "a dropped request is never sent";
      continue;
    }
    ASSERT_NE(r.sent_ns, 0) << "neither sent nor dropped: " << describe(r);
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.server, 0);
    EXPECT_EQ(r.instance, 0);
    EXPECT_GE(r.sent_ns, r.intended_ns) << "never sent before it is due";
    EXPECT_GE(r.raw_latency_ns(), std::chrono::nanoseconds(5ms).count())
        << "the backend's service time";
    EXPECT_GE(r.latency_ns(), r.raw_latency_ns());
    lags_ns.push_back(r.sent_ns - r.intended_ns);
    first_sent = first_sent == 0 ? r.sent_ns : std::min(first_sent, r.sent_ns);
    last_sent = std::max(last_sent, r.sent_ns);
    connections.insert(r.connection);
  }
  EXPECT_EQ(count(records, ErrorClass::kDropped), 0u)
      << "100 connections for 200 req/s of 5 ms requests: none should be short";
  ASSERT_GE(lags_ns.size(), kScheduled * 9 / 10);

  std::nth_element(lags_ns.begin(), lags_ns.begin() + lags_ns.size() / 2, lags_ns.end());
  const auto median_lag = std::chrono::nanoseconds(lags_ns[lags_ns.size() / 2]);
  EXPECT_LT(median_lag, 5ms) << "the median request went out "
                             << std::chrono::duration<double, std::milli>(median_lag).count()
                             << " ms late";
  const std::int64_t last_due = records.back().intended_ns;
  EXPECT_LE(last_sent - last_due, std::chrono::nanoseconds(500ms).count())
      << "the generator fell behind its schedule";
  const double send_span_s = static_cast<double>(last_sent - first_sent) / 1e9;
  ASSERT_GT(send_span_s, 0);
  const double achieved = static_cast<double>(lags_ns.size() - 1) / send_span_s;
  EXPECT_NEAR(achieved, kRate, kRate * 0.1) << "sends over " << send_span_s << " s";

  EXPECT_LT(connections.size(), records.size() / 2) << "keep-alive connections are reused";
  EXPECT_EQ(result.sent, kScheduled);
  EXPECT_EQ(result.completed, kScheduled);
  EXPECT_EQ(result.failed, 0u);
}

TEST_F(LoadGeneratorTest, NothingListeningIsRefused) {
  const process::PortReservation nobody(kHost);  // bound, never listening
  const auto result = run(open_loop(100, 500ms, {{kHost, nobody.port()}}));
  ASSERT_EQ(result.records.size(), 50u);
  for (const auto& r : result.records) {
    EXPECT_EQ(r.error, ErrorClass::kRefused) << describe(r);
    EXPECT_GE(r.done_ns, r.sent_ns);
    EXPECT_GT(r.sent_ns, 0);
  }
  EXPECT_EQ(result.failed, 50u);
}

TEST_F(LoadGeneratorTest, HungBackendTimesOut) {
  Backend backend(dir_);
  ASSERT_EQ(backend.control("set hang on"), "ok");
  auto options = open_loop(20, 500ms, {backend.endpoint()});
  options.timeout = 300ms;
  const auto result = run(options);
  ASSERT_EQ(result.records.size(), 10u);
  for (const auto& r : result.records) {
    EXPECT_EQ(r.error, ErrorClass::kTimeout) << describe(r);
    EXPECT_EQ(r.status, 0);
    EXPECT_GE(r.raw_latency_ns(), std::chrono::nanoseconds(300ms).count());
  }
}

TEST_F(LoadGeneratorTest, PoolAtItsCapDropsInsteadOfDelaying) {
  Backend backend(dir_);
  ASSERT_EQ(backend.control("set latency 200ms"), "ok");
  auto options = open_loop(50, 1s, {backend.endpoint()});
  options.max_connections = 1;
  const auto result = run(options);
  ASSERT_EQ(result.records.size(), 50u);
  const auto dropped = count(result.records, ErrorClass::kDropped);
  EXPECT_GT(dropped, 0u);
  EXPECT_GT(count(result.records, ErrorClass::kNone), 0u);
  std::set<std::uint32_t> connections;
  for (const auto& r : result.records) {
    if (r.error == ErrorClass::kDropped) {
      EXPECT_EQ(r.sent_ns, 0) << "a dropped request is never sent";
      EXPECT_TRUE(r.failed());
    } else {
      EXPECT_TRUE(r.ok()) << describe(r);
      connections.insert(r.connection);
    }
  }
  EXPECT_EQ(connections.size(), 1u);
  EXPECT_EQ(result.failed, dropped);
}

TEST_F(LoadGeneratorTest, RefusedTargetFailsOverToTheNextOne) {
  Backend backend(dir_);
  const process::PortReservation nobody(kHost);
  const auto result = run(open_loop(100, 1s, {{kHost, nobody.port()}, backend.endpoint()}));
  ASSERT_EQ(result.records.size(), 100u);
  for (const auto& r : result.records) {
    EXPECT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.instance, 1) << "the record names the instance that served it";
  }
}

TEST_F(LoadGeneratorTest, SpreadsRequestsOverInstancesAndClientAddresses) {
  asio::io_context io(1);
  RawServer lb0(io, false);
  RawServer lb1(io, false);
  auto options = open_loop(400, 500ms, {lb0.endpoint(), lb1.endpoint()});
  options.clients = 16;
  LoadGenerator generator(io, options);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await generator.run(mono_now());
        lb0.stop();
        lb1.stop();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  for (const auto* lb : {&lb0, &lb1}) {
    EXPECT_EQ(lb->clients().size(), 16u) << "every instance sees every client";
    EXPECT_EQ(lb->clients().count("127.0.0.2"), 1u);
    EXPECT_EQ(lb->clients().count("127.0.0.17"), 1u);
  }
  std::size_t per_instance[2] = {0, 0};
  for (const auto& r : generator.records()) {
    EXPECT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.server, kUnknownServer) << "no X-Lbchaos-Server header";
    ++per_instance[r.instance];
  }
  EXPECT_EQ(per_instance[0], 100u);
  EXPECT_EQ(per_instance[1], 100u);
}

// Paths round-robin, and every request names itself: X-Lbchaos-Request is its record's seq,
// which is how haproxy's log line is matched to the record.
TEST_F(LoadGeneratorTest, RequestsEveryPathAndSendsEachRequestsId) {
  asio::io_context io(1);
  RawServer server(io, false);
  auto options = open_loop(400, 250ms, {server.endpoint()});
  options.paths = {"/", "/a?x=1", "/b"};
  LoadGenerator generator(io, options);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await generator.run(mono_now());
        server.stop();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  ASSERT_EQ(generator.records().size(), 100u);
  ASSERT_EQ(server.requests().size(), 100u);
  std::map<std::string, int> per_path;
  std::set<std::uint32_t> ids;
  for (const auto& head : server.requests()) {
    const auto path_end = head.find(" HTTP/1.1\r\n");
    ASSERT_EQ(head.rfind("GET ", 0), 0u) << head;
    ASSERT_NE(path_end, std::string::npos) << head;
    const std::string path = head.substr(4, path_end - 4);
    ++per_path[path];
    constexpr std::string_view kHeader = "\r\nX-Lbchaos-Request: ";
    const auto at = head.find(kHeader);
    ASSERT_NE(at, std::string::npos) << head;
    const auto value_end = head.find("\r\n", at + kHeader.size());
    const auto id = static_cast<std::uint32_t>(
        std::stoul(head.substr(at + kHeader.size(), value_end - at - kHeader.size())));
    ids.insert(id);
    ASSERT_LT(id, generator.records().size());
    EXPECT_EQ(path, options.paths[id % options.paths.size()]) << "request " << id;
  }
  EXPECT_EQ(ids.size(), 100u) << "every request has its own id";
  EXPECT_EQ(per_path["/"], 34);
  EXPECT_EQ(per_path["/a?x=1"], 33);
  EXPECT_EQ(per_path["/b"], 33);
  for (const auto& r : generator.records()) EXPECT_TRUE(r.ok()) << describe(r);
}

TEST_F(LoadGeneratorTest, ResendsOnceWhenAKeptAliveConnectionWasClosed) {
  asio::io_context io(1);
  RawServer server(io, true);  // closes after every response without "Connection: close"
  auto options = open_loop(100, 500ms, {server.endpoint()});
  options.clients = 1;
  LoadGenerator generator(io, options);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await generator.run(mono_now());
        server.stop();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  ASSERT_EQ(generator.records().size(), 50u);
  for (const auto& r : generator.records()) EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_GE(server.connections(), 50);
}

TEST_F(LoadGeneratorTest, ClosedLoopKeepsEveryWorkerBusy) {
  Backend backend(dir_);
  auto options = open_loop(0, 500ms, {backend.endpoint()});
  options.closed_loop = true;
  options.closed_loop_concurrency = 4;
  const auto result = run(options);
  ASSERT_GT(result.records.size(), 4u);
  std::set<std::uint32_t> connections;
  for (const auto& r : result.records) {
    EXPECT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.intended_ns, r.sent_ns) << "closed loop: intended = sent";
    connections.insert(r.connection);
  }
  EXPECT_LE(connections.size(), 4u) << "one connection per worker";
}

TEST_F(LoadGeneratorTest, StopEndsTheRunEarly) {
  Backend backend(dir_);
  const auto result = run(open_loop(100, 60s, {backend.endpoint()}), [](asio::io_context& io,
                                                                        LoadGenerator& generator) {
    auto timer = std::make_shared<asio::steady_timer>(io, 300ms);
    timer->async_wait([timer, &generator](auto) { generator.request_stop(); });
  });
  EXPECT_GT(result.records.size(), 0u);
  EXPECT_LT(result.records.size(), 6000u);
  for (const auto& r : result.records) EXPECT_TRUE(r.ok()) << describe(r);
}

TEST_F(LoadGeneratorTest, RejectsOptionsItCannotRun) {
  asio::io_context io;
  const auto rejects = [&](LoadOptions options) {
    EXPECT_THROW({ LoadGenerator generator(io, std::move(options)); }, InputError);
  };
  const topology::Endpoint target{kHost, 8080};
  rejects(open_loop(100, 1s, {}));
  rejects(open_loop(0, 1s, {target}));
  rejects(open_loop(100, 0s, {target}));
  rejects(open_loop(100, 1s, {{"10.0.0.1", 80}}));
  auto bad_path = open_loop(100, 1s, {target});
  bad_path.paths = {"no-slash"};
  rejects(bad_path);
  auto no_clients = open_loop(100, 1s, {target});
  no_clients.clients = 0;
  rejects(no_clients);
}

}  // namespace
}  // namespace lbchaos::traffic

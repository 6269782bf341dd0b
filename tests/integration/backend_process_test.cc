// The real `lbchaos backend` process, driven over HTTP and its control socket the way the
// harness drives it.

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include "harness/backend/control_client.h"
// clang-format on

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/integration/support/http_client.h"

namespace lbchaos::backend {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::HttpConnection;
using test_support::http_get;
using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = 10s;
constexpr auto kReplyTimeout = 10s;
constexpr auto kNoAnswerWindow = 300ms;
constexpr const char* kHost = "127.0.0.1";

// A bound, non-listening socket on 127.0.0.1:0 with SO_REUSEADDR and SO_REUSEPORT, held for
// the whole test as the harness holds its port reservations.
class PortReservation {
 public:
  PortReservation() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot reserve a loopback port");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  ~PortReservation() { ::close(fd_); }

  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::string control(const fs::path& socket, const std::string& command) {
  boost::asio::io_context io;
  auto reply = boost::asio::co_spawn(io, control_request(socket, command, 2000ms),
                                     boost::asio::use_future);
  io.run();
  return reply.get();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class BackendProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lbchaos-backend-XXXXXX";  // short: sun_path holds 108 bytes
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    control_path_ = dir_ / "n1.ctl";
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Spawns `lbchaos backend` with stdout/stderr in files of the test directory.
  void spawn(const std::vector<std::string>& extra_args, const std::string& listen_host = kHost) {
    std::vector<std::string> args = {LBCHAOS_BINARY, "backend", "--name", "app/web1",
                                     "--listen", listen_host + ":" + std::to_string(reservation_.port()),
                                     "--control", control_path_.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const auto out = (dir_ / "stdout.log").string();
    const auto err = (dir_ / "stderr.log").string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), ::environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      throw std::runtime_error(std::string("posix_spawn ") + LBCHAOS_BINARY + ": " + std::strerror(rc));
    }
  }

  // Spawns the backend and waits until its control socket answers `ping`. Throws (which
  // fails the test) when it exits or is not ready within kStartTimeout.
  void start(const std::vector<std::string>& extra_args = {}) {
    spawn(extra_args);
    const auto deadline = Clock::now() + kStartTimeout;
    std::string last_error;
    while (Clock::now() < deadline) {
      if (const auto status = exit_status(0ms)) {
        throw std::runtime_error("backend exited during start-up with status " +
                                 std::to_string(*status) + "; output:\n" +
                                 read_file(dir_ / "stderr.log") + read_file(dir_ / "stdout.log"));
      }
      try {
        if (control("ping") == "pong") return;
      } catch (const std::runtime_error& e) {
        last_error = e.what();
      }
      std::this_thread::sleep_for(10ms);  // poll interval, not a wait for readiness
    }
    throw std::runtime_error("backend not ready within " + std::to_string(kStartTimeout.count()) +
                             "s: " + last_error);
  }

  // The raw wait status once the child has exited, or nullopt if it is still running after
  // `timeout`. Reaps the child.
  std::optional<int> exit_status(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
      if (reaped == pid_) {
        pid_ = -1;
        return status;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }

  std::string control(const std::string& command) { return backend::control(control_path_, command); }

  nlohmann::json state() { return nlohmann::json::parse(control("get")); }

  // Waits until `get` reports at least `n` requests in service; throws on timeout.
  void wait_for_inflight(std::uint64_t n) {
    const auto deadline = Clock::now() + kReplyTimeout;
    while (Clock::now() < deadline) {
      if (state()["inflight"].get<std::uint64_t>() >= n) return;
      std::this_thread::sleep_for(5ms);
    }
    throw std::runtime_error("timed out waiting for inflight to be >= " + std::to_string(n));
  }

  test_support::HttpResponse get(std::string_view path) {
    return http_get(kHost, reservation_.port(), path);
  }

  std::unique_ptr<HttpConnection> connect() {
    return std::make_unique<HttpConnection>(kHost, reservation_.port());
  }

  PortReservation reservation_;
  fs::path dir_;
  fs::path control_path_;
  pid_t pid_ = -1;
};

TEST_F(BackendProcessTest, ServesRequestsNamingItself) {
  start();
  const auto response = get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Lbchaos-Server"), "app/web1");
  EXPECT_EQ(response.body, "app/web1\n");
  EXPECT_EQ(response.header("Content-Length"), "9");
  EXPECT_EQ(get("/health").status, 200);
  EXPECT_EQ(get("/health").header("X-Lbchaos-Server"), "app/web1");
}

TEST_F(BackendProcessTest, KeepsConnectionsAliveAndHonoursHttp10) {
  start();
  auto connection = connect();
  for (int i = 0; i < 3; ++i) {
    connection->send_get("/any/path?x=1");
    const auto response = connection->read_response(kReplyTimeout);
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
  }
  connection->send_get("/", "", "HTTP/1.0");
  const auto response = connection->read_response(kReplyTimeout);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(connection->closed_by_peer(kReplyTimeout)) << "HTTP/1.0 without keep-alive";
}

TEST_F(BackendProcessTest, HealthFailFailsOnlyTheHealthCheck) {
  start();
  ASSERT_EQ(control("set health_fail on"), "ok");
  EXPECT_EQ(get("/health").status, 503);
  EXPECT_EQ(get("/").status, 200);
  ASSERT_EQ(control("set health_fail off"), "ok");
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(BackendProcessTest, ErrorRatioOneAnswersTheErrorStatus) {
  start();
  ASSERT_EQ(control("set errors 1.0 503"), "ok");
  const auto response = get("/");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.header("X-Lbchaos-Server"), "app/web1");
  EXPECT_EQ(get("/health").status, 200) << "errors do not touch the health check";
  EXPECT_EQ(state()["errors_served"], 1);
}

TEST_F(BackendProcessTest, AddedLatencyDelaysEveryRequest) {
  start();
  ASSERT_EQ(control("set latency 200ms"), "ok");
  const auto before = Clock::now();
  EXPECT_EQ(get("/").status, 200);
  EXPECT_GE(Clock::now() - before, 200ms);
}

TEST_F(BackendProcessTest, HangAnswersNothingUntilTurnedOff) {
  start();
  ASSERT_EQ(control("set hang on"), "ok");
  auto request = connect();
  auto health = connect();
  request->send_get("/");
  health->send_get("/health");
  EXPECT_FALSE(request->read_response(kNoAnswerWindow)) << "a hung backend answered";
  EXPECT_FALSE(health->read_response(kNoAnswerWindow)) << "a hung backend answered /health";
  ASSERT_EQ(control("set hang off"), "ok");
  const auto response = request->read_response(kReplyTimeout);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  const auto health_response = health->read_response(kReplyTimeout);
  ASSERT_TRUE(health_response);
  EXPECT_EQ(health_response->status, 200);
}

TEST_F(BackendProcessTest, OverloadRejectAnswers503BeyondTheLimit) {
  start({"--latency", "300ms"});
  ASSERT_EQ(control("set overload 1 reject"), "ok");
  std::vector<std::unique_ptr<HttpConnection>> connections;
  for (int i = 0; i < 3; ++i) {
    connections.push_back(connect());
    connections.back()->send_get("/");
    if (i == 0) wait_for_inflight(1);
  }
  int rejected = 0;
  for (auto& connection : connections) {
    const auto response = connection->read_response(kReplyTimeout);
    ASSERT_TRUE(response);
    if (response->status == 503) ++rejected;
  }
  EXPECT_GE(rejected, 1);
  EXPECT_EQ(state()["rejected"], rejected);
}

TEST_F(BackendProcessTest, OverloadCrashExitsWithCode70) {
  start({"--latency", "2s", "--max-inflight", "1", "--overload", "crash"});
  auto first = connect();
  first->send_get("/");
  wait_for_inflight(1);
  auto second = connect();
  second->send_get("/");
  const auto status = exit_status(kReplyTimeout);
  ASSERT_TRUE(status) << "the backend did not crash";
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 70);
  EXPECT_NE(read_file(dir_ / "stderr.log").find("overloaded: 2 in flight > max 1, crashing as configured"),
            std::string::npos);
}

TEST_F(BackendProcessTest, SigtermExitsCleanlyAndRemovesTheControlSocket) {
  start();
  ASSERT_TRUE(fs::exists(control_path_));
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  const auto status = exit_status(kReplyTimeout);
  ASSERT_TRUE(status) << "no exit after SIGTERM";
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_FALSE(fs::exists(control_path_));
}

TEST_F(BackendProcessTest, SigtermStopsABackendWithHungRequests) {
  start();
  ASSERT_EQ(control("set hang on"), "ok");
  auto connection = connect();
  connection->send_get("/");
  ASSERT_FALSE(connection->read_response(kNoAnswerWindow));
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  const auto status = exit_status(kReplyTimeout);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(BackendProcessTest, ControlSocketIsPrivate) {
  start();
  struct stat info {};
  ASSERT_EQ(::stat(control_path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(BackendProcessTest, ReplacesAStaleControlSocket) {
  start();
  ::kill(pid_, SIGKILL);  // dies without cleaning up: the socket file stays behind
  ASSERT_TRUE(exit_status(kReplyTimeout));
  ASSERT_TRUE(fs::exists(control_path_));
  start();
  EXPECT_EQ(control("ping"), "pong");
}

TEST_F(BackendProcessTest, RefusesAControlSocketInUse) {
  start();
  const pid_t first = pid_;
  spawn({});  // a second backend on the same control socket
  const auto status = exit_status(kReplyTimeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = first;
  ASSERT_TRUE(status) << "the second backend kept running";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  const auto output = read_file(dir_ / "stderr.log") + read_file(dir_ / "stdout.log");
  EXPECT_NE(output.find("another process is listening"), std::string::npos) << output;
  EXPECT_EQ(control("ping"), "pong") << "the first backend keeps its control socket";
}

TEST_F(BackendProcessTest, ControlCommandsShareOneStateAndResetRestoresStartUp) {
  start({"--latency", "5ms", "--max-inflight", "7", "--overload", "reject"});
  EXPECT_EQ(control("set latency 1s"), "ok");
  EXPECT_TRUE(control("set latency soon").starts_with("error: "));
  EXPECT_EQ(state()["added_latency_ms"], 1000.0);
  EXPECT_EQ(control("reset"), "ok");
  const auto s = state();
  EXPECT_EQ(s["latency_ms"], 5.0);
  EXPECT_EQ(s["added_latency_ms"], 0.0);
  EXPECT_EQ(s["max_inflight"], 7);
  EXPECT_EQ(s["overload"], "reject");
}

TEST_F(BackendProcessTest, CustomHealthPath) {
  start({"--health-path", "/healthz"});
  const auto response = get("/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
}

TEST_F(BackendProcessTest, RefusesANonLoopbackAddress) {
  spawn({}, "0.0.0.0");
  const auto status = exit_status(kReplyTimeout);
  ASSERT_TRUE(status);
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  EXPECT_NE(read_file(dir_ / "stderr.log").find("loopback"), std::string::npos);
}

TEST_F(BackendProcessTest, ControlClientTimesOutOnASilentSocket) {
  // A listening Unix socket that never answers: the client must give up with a clear message.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto path = (dir_ / "silent.ctl").string();
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  boost::asio::io_context io;
  auto reply = boost::asio::co_spawn(io, control_request(path, "ping", 100ms), boost::asio::use_future);
  io.run();
  try {
    reply.get();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no reply to 'ping' within 100ms"), std::string::npos)
        << e.what();
  }
  ::close(fd);
  try {
    backend::control(dir_ / "missing.ctl", "ping");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("connect failed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lbchaos::backend

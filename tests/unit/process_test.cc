#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "harness/common/errors.h"
#include "harness/common/loopback.h"
#include "harness/process/child_process.h"
#include "harness/process/exit_status.h"
#include "harness/process/port_reservation.h"
#include "harness/process/run_directory.h"

namespace lbchaos::process {
namespace {

TEST(ExitStatus, TellsASignalFromAnExitCode) {
  int raw = 0;
  const pid_t child = fork();
  if (child == 0) _exit(9);
  waitpid(child, &raw, 0);
  EXPECT_EQ(ExitStatus::from_wait_status(raw).to_string(), "exit code 9");

  const pid_t killed = fork();
  if (killed == 0) {
    pause();
    _exit(0);
  }
  kill(killed, SIGKILL);
  waitpid(killed, &raw, 0);
  const auto status = ExitStatus::from_wait_status(raw);
  EXPECT_TRUE(status.signaled);
  EXPECT_EQ(status.value, SIGKILL);
  EXPECT_EQ(status.to_string(), "killed by SIGKILL");
}

class RunDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "rundir-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    setenv("LBCHAOS_TMPDIR", base_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("LBCHAOS_TMPDIR");
    std::filesystem::remove_all(base_);
  }
  std::filesystem::path base_;
};

TEST_F(RunDirectoryTest, IsPrivateAndRemovedUnlessKept) {
  std::filesystem::path path;
  {
    RunDirectory dir("my topology");
    path = dir.path();
    EXPECT_EQ(path.parent_path(), base_);
    EXPECT_EQ(path.filename().string().rfind("lbchaos-my_topology-", 0), 0u);
    EXPECT_LE(path.string().size() + std::string("/lb0/master.sock").size(), 97u)
        << "haproxy's unix socket path limit";
    struct stat info {};
    ASSERT_EQ(stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    ASSERT_EQ(stat(dir.subdir("lb0").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    RunDirectory kept("kept");
    kept.keep(true);
    path = kept.path();
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  // A later run (the next scenario of the same `lbchaos run --keep`) does not sweep it.
  EXPECT_EQ(sweep_abandoned_run_directories(base_), 0);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(RunDirectoryTest, RefusesABaseTooLongForUnixSocketsWithAClearMessage) {
  const auto deep = base_ / std::string(90, 'd');
  std::filesystem::create_directory(deep);
  setenv("LBCHAOS_TMPDIR", deep.c_str(), 1);
  try {
    RunDirectory dir("x");
    FAIL() << "expected EnvironmentError";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("set LBCHAOS_TMPDIR to a shorter directory"),
              std::string::npos);
  }
  EXPECT_TRUE(std::filesystem::is_empty(deep)) << "nothing left behind";
}

TEST_F(RunDirectoryTest, SweepRemovesOnlyDirectoriesWhoseOwnerIsGone) {
  RunDirectory live("live");
  // A directory whose lock nobody holds: its harness was SIGKILLed.
  const auto abandoned = base_ / "lbchaos-dead-abc123";
  std::filesystem::create_directory(abandoned);
  std::ofstream(abandoned / ".lock") << "99999\n";
  // Not a run directory (no lock file): never touched.
  const auto unrelated = base_ / "lbchaos-something-else";
  std::filesystem::create_directory(unrelated);

  EXPECT_EQ(sweep_abandoned_run_directories(base_), 1);
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  EXPECT_TRUE(std::filesystem::exists(live.path()));
  EXPECT_TRUE(std::filesystem::exists(unrelated));
}

TEST(PortReservation, HoldsAPortThatAReusePortListenerCanStillBind) {
  PortReservation reservation("127.0.0.1");
  ASSERT_GT(reservation.port(), 0);
  // What haproxy and the built-in backend do: SO_REUSEADDR + SO_REUSEPORT, bind, listen.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(reservation.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(listen(fd, 8), 0);
  close(fd);
}

TEST(PortReservation, TwoReservationsNeverShareAPort) {
  PortReservation a("127.0.0.1");
  PortReservation b("127.0.0.1");
  EXPECT_NE(a.port(), b.port());
}

TEST(PortReservation, RefusesNonLoopbackAndBusyFixedPorts) {
  EXPECT_THROW(PortReservation("10.0.0.1"), EnvironmentError);
  PortReservation taken("127.0.0.1");
  const int fd = socket(AF_INET, SOCK_STREAM, 0);  // a plain listener (no SO_REUSEPORT)
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  listen(fd, 8);
  EXPECT_THROW(PortReservation("127.0.0.1", ntohs(address.sin_port)), EnvironmentError);
  close(fd);
}

TEST(Loopback, OnlyLoopbackAddressesAreTargets) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.0.1.11"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("10.0.0.5"));
  EXPECT_FALSE(is_loopback_address("192.168.1.1"));
  EXPECT_FALSE(is_loopback_address("::2"));
  EXPECT_FALSE(is_loopback_address("localhost"));  // names are not resolved: be explicit
}

}  // namespace
}  // namespace lbchaos::process

namespace lbchaos::process {
namespace {

// The child is started with vfork: what it runs, its log and its exit must still be right, and
// an executable that cannot be run must be an error at once, not a child that silently dies.
TEST(ChildProcess, RunsTheCommandWithItsLogAndReportsItsExit) {
  boost::asio::io_context io;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("lbchaos-child-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  SpawnSpec spec;
  spec.executable = "/bin/sh";
  spec.args = {"-c", "echo \"hello $GREETING from $(pwd)\"; exit 3"};
  spec.working_dir = dir;
  spec.log_file = dir / "child.log";
  spec.extra_env = {{"GREETING", "vfork"}};
  ChildProcess child(io, spec);
  EXPECT_GT(child.pid(), 0);
  std::optional<ExitStatus> status;
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    status = co_await child.wait_exit(std::chrono::seconds(20));
  }, boost::asio::detached);
  io.run();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->to_string(), "exit code 3");
  std::ifstream log(spec.log_file);
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "hello vfork from " + dir.string());
  std::filesystem::remove_all(dir);
}

TEST(ChildProcess, AnExecutableThatCannotRunIsAnErrorAtOnce) {
  boost::asio::io_context io;
  SpawnSpec spec;
  spec.executable = "/nonexistent/lbchaos-no-such-program";
  spec.working_dir = std::filesystem::temp_directory_path();
  spec.log_file = "/dev/null";
  try {
    ChildProcess child(io, spec);
    FAIL() << "started pid " << child.pid();
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start /nonexistent/lbchaos-no-such-program"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lbchaos::process

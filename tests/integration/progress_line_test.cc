// The live progress line of `lbchaos run`: on a terminal it shows elapsed/total, the send rate,
// the errors so far and the fault in progress; when stderr is a file (CI logs) it never appears.
// lbchaos runs on a real pseudo-terminal (openpty), as in a user's terminal.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <regex>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kShortKill =
    std::string(LBCHAOS_TEST_DATA) + "/integration/scenarios/short_kill.toml";

// `lbchaos ARGS...` with one of its output streams on a pseudo-terminal and the other in a file.
// Everything written to the terminal is collected (the master side is drained while lbchaos
// runs, so it never blocks on a full terminal).
class OnTerminal {
 public:
  enum class Stream { kStdout = 1, kStderr = 2 };

  OnTerminal(std::vector<std::string> args, const std::filesystem::path& output_dir,
             Stream on_terminal)
      : file_path_(output_dir / "output.txt") {
    int terminal = -1;
    if (::openpty(&master_, &terminal, nullptr, nullptr, nullptr) != 0) {
      throw std::runtime_error("openpty failed");
    }
    ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
    ::fcntl(master_, F_SETFD, FD_CLOEXEC);
    const LbchaosCommandLine command(std::move(args), output_dir);
    const int terminal_fd = static_cast<int>(on_terminal);
    const int file_fd = on_terminal == Stream::kStderr ? 1 : 2;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, terminal, terminal_fd);
    posix_spawn_file_actions_addopen(&actions, file_fd, file_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addclose(&actions, terminal);
    posix_spawn_file_actions_addchdir_np(&actions, LBCHAOS_SOURCE_DIR);
    const int rc = ::posix_spawn(&pid_, LBCHAOS_BINARY, &actions, nullptr, command.argv(),
                                 command.envp());
    posix_spawn_file_actions_destroy(&actions);
    ::close(terminal);
    if (rc != 0) {
      ::close(master_);
      throw std::runtime_error("cannot start lbchaos");
    }
  }
  ~OnTerminal() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int raw = 0;
      ::waitpid(pid_, &raw, 0);
    }
    ::close(master_);
  }
  OnTerminal(const OnTerminal&) = delete;
  OnTerminal& operator=(const OnTerminal&) = delete;

  // Exit code, or -1 when lbchaos did not exit normally within `timeout`.
  int exit_code(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!status_ && std::chrono::steady_clock::now() < deadline) {
      pollfd readable{master_, POLLIN, 0};
      ::poll(&readable, 1, 10);
      drain();
      int raw = 0;
      if (::waitpid(pid_, &raw, WNOHANG) == pid_) status_ = raw;
    }
    drain();
    return status_ && WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -1;
  }
  [[nodiscard]] const std::string& terminal() const { return terminal_; }
  [[nodiscard]] std::string file() const { return read_file(file_path_); }

 private:
  void drain() {
    char buffer[4096];
    for (;;) {
      const auto n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) return;  // EAGAIN: nothing more for now; EIO: the terminal was closed
      terminal_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  int master_ = -1;
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path file_path_;
  std::string terminal_;
};

// One update of the line: "\r\033[K[  1.3s/4.0s]    100 req/s  3 errors  fault: kill app/web1".
const std::regex kProgressUpdate(
    R"(\r\x1b\[K\[ *([0-9.]+)s/4\.0s\] +([0-9]+) req/s  ([0-9]+) errors(  fault: ([^\r\n]*))?)");

struct Update {
  double elapsed_s = 0;
  double rate = 0;
  int errors = 0;
  std::string fault;
};

std::vector<Update> progress_updates(const std::string& output) {
  std::vector<Update> updates;
  for (std::sregex_iterator it(output.begin(), output.end(), kProgressUpdate), end; it != end;
       ++it) {
    const auto& m = *it;
    updates.push_back({std::stod(m[1]), std::stod(m[2]), std::stoi(m[3]), m[5].str()});
  }
  return updates;
}

TEST(ProgressLine, OnATerminalShowsElapsedRateErrorsAndTheCurrentFault) {
  TempDir dir;
  OnTerminal lbchaos({"run", kShortKill}, dir.path(), OnTerminal::Stream::kStderr);
  ASSERT_EQ(lbchaos.exit_code(120s), 0) << lbchaos.terminal() << "\nstdout:\n" << lbchaos.file();
  EXPECT_THAT(lbchaos.file(), HasSubstr("short kill")) << "the result table is on stdout";

  const auto updates = progress_updates(lbchaos.terminal());
  ASSERT_GE(updates.size(), 4u) << "a 4 s run updated every 250 ms:\n" << lbchaos.terminal();
  bool saw_fault = false;
  bool saw_steady_rate = false;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const auto& u = updates[i];
    EXPECT_GE(u.elapsed_s, 0);
    EXPECT_LE(u.elapsed_s, 4.0) << "tearing down shows as the end of the traffic";
    if (i > 0) {
      EXPECT_GE(u.elapsed_s, updates[i - 1].elapsed_s) << "elapsed time only grows";
      EXPECT_GE(u.errors, updates[i - 1].errors) << "errors so far only grow";
    }
    saw_fault = saw_fault || u.fault == "kill app/web1";
    EXPECT_TRUE(u.fault.empty() || u.fault == "kill app/web1") << u.fault;
    if (u.elapsed_s < 0.9) {
      EXPECT_EQ(u.fault, "") << "shown before it was injected at 1 s";
    }
    // 100 req/s open loop: once a full second has run, the recent rate is close to it.
    saw_steady_rate = saw_steady_rate || (u.elapsed_s >= 1.5 && u.rate >= 80 && u.rate <= 120);
  }
  EXPECT_TRUE(saw_fault) << "web1 was down from 1 s to 2.5 s:\n" << lbchaos.terminal();
  EXPECT_TRUE(saw_steady_rate) << lbchaos.terminal();
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

TEST(ProgressLine, NeverWrittenWhenStderrIsNotATerminal) {
  TempDir dir;
  // Standard output is the terminal; stderr (where the line would go) is a file, as in CI.
  OnTerminal lbchaos({"run", kShortKill}, dir.path(), OnTerminal::Stream::kStdout);
  ASSERT_EQ(lbchaos.exit_code(120s), 0) << lbchaos.terminal() << "\nstderr:\n" << lbchaos.file();
  EXPECT_THAT(lbchaos.terminal(), HasSubstr("short kill")) << "the result table is on stdout";
  EXPECT_THAT(lbchaos.file(), HasSubstr("fault: kill app/web1")) << "the log is on stderr";
  for (const std::string& output : {lbchaos.file(), lbchaos.terminal()}) {
    EXPECT_THAT(output, ::testing::Not(HasSubstr("req/s"))) << output;
    EXPECT_THAT(output, ::testing::Not(HasSubstr("\x1b[K"))) << output;
  }
  EXPECT_TRUE(run_directories_in(dir.path()).empty());
}

}  // namespace
}  // namespace lbchaos

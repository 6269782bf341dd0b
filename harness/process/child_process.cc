#include "harness/process/child_process.h"

// Boost.Process 1.74 compiles its vfork executor only when _POSIX_C_SOURCE is below 200809L,
// which no current glibc gives; Linux has vfork, so say so before its headers are read.
#define BOOST_POSIX_HAS_VFORK 1

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/process/args.hpp>
#include <boost/process/async.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/start_dir.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <list>

#include "harness/common/errors.h"
#include "harness/process/spawn_hygiene.h"

namespace bp = boost::process;

namespace lbchaos::process {

struct ChildProcess::State {
  bp::child child;
  std::optional<ExitStatus> status;
  // Each waiter's deadline timer; the reaper cancels them all (timers as condition variables).
  std::list<boost::asio::steady_timer*> waiters;
  std::function<void(const ExitStatus&)> exit_callback;
};

namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

ChildProcess::ChildProcess(boost::asio::io_context& io, const SpawnSpec& spec)
    : state_(std::make_shared<State>()) {
  FileDescriptor log_fd(
      ::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log_fd.get() < 0) {
    throw EnvironmentError(
        fmt::format("cannot open log file {}: {}", spec.log_file.string(), std::strerror(errno)));
  }
  FileDescriptor null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) {
    throw EnvironmentError(fmt::format("cannot open /dev/null: {}", std::strerror(errno)));
  }

  bp::environment env = boost::this_process::environment();
  for (const auto& [key, value] : spec.extra_env) env[key] = value;

  std::weak_ptr<State> weak = state_;
  // Boost.Process 1.74 dispatches (not posts) its first waitpid: for a child that has already
  // exited this handler runs inside the bp::child constructor, before state_->child holds the
  // raw status. Posting defers the bookkeeping until the constructor has returned.
  auto on_exit = [weak, &io](int /*evaluated*/, const std::error_code& /*ec*/) {
    boost::asio::post(io, [weak] {
      const auto state = weak.lock();
      if (!state) return;
      state->status = ExitStatus::from_wait_status(state->child.native_exit_code());
      for (auto* waiter : state->waiters) waiter->cancel();
      if (state->exit_callback) state->exit_callback(*state->status);
    });
  };

  // vfork, not fork: the child execs at once, so copying the harness's page tables and the
  // copy-on-write faults that follow in both processes buy nothing, and on a virtual machine they
  // made each spawn cost 5-20 ms (200 server nodes took seconds). The child side does only system
  // calls (SpawnHygiene, chdir, execve), which is what vfork allows.
  std::error_code ec;
  state_->child = bp::child(bp::exe = spec.executable.string(), bp::args = spec.args,
                            bp::start_dir = spec.working_dir.string(), env,
                            bp::on_exit = on_exit, io, bp::posix::use_vfork,
                            SpawnHygiene{{}, ::getpid(), log_fd.get(), null_fd.get()}, ec);
  if (ec) {
    throw EnvironmentError(
        fmt::format("cannot start {}: {}", spec.executable.string(), ec.message()));
  }
  pid_ = state_->child.id();
  // We stop children ourselves (signal, grace, escalate); ~child() must never kill or wait.
  state_->child.detach();
}

ChildProcess::~ChildProcess() {
  if (running()) ::kill(-pid_, SIGKILL);
}

void ChildProcess::on_exit(std::function<void(const ExitStatus&)> callback) {
  state_->exit_callback = std::move(callback);
}

bool ChildProcess::running() const { return pid_ > 0 && !state_->status.has_value(); }

std::optional<ExitStatus> ChildProcess::exit_status() const { return state_->status; }

void ChildProcess::signal_group(int signal) const {
  if (running()) ::kill(-pid_, signal);
}

boost::asio::awaitable<std::optional<ExitStatus>> ChildProcess::wait_exit(
    std::chrono::nanoseconds timeout) {
  const auto state = state_;  // keep the state alive across the suspension
  if (state->status) co_return state->status;
  boost::asio::steady_timer deadline(co_await boost::asio::this_coro::executor, timeout);
  const auto registered = state->waiters.insert(state->waiters.end(), &deadline);
  boost::system::error_code ignored;
  co_await deadline.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  state->waiters.erase(registered);
  co_return state->status;
}

boost::asio::awaitable<ExitStatus> ChildProcess::stop(std::chrono::nanoseconds grace,
                                                       int first_signal) {
  if (auto done = exit_status()) co_return *done;
  signal_group(first_signal);
  if (auto done = co_await wait_exit(grace)) co_return *done;
  signal_group(SIGKILL);
  // SIGKILL cannot be ignored; the only wait left is for the kernel and the reaper.
  if (auto done = co_await wait_exit(std::chrono::seconds(10))) co_return *done;
  throw EnvironmentError(fmt::format("process {} did not exit after SIGKILL", pid_));
}

std::filesystem::path find_executable(const std::string& name) {
  namespace fs = std::filesystem;
  const auto is_executable = [](const fs::path& p) {
    return fs::is_regular_file(p) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (is_executable(name)) return fs::absolute(name);
    throw EnvironmentError(fmt::format("{} is not an executable file", name));
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (end > start && is_executable(candidate)) return candidate;
    start = end + 1;
  }
  throw EnvironmentError(fmt::format("{} not found in PATH (run scripts/setup.sh)", name));
}

std::filesystem::path self_executable() { return std::filesystem::read_symlink("/proc/self/exe"); }

}  // namespace lbchaos::process

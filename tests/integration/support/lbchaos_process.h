#pragma once

// Runs the real `lbchaos` binary from an integration test and observes what a user would:
// its exit code, its output, the ready file, and which processes of its run still exist.
// Header-only (tests/integration/*.cc is globbed flat). Every wait is bounded in real time.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace lbchaos::test_support {

using namespace std::chrono_literals;

// Polls `condition` every 10 ms until it holds or `timeout` passes (never a blind sleep).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Standard output of a shell command (e.g. curl, as a user would scrape a URL).
inline std::string run_command(const std::string& command) {
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    ::pclose(pipe);
  }
  return output;
}

// A fresh private directory for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("LBCHAOS_TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/t-XXXXXX";  // short: socket paths are limited
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// True while `pid` exists and is not a zombie (an unreaped dead process is not running).
inline bool process_running(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Every live process whose environment says it belongs to a run directory starting with
// `run_dir` (the harness exports LBCHAOS_RUN_DIR to every node: haproxy, its workers, backends
// and their children). Pass a test's LBCHAOS_TMPDIR to find every process of every run in it.
inline std::vector<pid_t> processes_of_run(const std::string& run_dir) {
  const std::string marker = "LBCHAOS_RUN_DIR=" + run_dir;
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    const std::string environment = read_file("/proc/" + std::to_string(pid) + "/environ");
    std::size_t start = 0;
    while (start < environment.size()) {
      const auto end = environment.find('\0', start);
      if (environment.compare(start, marker.size(), marker) == 0) {
        if (process_running(pid)) found.push_back(pid);
        break;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  ::closedir(proc);
  return found;
}

// The argv and envp of `lbchaos ARGS...` whose run directories go below `output_dir`
// (LBCHAOS_TMPDIR), the rest of the environment inherited.
class LbchaosCommandLine {
 public:
  LbchaosCommandLine(std::vector<std::string> args, const std::filesystem::path& output_dir)
      : args_(std::move(args)), environment_{"LBCHAOS_TMPDIR=" + output_dir.string()} {
    for (char** var = environ; *var != nullptr; ++var) {
      if (std::string_view(*var).rfind("LBCHAOS_TMPDIR=", 0) != 0) environment_.emplace_back(*var);
    }
    args_.insert(args_.begin(), LBCHAOS_BINARY);
    for (auto& arg : args_) argv_.push_back(arg.data());
    argv_.push_back(nullptr);
    for (auto& var : environment_) envp_.push_back(var.data());
    envp_.push_back(nullptr);
  }
  LbchaosCommandLine(const LbchaosCommandLine&) = delete;
  LbchaosCommandLine& operator=(const LbchaosCommandLine&) = delete;

  [[nodiscard]] char* const* argv() const { return argv_.data(); }
  [[nodiscard]] char* const* envp() const { return envp_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<std::string> environment_;
  std::vector<char*> argv_;  // point into args_ / environment_, which no longer change
  std::vector<char*> envp_;
};

// `lbchaos ARGS...` as a child of the test, stdout and stderr captured to files.
class LbchaosProcess {
 public:
  // Run directories go below `output_dir` (LBCHAOS_TMPDIR), so a test can prove none is left.
  LbchaosProcess(std::vector<std::string> args, const std::filesystem::path& output_dir,
                 const std::filesystem::path& working_dir = LBCHAOS_SOURCE_DIR)
      : stdout_path_(output_dir / "stdout.txt"), stderr_path_(output_dir / "stderr.txt") {
    const LbchaosCommandLine command(std::move(args), output_dir);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
    const int rc = ::posix_spawn(&pid_, LBCHAOS_BINARY, &actions, nullptr, command.argv(),
                                 command.envp());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start lbchaos");
  }
  ~LbchaosProcess() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int raw = 0;
      ::waitpid(pid_, &raw, 0);
    }
  }
  LbchaosProcess(const LbchaosProcess&) = delete;
  LbchaosProcess& operator=(const LbchaosProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const { ::kill(pid_, sig); }

  // The raw wait status once it exited within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    eventually([this] {
      if (status_) return true;
      int raw = 0;
      if (::waitpid(pid_, &raw, WNOHANG) == pid_) status_ = raw;
      return status_.has_value();
    }, timeout);
    return status_;
  }
  // Exit code, or -1 when it did not exit normally within `timeout`.
  int exit_code(std::chrono::milliseconds timeout = 60s) {
    const auto raw = wait(timeout);
    return raw && WIFEXITED(*raw) ? WEXITSTATUS(*raw) : -1;
  }
  [[nodiscard]] std::string out() const { return read_file(stdout_path_); }
  [[nodiscard]] std::string err() const { return read_file(stderr_path_); }
  [[nodiscard]] std::string output() const { return "stdout:\n" + out() + "\nstderr:\n" + err(); }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

// Waits for `lbchaos up --ready-file` to publish its ready file (or for lbchaos to exit).
inline std::optional<nlohmann::json> wait_ready_file(LbchaosProcess& lbchaos,
                                                     const std::filesystem::path& ready_file,
                                                     std::chrono::milliseconds timeout = 30s) {
  const bool ready = eventually([&] {
    return std::filesystem::exists(ready_file) || lbchaos.wait(0ms).has_value();
  }, timeout);
  if (!ready || !std::filesystem::exists(ready_file)) return std::nullopt;
  return nlohmann::json::parse(read_file(ready_file));
}

// Run directories (lbchaos-*) left in `dir`.
inline std::vector<std::filesystem::path> run_directories_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("lbchaos-", 0) == 0) found.push_back(entry.path());
  }
  return found;
}

// Host and port of "http://127.0.0.1:8080".
struct Url {
  std::string host;
  std::uint16_t port = 0;
};

inline Url parse_url(const std::string& url) {
  const auto host_start = url.find("://") + 3;
  const auto colon = url.rfind(':');
  return Url{url.substr(host_start, colon - host_start),
             static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)))};
}

// Every pid the ready file names: haproxy masters and server nodes.
inline std::vector<pid_t> pids_in(const nlohmann::json& ready) {
  std::vector<pid_t> pids;
  for (const auto& instance : ready["instances"]) pids.push_back(instance["pid"].get<pid_t>());
  for (const auto& node : ready["nodes"]) pids.push_back(node["pid"].get<pid_t>());
  return pids;
}

}  // namespace lbchaos::test_support

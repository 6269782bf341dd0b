#include "harness/process/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "harness/common/errors.h"

namespace lbchaos::process {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "lbchaos-";
constexpr const char* kLockName = ".lock";
// haproxy refuses unix socket paths longer than this (sun_path less room for its temp suffix).
constexpr std::size_t kMaxSocketPath = 97;
// The longest socket path the harness puts below a run directory: "/lb0/master.sock".
constexpr std::size_t kLongestSocketSuffix = 17;

std::string safe_label(const std::string& label) {
  std::string out;
  for (char c : label) {
    if (out.size() >= 16) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? "run" : out;
}

}  // namespace

fs::path RunDirectory::base_directory() {
  for (const char* var : {"LBCHAOS_TMPDIR", "TMPDIR"}) {
    if (const char* value = std::getenv(var); value != nullptr && *value != '\0') return value;
  }
  return "/tmp";
}

RunDirectory::RunDirectory(const std::string& label) {
  const fs::path base = base_directory();
  sweep_abandoned_run_directories(base);
  std::string pattern = (base / (kPrefix + safe_label(label) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {  // mkdtemp creates it with mode 0700
    throw EnvironmentError(fmt::format("cannot create run directory in {}: {}", base.string(),
                                       std::strerror(errno)));
  }
  path_ = buffer.data();
  if (path_.string().size() + kLongestSocketSuffix > kMaxSocketPath) {
    const std::string too_long = path_.string();
    std::filesystem::remove(path_);
    throw EnvironmentError(fmt::format(
        "run directory {} is too long for haproxy's unix sockets (at most {} characters); "
        "set LBCHAOS_TMPDIR to a shorter directory",
        too_long, kMaxSocketPath));
  }
  lock_fd_ = ::open((path_ / kLockName).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    throw EnvironmentError(fmt::format("cannot lock run directory {}", path_.string()));
  }
  const std::string owner = fmt::format("{}\n", ::getpid());
  if (::write(lock_fd_, owner.data(), owner.size()) < 0) {
    spdlog::debug("cannot record owner pid in {}", path_.string());
  }
}

RunDirectory::~RunDirectory() {
  if (!keep_) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (ec) spdlog::warn("cannot remove run directory {}: {}", path_.string(), ec.message());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void RunDirectory::keep(bool keep) {
  keep_ = keep;
  const fs::path marker = path_ / ".keep";
  if (!keep) {
    std::error_code ec;
    fs::remove(marker, ec);
    return;
  }
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw EnvironmentError(
        fmt::format("cannot mark {} as kept: {}", path_.string(), std::strerror(errno)));
  }
  ::close(fd);
}

fs::path RunDirectory::subdir(const std::string& name) const {
  const fs::path dir = path_ / name;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw EnvironmentError(
        fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
  }
  return dir;
}

int sweep_abandoned_run_directories(const fs::path& base) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || !entry.is_directory(ec)) continue;
    struct stat info {};
    if (::stat(entry.path().c_str(), &info) != 0 || info.st_uid != ::geteuid()) continue;
    const int fd = ::open((entry.path() / kLockName).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;  // not ours, or still being created: leave it alone
    // The directory is kept on purpose when its owner ran with --keep: then .keep exists.
    const bool abandoned = ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
                           !fs::exists(entry.path() / ".keep", ec);
    ::close(fd);
    if (abandoned) {
      fs::remove_all(entry.path(), ec);
      if (!ec) ++removed;
    }
  }
  if (removed > 0) spdlog::info("removed {} run directories left by killed harnesses", removed);
  return removed;
}

}  // namespace lbchaos::process

#include "harness/process/listening_sockets.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace lbchaos::process {
namespace {

constexpr std::string_view kListenState = "0A";  // TCP_LISTEN in /proc/net/tcp

// The inodes of the sockets listening on `port` in one /proc/<pid>/net/tcp{,6} table.
void listening_inodes(const std::string& table, int port, std::set<std::string>& inodes) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    const auto colon = local.rfind(':');
    if (!fields || state != kListenState || colon == std::string::npos) continue;
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) inodes.insert(inode);
  }
}

bool process_listens_on(pid_t pid, int port) {
  const std::filesystem::path proc = "/proc/" + std::to_string(pid);
  std::set<std::string> inodes;
  listening_inodes(proc / "net/tcp", port, inodes);
  listening_inodes(proc / "net/tcp6", port, inodes);
  if (inodes.empty()) return false;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(proc / "fd", ec)) {
    const auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (ec || !target.starts_with("socket:[")) continue;
    if (inodes.contains(target.substr(8, target.size() - 9))) return true;
  }
  return false;
}

// The process group of `pid` from /proc/<pid>/stat (the fifth field, after the command in
// parentheses); -1 when it cannot be read.
pid_t group_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  pid_t parent = 0, group = -1;
  fields >> state >> parent >> group;
  return fields ? group : -1;
}

}  // namespace

bool listens_on(pid_t pid, int port) {
  if (process_listens_on(pid, port)) return true;
  // A node may be a wrapper whose child listens: any process of its group counts.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t other = static_cast<pid_t>(std::stol(name));
    if (other != pid && group_of(other) == pid && process_listens_on(other, port)) return true;
  }
  return false;
}

}  // namespace lbchaos::process

#include "harness/gameday/run_discovery.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/gameday/control_protocol.h"

namespace lbchaos::gameday {

namespace fs = std::filesystem;

namespace {

// The owner holds an exclusive flock on <dir>/.lock for its whole life (process/run_directory).
bool owner_alive(const fs::path& dir) {
  const int fd = ::open((dir / ".lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  ::close(fd);  // releases the shared lock, if taken
  return !free;
}

std::string describe(const RunInfo& run) {
  return fmt::format("{} (topology {}, {}, pid {})", run.dir.string(), run.topology, run.mode,
                     run.pid);
}

std::string list(const std::vector<RunInfo>& runs) {
  std::string out;
  for (const auto& run : runs) out += "\n  " + describe(run);
  return out;
}

}  // namespace

fs::path RunInfo::socket() const { return dir / kControlSocketName; }

nlohmann::json RunInfo::to_json() const {
  return {{"topology", topology}, {"topology_file", topology_file}, {"mode", mode},
          {"journal", journal},   {"pid", pid}};
}

RunInfo RunInfo::from_json(const nlohmann::json& json, fs::path dir) {
  RunInfo info;
  info.dir = std::move(dir);
  info.topology = json.value("topology", "");
  info.topology_file = json.value("topology_file", "");
  info.mode = json.value("mode", "up");
  info.journal = json.value("journal", "");
  info.pid = json.value("pid", 0);
  return info;
}

void write_run_info(const RunInfo& info) {
  const fs::path path = info.dir / kRunInfoName;
  const fs::path partial = info.dir / (std::string(kRunInfoName) + ".partial");
  {
    std::ofstream out(partial, std::ios::trunc);
    out << info.to_json().dump(2) << '\n';
    if (!out.flush()) throw EnvironmentError(fmt::format("cannot write {}", path.string()));
  }
  ::chmod(partial.c_str(), 0600);
  fs::rename(partial, path);
}

std::vector<RunInfo> find_runs(const fs::path& base) {
  std::vector<RunInfo> runs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    const fs::path dir = entry.path();
    if (!dir.filename().string().starts_with("lbchaos-") || !entry.is_directory(ec)) continue;
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0 || info.st_uid != ::geteuid()) continue;
    if (!fs::exists(dir / kControlSocketName, ec) || !fs::exists(dir / kRunInfoName, ec)) continue;
    if (!owner_alive(dir)) continue;
    std::ifstream in(dir / kRunInfoName);
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded() || !json.is_object()) continue;
    runs.push_back(RunInfo::from_json(json, dir));
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunInfo& a, const RunInfo& b) { return a.dir < b.dir; });
  return runs;
}

RunInfo choose_run(const std::vector<RunInfo>& runs, const std::string& selector,
                   const fs::path& base) {
  if (runs.empty()) {
    throw EnvironmentError(fmt::format("no running exercise found (no `lbchaos up` of this user "
                                       "in {}; set LBCHAOS_TMPDIR as it was set for it)",
                                       base.string()));
  }
  if (selector.empty()) {
    if (runs.size() == 1) return runs.front();
    throw InputError(fmt::format("{} exercises are running: pick one with --run DIR or --run "
                                 "TOPOLOGY:{}",
                                 runs.size(), list(runs)));
  }
  std::vector<RunInfo> matches;
  for (const auto& run : runs) {
    std::error_code ec;
    const bool same_dir = fs::equivalent(run.dir, selector, ec);
    if (same_dir || run.topology == selector) matches.push_back(run);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    throw InputError(fmt::format("--run {}: no running exercise has that directory or topology; "
                                 "running:{}",
                                 selector, list(runs)));
  }
  throw InputError(fmt::format("--run {}: {} exercises of that topology are running: pick one by "
                               "its directory:{}",
                               selector, matches.size(), list(matches)));
}

}  // namespace lbchaos::gameday

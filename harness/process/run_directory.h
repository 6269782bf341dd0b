#pragma once

#include <filesystem>
#include <string>

namespace lbchaos::process {

// The private per-run directory (mode 0700): rendered configs, sockets, node logs, journal.
// It holds an flock on <dir>/.lock for its whole life; a directory whose lock is free belongs
// to a harness that died (e.g. SIGKILL) and is swept by the next run. Removed on destruction
// unless kept (--keep).
class RunDirectory {
 public:
  // Creates <base>/lbchaos-<label>-XXXXXX. Base: $LBCHAOS_TMPDIR, else $TMPDIR, else /tmp.
  explicit RunDirectory(const std::string& label);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Creates (mode 0700) and returns a sub-directory.
  std::filesystem::path subdir(const std::string& name) const;
  // Kept directories survive this object and are never swept as abandoned (a `.keep` marker).
  void keep(bool keep);
  [[nodiscard]] bool kept() const { return keep_; }

  [[nodiscard]] static std::filesystem::path base_directory();

 private:
  std::filesystem::path path_;
  int lock_fd_ = -1;
  bool keep_ = false;
};

// Removes run directories left by harnesses that no longer run. Returns how many it removed.
int sweep_abandoned_run_directories(const std::filesystem::path& base);

}  // namespace lbchaos::process

#pragma once

// The user's files must come out of a run exactly as they went in: lbchaos renders and rewrites
// into its own run directory, never next to the user's topology and scenario. UserFiles takes a
// snapshot (bytes and sha256) of every regular file under the given files or folders, and
// later says what differs: a file changed, gone, or new (nothing may be written beside them).
// Header-only (tests/integration/*.cc is globbed flat).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos::test_support {

// sha256 of a file as `sha256sum` prints it (64 hex digits), "" when it cannot be read.
inline std::string sha256_of(const std::filesystem::path& file) {
  std::string quoted = "'";
  for (const char c : file.string()) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string output = run_command("sha256sum -- " + quoted + " 2>/dev/null");
  return output.size() >= 64 ? output.substr(0, 64) : std::string();
}

inline std::string file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class UserFiles {
 public:
  struct Snapshot {
    std::string bytes;
    std::string sha256;
  };

  // Every regular file under `paths` (a file, or a folder taken recursively), as it is now.
  explicit UserFiles(std::vector<std::filesystem::path> paths) : roots_(std::move(paths)) {
    files_ = take();
  }

  [[nodiscard]] const std::map<std::filesystem::path, Snapshot>& files() const { return files_; }

  // The sha256 taken at the snapshot of `file` (absolute, normalised), or "".
  [[nodiscard]] std::string sha256(const std::filesystem::path& file) const {
    const auto it = files_.find(normal(file));
    return it == files_.end() ? std::string() : it->second.sha256;
  }

  // One line per difference between the snapshot and the files now; empty when identical.
  [[nodiscard]] std::vector<std::string> differences() const {
    std::vector<std::string> found;
    const auto now = take();
    for (const auto& [path, before] : files_) {
      const auto it = now.find(path);
      if (it == now.end()) {
        found.push_back(path.string() + ": removed");
      } else if (it->second.bytes != before.bytes || it->second.sha256 != before.sha256) {
        found.push_back(path.string() + ": changed (sha256 " + before.sha256 + " -> " +
                        it->second.sha256 + ", " + std::to_string(before.bytes.size()) + " -> " +
                        std::to_string(it->second.bytes.size()) + " bytes)");
      }
    }
    for (const auto& [path, after] : now) {
      if (files_.count(path) == 0) found.push_back(path.string() + ": new file");
    }
    return found;
  }

 private:
  static std::filesystem::path normal(const std::filesystem::path& path) {
    return std::filesystem::absolute(path).lexically_normal();
  }

  [[nodiscard]] std::map<std::filesystem::path, Snapshot> take() const {
    namespace fs = std::filesystem;
    std::map<fs::path, Snapshot> taken;
    const auto add = [&taken](const fs::path& file) {
      taken[normal(file)] = Snapshot{file_bytes(file), sha256_of(file)};
    };
    for (const auto& root : roots_) {
      std::error_code ec;
      if (fs::is_directory(root, ec)) {
        for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
          if (entry.is_regular_file(ec)) add(entry.path());
        }
      } else if (fs::is_regular_file(root, ec)) {
        add(root);
      }
    }
    return taken;
  }

  std::vector<std::filesystem::path> roots_;
  std::map<std::filesystem::path, Snapshot> files_;
};

// Passes when no file of the snapshot changed, vanished or gained a neighbour.
inline ::testing::AssertionResult unchanged(const UserFiles& files) {
  const auto differences = files.differences();
  if (files.files().empty()) return ::testing::AssertionFailure() << "the snapshot holds no file";
  if (differences.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure() << "the user's files changed during the run:";
  for (const auto& line : differences) failure << "\n  " << line;
  return failure;
}

// Passes when the journal's config_sha256 names `file` with the sha256 it had in the snapshot:
// the journal records what the user gave, not some other version of it.
inline ::testing::AssertionResult journal_records_sha256(const nlohmann::json& scenario,
                                                         const UserFiles& files,
                                                         const std::filesystem::path& file) {
  const std::string key = std::filesystem::absolute(file).lexically_normal().string();
  const auto& sums = scenario.at("config_sha256");
  if (!sums.contains(key)) {
    return ::testing::AssertionFailure() << "no sha256 for " << key << " in " << sums.dump(1);
  }
  const std::string expected = files.sha256(file);
  if (expected.empty()) return ::testing::AssertionFailure() << key << " is not in the snapshot";
  if (sums.at(key) != expected) {
    return ::testing::AssertionFailure() << key << ": the journal says sha256 " << sums.at(key)
                                         << ", the file had " << expected;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lbchaos::test_support

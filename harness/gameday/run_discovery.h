#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// How `lbchaos inject/heal/status/halt/note` find the exercise they talk to: every live run
// directory (lbchaos-* under $LBCHAOS_TMPDIR, $TMPDIR or /tmp, owned by this user, its lock held)
// with a control socket and a gameday.json describing it.
namespace lbchaos::gameday {

struct RunInfo {
  std::filesystem::path dir;
  std::string topology;        // the topology's name
  std::string topology_file;
  std::string mode;            // "up" | "run --live"
  std::string journal;         // where the journal is written
  pid_t pid = 0;

  [[nodiscard]] std::filesystem::path socket() const;
  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] static RunInfo from_json(const nlohmann::json& json, std::filesystem::path dir);
};

// Written by the running side once its control socket listens (whole, then renamed).
void write_run_info(const RunInfo& info);

// Every live run with a control socket below `base`, sorted by directory.
[[nodiscard]] std::vector<RunInfo> find_runs(const std::filesystem::path& base);

// The run `selector` names (a run directory, or a topology name), or the only one when
// `selector` is empty. Throws InputError listing the candidates when it is ambiguous or names
// none, EnvironmentError when no exercise runs at all.
[[nodiscard]] RunInfo choose_run(const std::vector<RunInfo>& runs, const std::string& selector,
                                 const std::filesystem::path& base);

}  // namespace lbchaos::gameday

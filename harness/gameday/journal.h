#pragma once

#include <chrono>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "harness/common/clock.h"

// The game-day journal: JSON Lines, one object per thing that happened, appended and written
// through at once (one write(2) per line: a crash loses nothing already written). Each line:
//   {"wall": "2026-12-05T18:30:12.345Z", "t": 12.345, "event": "inject", ...fields}
// `t` is seconds since the exercise started (on the run's monotonic clock). Events: start,
// inject, inject_failed, heal, heal_failed, refused, halt, stop_condition, clear, note, haproxy
// (a server state change), alert (an alert state change), lb (an instance stopped or came back),
// end.
namespace lbchaos::gameday {

// One line's object (what Journal::write adds to `fields`), for tests and for the writer.
[[nodiscard]] nlohmann::json journal_entry(std::string_view event,
                                           std::chrono::system_clock::time_point wall,
                                           double run_seconds, nlohmann::json fields);

// "2026-12-05T18:30:12.345Z"
[[nodiscard]] std::string utc_timestamp(std::chrono::system_clock::time_point wall);

class Journal {
 public:
  // Opens `path` for appending (created 0600). Throws EnvironmentError when it cannot.
  Journal(std::filesystem::path path, MonoTime start);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Never throws: a line that cannot be written is logged as an error.
  void write(std::string_view event, nlohmann::json fields = nlohmann::json::object());
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] double run_seconds(MonoTime at) const;
  [[nodiscard]] MonoTime start() const { return start_; }

 private:
  std::filesystem::path path_;
  MonoTime start_;
  int fd_ = -1;
};

// Where `up` writes its journal unless told (--journal): next to the run directories, in `base`
// ($LBCHAOS_TMPDIR, $TMPDIR or /tmp), not inside its own run directory, which is removed at the
// end; named after the topology and the start time (UTC).
[[nodiscard]] std::filesystem::path default_journal_path(const std::filesystem::path& base,
                                                         std::string_view topology,
                                                         std::chrono::system_clock::time_point now);

}  // namespace lbchaos::gameday

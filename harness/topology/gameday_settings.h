#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/common/toml_reader.h"

// A topology file's [gameday] table: the availability target the game-day view measures the
// error budget against, and when the exercise stops on its own (every fault healed, injections
// refused until `lbchaos halt --clear`). The topology loader checks it like every other table
// (so `lbchaos check` reports its mistakes); the commands that run game days read it with
// load_gameday_settings.
//
//   [gameday]
//   availability_target = "99.9%"
//   halt_if = { availability_below = "95%", over = "30s", p99_above = "500ms", alert = "NAME" }
namespace lbchaos::topology {

struct HaltConditions {
  std::optional<double> availability_below;  // ratio 0..1, over the trailing `over`
  std::optional<Duration> p99_above;         // over the trailing `over`
  std::string alert;                         // an alertname firing; empty: none
  Duration over = std::chrono::seconds(30);
  SourcePosition where;

  [[nodiscard]] bool any() const { return availability_below || p99_above || !alert.empty(); }
};

struct GameDaySettings {
  double availability_target = 0.999;
  HaltConditions halt_if;
  SourcePosition where;
};

// Reads the optional [gameday] table of a topology file's root strictly (InputError with
// file:line:col); defaults when absent.
[[nodiscard]] GameDaySettings read_gameday_settings(const TableReader& root);

// The [gameday] settings of a topology file (already validated by load_topology).
[[nodiscard]] GameDaySettings load_gameday_settings(const std::filesystem::path& topology_file);

}  // namespace lbchaos::topology

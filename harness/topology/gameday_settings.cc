#include "harness/topology/gameday_settings.h"

#include <array>
#include <string_view>

namespace lbchaos::topology {

namespace {

constexpr std::array<std::string_view, 2> kGameDayKeys{"availability_target", "halt_if"};
constexpr std::array<std::string_view, 4> kHaltIfKeys{"availability_below", "p99_above", "alert",
                                                      "over"};

}  // namespace

GameDaySettings read_gameday_settings(const TableReader& root) {
  GameDaySettings gameday;
  gameday.where = root.position();
  const auto table = root.table("gameday", "[gameday]");
  if (!table) return gameday;
  table->allow_only(kGameDayKeys);
  gameday.where = table->position();
  if (const auto target = table->percentage("availability_target")) {
    if (*target <= 0 || *target >= 1) {
      table->fail("availability_target", "availability_target must be above 0% and below 100%");
    }
    gameday.availability_target = *target;
  }
  const auto halt_if = table->table("halt_if", "[gameday.halt_if]");
  if (!halt_if) return gameday;
  halt_if->allow_only(kHaltIfKeys);
  HaltConditions& halt = gameday.halt_if;
  halt.where = halt_if->position();
  halt.availability_below = halt_if->percentage("availability_below");
  halt.p99_above = halt_if->positive_duration("p99_above");
  if (auto alert = halt_if->string("alert")) {
    if (alert->empty()) halt_if->fail("alert", "alert must name an alert (its alertname)");
    halt.alert = std::move(*alert);
  }
  if (const auto over = halt_if->positive_duration("over")) halt.over = *over;
  if (!halt.any()) {
    halt_if->fail_here("halt_if needs at least one of availability_below, p99_above or alert");
  }
  return gameday;
}

GameDaySettings load_gameday_settings(const std::filesystem::path& topology_file) {
  const TomlFile toml = read_toml_file(topology_file, "topology");
  return read_gameday_settings(TableReader(toml.root, toml.file, "the topology file"));
}

}  // namespace lbchaos::topology

#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/scenario/manual_faults.h"
#include "harness/topology/gameday_settings.h"

// `lbchaos run --live`: while a scenario's traffic runs, the game day's live view and control
// socket (inject/heal/status/halt/note) on the scenario's own deployment. The faults people inject
// are handed back to the runner, which records them as manual fault events; `halt` also heals the
// schedule's faults (and injects no more of them); `halt --stop` ends the run as aborted.
namespace lbchaos::gameday {

class BackgroundTraffic;
class ControlServer;
class GameDaySession;
class Journal;

struct LiveRunOptions {
  std::string scenario;                 // the scenario's name, for the journal
  topology::GameDaySettings settings;   // the topology's [gameday]
  bool live_view = false;               // stdout is a terminal: redraw every second
  std::filesystem::path journal;        // the game-day journal (JSON Lines)
};

class LiveFaultSource final : public scenario::ManualFaultSource {
 public:
  LiveFaultSource(boost::asio::io_context& io, LiveRunOptions options);
  ~LiveFaultSource() override;
  LiveFaultSource(const LiveFaultSource&) = delete;
  LiveFaultSource& operator=(const LiveFaultSource&) = delete;

  void started(scenario::LiveRun run) override;
  boost::asio::awaitable<std::vector<scenario::FaultEvent>> finish(std::string why) override;

  [[nodiscard]] const std::filesystem::path& journal_path() const { return options_.journal; }

 private:
  boost::asio::io_context& io_;
  LiveRunOptions options_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<BackgroundTraffic> traffic_;
  std::unique_ptr<GameDaySession> session_;
  std::unique_ptr<ControlServer> control_;
  // Cleared by finish(): a `halt --stop` posted late no longer reaches the runner.
  std::shared_ptr<bool> run_alive_ = std::make_shared<bool>(false);
};

}  // namespace lbchaos::gameday

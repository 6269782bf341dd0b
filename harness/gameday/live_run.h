#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>

#include "harness/gameday/background_traffic.h"
#include "harness/gameday/control_server.h"
#include "harness/gameday/journal.h"
#include "harness/gameday/session.h"
#include "harness/scenario/runner.h"

// `lbchaos run --live`: a game-day session on a scenario's deployment while its schedule runs.
// inject/heal/status/halt/note work against it; faults injected by hand go into the scenario's
// recording with manual = true (the JSON journal and the report show them as such).
namespace lbchaos::gameday {

class LiveRun : public scenario::LiveObserver {
 public:
  // `stop` ends the scenario (`lbchaos halt --stop`); `journal` empty: the default path.
  LiveRun(std::function<void()> stop, bool live_view, std::string journal);
  ~LiveRun() override;

  void traffic_started(deploy::Deployment& deployment, alerting::AlertEngine* alerts,
                       traffic::LoadGenerator& generator,
                       scenario::RunRecording& recording) override;
  boost::asio::awaitable<void> traffic_ended() override;
  [[nodiscard]] std::string journal_path() const;

 private:
  std::function<void()> stop_;
  bool live_view_;
  std::string journal_path_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<BackgroundTraffic> traffic_;
  std::unique_ptr<GameDaySession> session_;
  std::unique_ptr<ControlServer> control_;
};

}  // namespace lbchaos::gameday

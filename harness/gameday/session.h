#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/gameday/background_traffic.h"
#include "harness/gameday/control_protocol.h"
#include "harness/gameday/journal.h"
#include "harness/gameday/live_view.h"
#include "harness/model/model.h"
#include "harness/model/run_events.h"
#include "harness/topology/gameday_settings.h"

namespace lbchaos::deploy {
class Deployment;
}
namespace lbchaos::alerting {
class AlertEngine;
}
namespace lbchaos::faults {
class Fault;
}

// A game day on a running deployment: faults injected and healed on request (the control
// socket), the stop conditions of the topology's [gameday] watched every second, haproxy's
// health events and alert changes recorded, everything written to the journal, and the live
// view drawn. Lives on the deployment's io_context thread.
namespace lbchaos::gameday {

struct SessionOptions {
  topology::GameDaySettings settings;  // the topology's [gameday]
  bool live_view = false;  // stdout is a terminal: redraw the view every second
  double traffic_rate = 0;
  std::string run_dir;
};

class GameDaySession {
 public:
  // `alerts` and `traffic` may be null (no alert engine, no background traffic).
  GameDaySession(deploy::Deployment& deployment, alerting::AlertEngine* alerts,
                 BackgroundTraffic* traffic, Journal& journal, SessionOptions options);
  ~GameDaySession();
  GameDaySession(const GameDaySession&) = delete;
  GameDaySession& operator=(const GameDaySession&) = delete;

  // Starts the once-a-second watch (events, stop conditions, view).
  void start();
  // Answers one control request (never throws).
  boost::asio::awaitable<ControlResponse> handle(ControlRequest request, Actor actor);
  // The end: no more injections, every fault healed, the last events recorded.
  boost::asio::awaitable<void> finish(const std::string& why);
  // Called (posted) when `lbchaos halt --stop` asks the run to end, with who asked.
  void on_stop_requested(std::function<void(std::string why)> callback) {
    on_stop_ = std::move(callback);
  }
  // Faults someone else injects (a scenario's schedule under `run --live`): `halt` heals them
  // too (the hook returns what it healed and what failed, as "kill app/web1"), and the view
  // shows the active ones.
  struct OtherFaults {
    std::function<boost::asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>>()>
        halt;
    std::function<std::vector<FaultLine>()> active;
  };
  void add_other_faults(OtherFaults other) { other_ = std::move(other); }
  [[nodiscard]] ViewSnapshot snapshot();

  // What the exercise recorded, for its report: every manual fault that was applied (healed or
  // not) and every server state change haproxy logged.
  [[nodiscard]] std::vector<scenario::FaultEvent> fault_events() const;
  [[nodiscard]] const std::vector<scenario::HaproxyEvent>& haproxy_events() const {
    return haproxy_events_;
  }

 private:
  struct ActiveFault;

  boost::asio::awaitable<void> watch();
  boost::asio::awaitable<void> tick();
  boost::asio::awaitable<ControlResponse> inject(const nlohmann::json& args, const Actor& actor);
  boost::asio::awaitable<ControlResponse> heal(const nlohmann::json& args, const Actor& actor);
  boost::asio::awaitable<ControlResponse> halt(const nlohmann::json& args, const Actor& actor);
  ControlResponse note(const nlohmann::json& args, const Actor& actor);
  // Heals one fault; returns an error message when its heal failed, "" otherwise.
  boost::asio::awaitable<std::string> heal_fault(ActiveFault& fault, const Actor& actor,
                                                 const std::string& why);
  // Heals every active fault, last injected first; returns the ids healed and failed.
  boost::asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>>
  heal_all(const Actor& actor, const std::string& why);
  boost::asio::awaitable<void> heal_when_due(ActiveFault* fault);
  void collect_events();
  boost::asio::awaitable<void> check_stop_conditions();
  void event(const std::string& line);
  void draw();

  deploy::Deployment& deployment_;
  alerting::AlertEngine* alerts_;
  BackgroundTraffic* traffic_;
  Journal& journal_;
  SessionOptions options_;
  boost::asio::steady_timer tick_timer_;
  std::vector<std::unique_ptr<ActiveFault>> faults_;
  int next_fault_id_ = 1;
  int halt_epoch_ = 0;          // bumped by every halt: an inject in flight heals at once
  std::string halted_reason_;   // a stop condition tripped
  MonoTime judge_from_{};       // stop conditions read traffic from here (start, last clear)
  bool finishing_ = false;
  bool watching_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::function<void(std::string)> on_stop_;
  OtherFaults other_;
  std::vector<scenario::HaproxyEvent> haproxy_events_;
  // Observed state
  std::map<std::string, std::map<std::string, std::string>> server_state_;  // server -> lb -> state
  std::vector<std::size_t> health_cursor_;  // per instance, in its syslog's health events
  std::vector<bool> lb_running_;
  std::size_t alert_cursor_ = 0;
  std::map<std::string, AlertLine> alerts_now_;  // rule{labels} -> pending/firing
  int settled_segment_ = 0;
  std::size_t settled_ = 0;                      // records before this are counted below
  std::map<std::string, std::uint64_t> server_errors_;
  std::deque<std::string> recent_;
};

}  // namespace lbchaos::gameday

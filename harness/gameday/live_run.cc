#include "harness/gameday/live_run.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>

#include "harness/deploy/deployment.h"
#include "harness/gameday/background_traffic.h"
#include "harness/gameday/control_server.h"
#include "harness/gameday/journal.h"
#include "harness/gameday/run_discovery.h"
#include "harness/gameday/session.h"
#include "harness/traffic/load_generator.h"

namespace lbchaos::gameday {

LiveFaultSource::LiveFaultSource(boost::asio::io_context& io, LiveRunOptions options)
    : io_(io), options_(std::move(options)) {}

LiveFaultSource::~LiveFaultSource() = default;

void LiveFaultSource::started(scenario::LiveRun run) {
  auto& deployment = run.deployment;
  const auto run_dir = deployment.run_dir().path();
  journal_ = std::make_unique<Journal>(options_.journal, mono_now());
  traffic_ = std::make_unique<BackgroundTraffic>(io_, run.generator);
  session_ = std::make_unique<GameDaySession>(
      deployment, run.alerts, traffic_.get(), *journal_,
      SessionOptions{options_.settings, options_.live_view, run.generator.options().rate,
                     run_dir.string()});
  *run_alive_ = true;
  session_->on_stop_requested(
      [alive = run_alive_, control = &run.control](const std::string& why) {
        if (*alive) control->stop(why);
      });
  session_->add_other_faults(GameDaySession::OtherFaults{
      [control = &run.control] { return control->halt_schedule(); },
      [control = &run.control] {
        std::vector<FaultLine> lines;
        const MonoTime now = mono_now();
        for (const auto& f : control->active_scheduled()) {
          FaultLine line;
          line.id = "-";
          line.action = f.action;
          line.target = f.target;
          line.age_s = std::chrono::duration<double>(now - f.injected_at).count();
          line.actor = "schedule";
          line.detail = f.detail;
          lines.push_back(std::move(line));
        }
        return lines;
      }});
  control_ = std::make_unique<ControlServer>(
      io_, run_dir / kControlSocketName, [session = session_.get()](ControlRequest request, Actor actor) {
        return session->handle(std::move(request), std::move(actor));
      });
  control_->start();
  RunInfo info;
  info.dir = run_dir;
  info.topology = deployment.topology().name;
  info.topology_file = deployment.topology().file.string();
  info.mode = "run --live";
  info.journal = journal_->path().string();
  info.pid = ::getpid();
  write_run_info(info);
  journal_->write("start", {{"actor", to_json(harness_actor())},
                            {"mode", "run --live"},
                            {"scenario", options_.scenario},
                            {"topology", deployment.topology().name},
                            {"topology_file", deployment.topology().file.string()},
                            {"run_dir", run_dir.string()},
                            {"traffic_rate", run.generator.options().rate}});
  if (!options_.live_view) {
    fmt::print("lbchaos: scenario {} is live: lbchaos inject|heal|status|halt|note (run {}); "
               "journal {}\n",
               options_.scenario, run_dir.string(), journal_->path().string());
    std::fflush(stdout);
  }
  session_->start();
}

boost::asio::awaitable<std::vector<scenario::FaultEvent>> LiveFaultSource::finish(std::string why) {
  if (!session_) co_return std::vector<scenario::FaultEvent>{};
  *run_alive_ = false;
  if (control_) control_->close();
  co_await session_->finish(why);
  nlohmann::json end = {{"actor", to_json(harness_actor())}, {"why", why}};
  end["requests"] = traffic_->completed() + traffic_->failed();
  end["failed"] = traffic_->failed();
  journal_->write("end", end);
  if (options_.live_view) fmt::print("\n");  // below the last view
  co_return session_->fault_events();
}

}  // namespace lbchaos::gameday

#include "harness/gameday/live_run.h"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "harness/deploy/deployment.h"
#include "harness/gameday/run_discovery.h"
#include "harness/process/run_directory.h"

namespace lbchaos::gameday {

LiveRun::LiveRun(std::function<void()> stop, bool live_view, std::string journal)
    : stop_(std::move(stop)), live_view_(live_view), journal_path_(std::move(journal)) {}

LiveRun::~LiveRun() = default;

std::string LiveRun::journal_path() const { return journal_ ? journal_->path().string() : ""; }

void LiveRun::traffic_started(deploy::Deployment& deployment, alerting::AlertEngine* alerts,
                              traffic::LoadGenerator& generator,
                              scenario::RunRecording& recording) {
  const auto path = journal_path_.empty()
                        ? default_journal_path(process::RunDirectory::base_directory(),
                                               deployment.topology().name,
                                               std::chrono::system_clock::now())
                        : std::filesystem::path(journal_path_);
  journal_ = std::make_unique<Journal>(path, mono_now());
  traffic_ = std::make_unique<BackgroundTraffic>(deployment.io(), generator);
  session_ = std::make_unique<GameDaySession>(
      deployment, alerts, traffic_.get(), *journal_,
      SessionOptions{live_view_, generator.options().rate, deployment.run_dir().path().string()});
  session_->record_faults_in(recording);
  session_->on_stop_requested(stop_);
  control_ = std::make_unique<ControlServer>(
      deployment.io(), deployment.run_dir().path() / kControlSocketName,
      [this](ControlRequest request, Actor actor) {
        return session_->handle(std::move(request), std::move(actor));
      });
  control_->start();
  RunInfo info;
  info.dir = deployment.run_dir().path();
  info.topology = deployment.topology().name;
  info.topology_file = deployment.topology().file.string();
  info.mode = "run --live";
  info.journal = journal_->path().string();
  info.pid = ::getpid();
  write_run_info(info);
  journal_->write("start", {{"actor", to_json(harness_actor())},
                            {"mode", "run --live"},
                            {"topology", deployment.topology().name},
                            {"run_dir", deployment.run_dir().path().string()}});
  if (!live_view_) {
    fmt::print("lbchaos: live: control it with lbchaos inject|heal|status|halt|note; journal {}\n",
               journal_->path().string());
    std::fflush(stdout);
  }
  session_->start();
}

boost::asio::awaitable<void> LiveRun::traffic_ended() {
  if (!session_) co_return;
  control_->close();
  co_await session_->finish("the scenario's traffic ended");
  journal_->write("end", {{"actor", to_json(harness_actor())}});
}

}  // namespace lbchaos::gameday

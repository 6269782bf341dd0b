// `lbchaos up TOPOLOGY [--ready-file F] [--traffic RATE] [--journal F] [--html F]`: start everything, wait
// until haproxy reports every server UP, write F, then run a game day (harness/gameday/): the
// control socket for inject/heal/status/halt/note, optional background traffic, the live view,
// the stop conditions and the journal, until Ctrl-C, SIGTERM or `lbchaos halt --stop`; then heal
// every fault, tear down, and write the HTML report of the exercise (--html).
#include <unistd.h>

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>

#include "harness/alerting/alert_engine.h"
#include "harness/cli/command_line.h"
#include "harness/cli/commands.h"
#include "harness/topology/route_hints.h"
#include "harness/cli/logging.h"
#include "harness/cli/run_io.h"
#include "harness/common/errors.h"
#include "harness/common/sha256.h"
#include "harness/common/exit_codes.h"
#include "harness/deploy/deployment.h"
#include "harness/gameday/background_traffic.h"
#include "harness/gameday/exercise_report.h"
#include "harness/gameday/control_server.h"
#include "harness/gameday/journal.h"
#include "harness/gameday/run_discovery.h"
#include "harness/gameday/session.h"
#include "harness/model/timeline.h"
#include "harness/report/html_report.h"
#include "harness/report/json_journal.h"
#include "harness/topology/gameday_settings.h"
#include "harness/topology/loader.h"

namespace lbchaos::cli {

namespace {

namespace asio = boost::asio;

struct UpOptions {
  std::string topology;
  std::string ready_file;
  std::string journal;
  std::string html;
  double traffic = 0;
  bool keep = false;
  bool verbose = false;
};

using namespace std::chrono_literals;
// The generator keeps every record of a segment; a game day runs for hours.
constexpr auto kTrafficSegment = std::chrono::minutes(10);

void write_ready_file(const std::string& path, const nlohmann::json& description) {
  // Written whole, then renamed: a reader polling for the file never sees half of it.
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << description.dump(2) << '\n';
    if (!out.flush()) throw EnvironmentError(fmt::format("cannot write ready file {}", path));
  }
  std::filesystem::rename(partial, path);
}

// One ready-made curl per route of the first instance's config (topology/route_hints.h).
void print_routes(deploy::Deployment& deployment) {
  if (deployment.instances().empty()) return;
  const auto& instance = *deployment.instances().front();
  std::ifstream in(instance.config_path());
  const std::string config{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto urls = instance.urls();
  bool first = true;
  for (const auto& route : topology::read_route_hints(config)) {
    const auto url = urls.find(route.frontend);  // the section's first bind
    if (url == urls.end() || !url->second.starts_with("http://")) continue;
    if (first) fmt::print("Routes (one request each):\n");
    first = false;
    fmt::print("  {:<40} # {} -> {}{}\n", topology::curl_command(route, url->second),
               route.frontend, route.backend,
               route.is_default ? " (default)" : route.exact ? "" : " (condition not fully read)");
  }
}

void announce(deploy::Deployment& deployment, const gameday::Journal& journal, double traffic) {
  fmt::print("lbchaos: {} is up ({} haproxy instance(s), {} server(s)); run directory {}\n",
             deployment.topology().name, deployment.instances().size(),
             deployment.nodes().size(), deployment.run_dir().path().string());
  for (auto& instance : deployment.instances()) {
    for (const auto& [frontend, url] : instance->urls()) {
      fmt::print("  {} frontend {}: {}\n", instance->name(), frontend, url);
    }
  }
  print_routes(deployment);
  fmt::print("  journal: {}\n", journal.path().string());
  fmt::print("  background traffic: {}\n",
             traffic > 0 ? fmt::format("{:g} requests/s", traffic) : std::string("off"));
  fmt::print("Control it from another terminal: lbchaos inject ACTION TARGET, lbchaos heal ID|--all, "
             "lbchaos status, lbchaos halt [--stop|--clear], lbchaos note TEXT.\n");
  fmt::print("Alerts ({} engine) are logged as they change. Press Ctrl-C to stop.\n",
             deployment.topology().alerting.engine ==
                     topology::AlertingSettings::Engine::kPrometheus
                 ? "prometheus"
                 : "embedded");
  std::fflush(stdout);
}

traffic::LoadOptions background_load(deploy::Deployment& deployment, double rate) {
  traffic::LoadOptions load;
  load.rate = rate;
  load.duration = kTrafficSegment;
  load.clients = 16;
  load.max_connections = 256;
  load.timeout = 5s;
  load.paths = {"/"};
  for (auto& instance : deployment.instances()) {
    load.targets.push_back(instance->endpoints().binds.begin()->second);
  }
  return load;
}

nlohmann::json start_entry(deploy::Deployment& deployment, const UpOptions& options) {
  nlohmann::json frontends = nlohmann::json::object();
  for (auto& instance : deployment.instances()) frontends[instance->name()] = instance->urls();
  return {{"actor", gameday::to_json(gameday::harness_actor())},
          {"mode", "up"},
          {"topology", deployment.topology().name},
          {"topology_file", deployment.topology().file.string()},
          {"run_dir", deployment.run_dir().path().string()},
          {"traffic_rate", options.traffic},
          {"frontends", frontends}};
}

// The exercise as the run report draws it: one scenario, no probes, the background traffic's
// charts, haproxy's lanes, the alerts and every manual fault shaded.
void write_exercise_html(const std::string& file, gameday::ExerciseRecording recording) {
  auto exercise = gameday::exercise_report(std::move(recording));
  std::vector<scenario::ScenarioResult> results;
  results.push_back(std::move(exercise.result));
  auto journal = report::journal_json(results);
  journal["command_line"] = command_line();
  auto& entry = journal["scenarios"][0];
  if (!entry.contains("timeline")) {
    // No traffic: an empty timeline still carries the lanes and the fault windows.
    entry["timeline"] = scenario::Timeline::build(results.front().recording).to_json();
  }
  report::write_html_report(journal, file);
}

int run_up(const UpOptions& options) {
  const bool live_view = ::isatty(STDOUT_FILENO) != 0;
  setup_logging(options.verbose);
  if (live_view && !options.verbose) spdlog::set_level(spdlog::level::warn);  // the view shows it
  if (options.traffic < 0 || options.traffic > 100000) {
    spdlog::error("--traffic must be between 0 and 100000 requests/s, found {}", options.traffic);
    return kExitBadInput;
  }
  std::optional<topology::Topology> topology;
  topology::GameDaySettings gameday_settings;
  std::optional<process::RunDirectory> run_dir;
  std::unique_ptr<gameday::Journal> journal;
  try {
    topology = topology::load_topology(options.topology);
    gameday_settings = topology::load_gameday_settings(topology->file);
    const auto journal_path = options.journal.empty()
                                  ? gameday::default_journal_path(
                                        process::RunDirectory::base_directory(), topology->name,
                                        std::chrono::system_clock::now())
                                  : std::filesystem::path(options.journal);
    journal = std::make_unique<gameday::Journal>(journal_path, mono_now());
    run_dir.emplace(topology->name);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  } catch (const EnvironmentError& e) {
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  }
  run_dir->keep(options.keep);

  asio::io_context io(1);  // one thread owns everything: no locking
  deploy::Deployment deployment(io, std::move(*topology), *run_dir);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer until_stopped(io, asio::steady_timer::time_point::max());
  std::unique_ptr<alerting::AlertEngine> alerts;
  std::unique_ptr<gameday::BackgroundTraffic> traffic;
  std::unique_ptr<gameday::GameDaySession> session;
  std::unique_ptr<gameday::ControlServer> control;
  bool stop_requested = false;
  std::string why = "the exercise ended";
  auto stop = [&](std::string reason) {
    if (stop_requested) return;
    why = std::move(reason);
    stop_requested = true;
    deployment.request_stop();
    until_stopped.cancel();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received SIG{}: healing faults, tearing down", sigabbrev_np(signal));
    stop(fmt::format("SIG{}", sigabbrev_np(signal)));
  });

  int exit_code = kExitOk;
  std::map<std::string, std::string> config_hashes;
  bool html_written = false;
  auto main = [&]() -> asio::awaitable<void> {
    try {
      co_await deployment.prepare();
      alerts = alerting::make_alert_engine(deployment);
      co_await alerts->prepare();
      co_await deployment.launch();
      co_await alerts->start();
      // Nothing here reads which server served a request, and a game day can last for hours.
      for (auto& instance : deployment.instances()) instance->syslog().keep_request_lines(false);
      if (options.traffic > 0) {
        traffic = std::make_unique<gameday::BackgroundTraffic>(
            io, background_load(deployment, options.traffic));
        if (!options.html.empty()) traffic->keep_history();
        traffic->start();
      }
      session = std::make_unique<gameday::GameDaySession>(
          deployment, alerts.get(), traffic.get(), *journal,
          gameday::SessionOptions{gameday_settings, live_view, options.traffic,
                                  run_dir->path().string()});
      session->on_stop_requested([&](const std::string&) { stop("lbchaos halt --stop"); });
      control = std::make_unique<gameday::ControlServer>(
          io, run_dir->path() / gameday::kControlSocketName,
          [&](gameday::ControlRequest request, gameday::Actor actor) {
            return session->handle(std::move(request), std::move(actor));
          });
      control->start();
      gameday::RunInfo info;
      info.dir = run_dir->path();
      info.topology = deployment.topology().name;
      info.topology_file = deployment.topology().file.string();
      info.mode = "up";
      info.journal = journal->path().string();
      info.pid = ::getpid();
      gameday::write_run_info(info);
      journal->write("start", start_entry(deployment, options));
      announce(deployment, *journal, options.traffic);
      session->start();
      if (!options.ready_file.empty()) write_ready_file(options.ready_file, deployment.describe());
      boost::system::error_code ignored;
      if (!stop_requested) {
        co_await until_stopped.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
    } catch (const InputError& e) {
      spdlog::error("{}", e.what());
      exit_code = kExitBadInput;
    } catch (const EnvironmentError& e) {
      spdlog::error("{}", e.what());
      exit_code = kExitEnvironment;
    } catch (const deploy::Interrupted&) {
      spdlog::info("interrupted during start-up");
      exit_code = kExitOk;
    }
    stop_requested = true;
    if (control) control->close();
    if (session) co_await session->finish(why);
    if (traffic) co_await traffic->stop();
    const MonoTime exercise_end = mono_now();
    if (alerts) {
      try {
        co_await alerts->stop();
      } catch (const std::exception& e) {
        spdlog::error("stopping the alert engine failed: {}", e.what());
      }
    }
    if (!options.html.empty()) {
      std::vector<std::string> files{deployment.topology().file.string()};
      if (deployment.topology().haproxy.config) {
        files.push_back(deployment.topology().haproxy.config->string());
      }
      for (auto& instance : deployment.instances()) files.push_back(instance->config_path().string());
      for (const auto& file : files) {
        try {
          config_hashes[file] = sha256_of_file(file);
        } catch (const std::exception& e) {
          spdlog::warn("no sha256 of {}: {}", file, e.what());
        }
      }
    }
    co_await deployment.shutdown();
    nlohmann::json end = {{"actor", gameday::to_json(gameday::harness_actor())}, {"why", why}};
    if (traffic) {
      end["requests"] = traffic->completed() + traffic->failed();
      end["failed"] = traffic->failed();
    }
    journal->write("end", end);
    if (!options.html.empty() && session) {
      gameday::ExerciseRecording recording;
      recording.topology = deployment.topology();
      recording.start =
          traffic && traffic->started_at() ? *traffic->started_at() : journal->start();
      recording.end = exercise_end;
      recording.traffic_rate = options.traffic;
      if (traffic) recording.records = traffic->all_records(recording.servers);
      recording.faults = session->fault_events();
      recording.haproxy_events = session->haproxy_events();
      if (alerts) recording.alerts = alerts->recording();
      recording.config_sha256 = config_hashes;
      recording.wall_seconds = std::chrono::duration<double>(exercise_end - journal->start()).count();
      try {
        write_exercise_html(options.html, std::move(recording));
        html_written = true;
      } catch (const std::exception& e) {
        spdlog::error("cannot write the HTML report: {}", e.what());
        exit_code = kExitEnvironment;
      }
    }
    signals.cancel();
  };
  if (!run_io(io, main())) {
    exit_code = kExitEnvironment;
  }
  if (!options.ready_file.empty()) std::filesystem::remove(options.ready_file);
  fmt::print("lbchaos: stopped ({}); every fault healed; journal: {}\n", why,
             journal->path().string());
  if (html_written) fmt::print("lbchaos: HTML report of the exercise: {}\n", options.html);
  if (options.keep) spdlog::info("run directory kept: {}", run_dir->path().string());
  return exit_code;
}

}  // namespace

void add_up_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<UpOptions>();
  auto* up = app.add_subcommand(
      "up", "Start a topology (haproxy + backends), wait until every server is UP, serve until "
            "Ctrl-C");
  up->add_option("topology", options->topology, "Topology file (TOML)")->required();
  up->add_option("--ready-file", options->ready_file,
                 "Once ready, write frontend URLs, node pids and sockets here as JSON");
  up->add_option("--traffic", options->traffic,
                 "Background open-loop traffic through every haproxy instance, requests/s");
  up->add_option("--journal", options->journal,
                 "Append the game-day journal (JSON Lines) here; default "
                 "$LBCHAOS_TMPDIR|$TMPDIR|/tmp/gameday-<topology>-<time>.jsonl");
  up->add_option("--html", options->html,
                 "At the end, write the self-contained HTML report of the whole exercise here");
  up->add_flag("--keep", options->keep, "Keep the run directory (configs, logs) afterwards");
  up->add_flag("-v,--verbose", options->verbose, "Debug logging");
  up->callback([options, &exit_code] { exit_code = run_up(*options); });
}

}  // namespace lbchaos::cli

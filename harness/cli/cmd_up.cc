// `lbchaos up TOPOLOGY [--ready-file F]`: start everything, wait until haproxy reports every
// server UP, write F, serve until Ctrl-C or SIGTERM, tear down.
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
#include <memory>
#include <optional>

#include "harness/alerting/alert_engine.h"
#include "harness/cli/commands.h"
#include "harness/topology/route_hints.h"
#include "harness/cli/logging.h"
#include "harness/cli/run_io.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/deploy/deployment.h"
#include "harness/topology/loader.h"

namespace lbchaos::cli {

namespace {

namespace asio = boost::asio;

struct UpOptions {
  std::string topology;
  std::string ready_file;
  bool keep = false;
  bool verbose = false;
};

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

void announce(deploy::Deployment& deployment) {
  fmt::print("lbchaos: {} is up ({} haproxy instance(s), {} server(s)); run directory {}\n",
             deployment.topology().name, deployment.instances().size(),
             deployment.nodes().size(), deployment.run_dir().path().string());
  for (auto& instance : deployment.instances()) {
    for (const auto& [frontend, url] : instance->urls()) {
      fmt::print("  {} frontend {}: {}\n", instance->name(), frontend, url);
    }
  }
  print_routes(deployment);
  fmt::print("Alerts ({} engine) are logged as they change. Press Ctrl-C to stop.\n",
             deployment.topology().alerting.engine ==
                     topology::AlertingSettings::Engine::kPrometheus
                 ? "prometheus"
                 : "embedded");
  std::fflush(stdout);
}

// Game days: every alert state change, as the engine reports it, until Ctrl-C.
asio::awaitable<void> log_alerts(const alerting::AlertEngine& engine, asio::steady_timer& timer,
                                 const bool& stopping) {
  std::size_t shown = 0;
  while (!stopping) {
    const auto& events = engine.recording().events;
    for (; shown < events.size(); ++shown) {
      const auto& event = events[shown];
      std::string labels;
      for (const auto& [name, value] : event.labels) {
        labels += fmt::format("{}{}={}", labels.empty() ? "" : ",", name, value);
      }
      spdlog::info("alert {} {}{{{}}}{}", alerting::to_string(event.state), event.rule, labels,
                   event.summary.empty() ? "" : ": " + event.summary);
    }
    timer.expires_after(std::chrono::milliseconds(250));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

int run_up(const UpOptions& options) {
  setup_logging(options.verbose);
  std::optional<topology::Topology> topology;
  std::optional<process::RunDirectory> run_dir;
  try {
    topology = topology::load_topology(options.topology);
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
  asio::steady_timer alert_timer(io);
  std::unique_ptr<alerting::AlertEngine> alerts;
  bool stop_requested = false;
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received SIG{}: tearing down", sigabbrev_np(signal));
    stop_requested = true;
    deployment.request_stop();
    until_stopped.cancel();
    alert_timer.cancel();
  });

  int exit_code = kExitOk;
  auto main = [&]() -> asio::awaitable<void> {
    try {
      co_await deployment.prepare();
      alerts = alerting::make_alert_engine(deployment);
      co_await alerts->prepare();
      co_await deployment.launch();
      co_await alerts->start();
      announce(deployment);
      // Nothing here reads which server served a request, and a game day can last for hours.
      for (auto& instance : deployment.instances()) instance->syslog().keep_request_lines(false);
      asio::co_spawn(io, log_alerts(*alerts, alert_timer, stop_requested), asio::detached);
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
    alert_timer.cancel();
    if (alerts) {
      try {
        co_await alerts->stop();
      } catch (const std::exception& e) {
        spdlog::error("stopping the alert engine failed: {}", e.what());
      }
    }
    co_await deployment.shutdown();
    signals.cancel();
  };
  if (!run_io(io, main())) {
    exit_code = kExitEnvironment;
  }
  if (!options.ready_file.empty()) std::filesystem::remove(options.ready_file);
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
  up->add_flag("--keep", options->keep, "Keep the run directory (configs, logs) afterwards");
  up->add_flag("-v,--verbose", options->verbose, "Debug logging");
  up->callback([options, &exit_code] { exit_code = run_up(*options); });
}

}  // namespace lbchaos::cli

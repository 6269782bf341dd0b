#include "harness/scenario/runner.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "faults/catalogue.h"
#include "faults/load_balancer.h"
#include "faults/random.h"
#include "harness/alerting/alert_engine.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/common/sha256.h"
#include "harness/deploy/deployment.h"
#include "harness/observe/server_stats.h"
#include "harness/observe/unix_cli.h"
#include "harness/process/run_command.h"
#include "harness/process/run_directory.h"
#include "harness/scenario/abort_condition.h"
#include "harness/scenario/log_attribution.h"
#include "harness/traffic/load_generator.h"
#include "harness/traffic/recent_rate.h"

namespace lbchaos::scenario {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A fault of the scenario and what became of it.
struct ScheduledFault {
  const FaultSpec* spec = nullptr;
  std::unique_ptr<faults::Fault> fault;
  std::size_t event = 0;  // index in RunRecording::faults
  bool injected = false;
  bool healed = false;  // its heal ran: succeeded, or failed (the event says which)
};

// A detached coroutine that refers to the runner's state, so the runner must not go on (and
// eventually free that state) before it has returned.
class Joinable {
 public:
  explicit Joinable(asio::io_context& io) : done_(io) {}
  void start() {
    running_ = true;
    done_.expires_at(asio::steady_timer::time_point::max());
  }
  // Called by the coroutine as it returns.
  void finish() {
    running_ = false;
    done_.cancel();
  }
  // Returns once the coroutine has returned (at once when it never started).
  asio::awaitable<void> join() {
    boost::system::error_code ignored;
    while (running_) co_await done_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

 private:
  asio::steady_timer done_;
  bool running_ = false;
};

// One step of the schedule: inject or heal fault `index` at `at`.
struct Step {
  MonoTime at;
  std::size_t index = 0;
  bool heal = false;
};

// Lets traffic settle into its schedule before the first intended send.
constexpr auto kTrafficLead = 20ms;
// How often the `abort = true` expectations are checked during traffic.
constexpr auto kAbortCheckInterval = 100ms;

}  // namespace

struct ScenarioRunner::State final : RunControl {
  State(asio::io_context& io_, const Scenario& scenario_, RunOptions options_)
      : io(io_),
        scenario(scenario_),
        options(options_),
        schedule_timer(io_),
        schedule(io_),
        abort_timer(io_),
        abort_watch(io_) {}

  asio::io_context& io;
  const Scenario& scenario;
  RunOptions options;
  ScenarioResult result;
  std::optional<process::RunDirectory> run_dir;
  std::unique_ptr<deploy::Deployment> deployment;
  std::unique_ptr<traffic::LoadGenerator> generator;
  std::unique_ptr<alerting::AlertEngine> alerts;
  std::vector<FaultSpec> planned_faults;  // scenario.faults with every `random` fault drawn
  std::vector<ScheduledFault> faults;
  asio::steady_timer schedule_timer;
  int heals_in_flight = 0;  // heal() calls not finished yet, whoever started them
  Joinable schedule;  // the coroutine that injects and heals on schedule
  asio::steady_timer abort_timer;
  Joinable abort_watch;  // the coroutine that checks `abort = true` expectations
  bool traffic_done = false;
  bool stop_requested = false;
  bool schedule_stop = false;
  std::string schedule_error;
  MonoTime traffic_start{};

  bool manual_started = false;  // options.manual was told that traffic started

  // RunControl, for the manual fault source (`run --live`).
  [[nodiscard]] std::vector<RunControl::ActiveFault> active_scheduled() const override;
  asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>> halt_schedule()
      override;
  void stop(std::string why) override;

  asio::awaitable<void> bring_up();
  asio::awaitable<void> drive_traffic();
  asio::awaitable<void> run_schedule();
  asio::awaitable<void> watch_abort_conditions();
  asio::awaitable<void> stop_abort_watch();
  asio::awaitable<void> inject(ScheduledFault& fault);
  asio::awaitable<void> heal(ScheduledFault& fault);
  asio::awaitable<void> heal_everything();
  asio::awaitable<void> finish_manual_faults(const std::string& why);
  asio::awaitable<void> record_provenance();
  void record_fault_configs();
  void record_sha256(const std::vector<std::string>& files);
  bool report_heal_failures();
  asio::awaitable<void> stop_alerting();
  asio::awaitable<void> record_coverage();
  void collect_haproxy_events();
  void evaluate();
};

ScenarioRunner::ScenarioRunner(asio::io_context& io, const Scenario& scenario, RunOptions options)
    : state_(std::make_unique<State>(io, scenario, options)) {}

ScenarioRunner::~ScenarioRunner() = default;

void ScenarioRunner::request_stop() {
  auto& s = *state_;
  s.stop_requested = true;
  s.schedule_stop = true;
  s.schedule_timer.cancel();
  if (s.generator) s.generator->request_stop();
  if (s.deployment) s.deployment->request_stop();
}

Progress ScenarioRunner::progress() const {
  const auto& s = *state_;
  Progress p;
  p.total_s = std::chrono::duration<double>(s.scenario.traffic.duration).count();
  if (!s.generator || s.traffic_start == MonoTime{}) return p;
  p.elapsed_s = std::max(0.0, std::chrono::duration<double>(mono_now() - s.traffic_start).count());
  p.rate = traffic::recent_send_rate(s.generator->records(), to_ns(mono_now()),
                                     to_ns(s.traffic_start));
  p.errors = s.generator->failed();
  for (const auto& fault : s.faults) {
    if (fault.injected && !fault.healed) {
      if (!p.fault.empty()) p.fault += ", ";
      p.fault += fault.spec->action + " " + fault.spec->target;
    }
  }
  return p;
}

asio::awaitable<ScenarioResult> ScenarioRunner::run() {
  auto& s = *state_;
  const MonoTime wall_start = mono_now();
  s.result.scenario = &s.scenario;
  s.result.seed = s.options.seed.value_or(s.scenario.seed);

  std::string error;
  int error_code = 0;
  bool interrupted = false;
  try {
    co_await s.bring_up();
    co_await s.drive_traffic();
    if (!s.schedule_error.empty()) throw EnvironmentError(s.schedule_error);
  } catch (const InputError& e) {
    error = e.what();
    error_code = kExitBadInput;
  } catch (const EnvironmentError& e) {
    error = e.what();
    error_code = kExitEnvironment;
  } catch (const deploy::Interrupted&) {
    interrupted = true;
  } catch (const std::exception& e) {
    error = fmt::format("internal error: {}", e.what());
    error_code = kExitEnvironment;
  }
  interrupted = interrupted || s.stop_requested;
  co_await s.stop_abort_watch();
  s.result.fault_plan = s.planned_faults;

  co_await attribute_servers_from_logs(s.deployment.get(), s.generator.get());
  co_await s.record_coverage();
  // A named string, not a temporary in the co_await: GCC 12 destroys conditional temporaries
  // of a co_await expression twice.
  std::string why_over = "the scenario's traffic ended";
  if (!error.empty()) {
    why_over = "the scenario could not go on: " + error;
  } else if (interrupted) {
    why_over = "the run was interrupted";
  } else if (!s.result.abort_reason.empty()) {
    why_over = "the run was aborted: " + s.result.abort_reason;
  }
  co_await s.finish_manual_faults(why_over);
  co_await s.heal_everything();
  co_await s.stop_alerting();
  if (s.deployment) {
    co_await s.deployment->shutdown();
    s.collect_haproxy_events();
    s.record_fault_configs();
  }
  if (s.generator) {
    s.result.recording.records = s.generator->records();
    s.result.recording.servers = s.generator->servers();
  }

  if (!error.empty()) {
    s.result.outcome = ScenarioResult::Outcome::kError;
    s.result.error = error;
    s.result.error_exit_code = error_code;
    s.report_heal_failures();
  } else {
    s.evaluate();
    if (s.report_heal_failures()) {
      // A fault may be left in place: the verdicts stand, but the run is an error.
    } else if (interrupted) {
      s.result.outcome = ScenarioResult::Outcome::kInterrupted;
    } else {
      const bool all_passed = s.result.failed() + s.result.errors() == 0;
      s.result.outcome = all_passed && s.result.abort_reason.empty()
                             ? ScenarioResult::Outcome::kPassed
                             : ScenarioResult::Outcome::kFailed;
    }
  }
  s.result.wall_seconds = std::chrono::duration<double>(mono_now() - wall_start).count();
  co_return std::move(s.result);
}

asio::awaitable<void> ScenarioRunner::State::bring_up() {
  planned_faults = faults::expand_random_faults(scenario, result.seed);
  run_dir.emplace(scenario.name);
  run_dir->keep(options.keep);
  deployment = std::make_unique<deploy::Deployment>(io, scenario.topology, *run_dir);
  co_await deployment->prepare();
  // Every fault is built from the prepared deployment before anything starts, so a fault that
  // cannot apply to its target is invalid input with nothing to tear down.
  for (const auto& spec : planned_faults) {
    auto fault = faults::make_fault(spec, *deployment);
    if (auto* recorder = dynamic_cast<faults::ReloadRecorder*>(fault.get())) {
      recorder->record_reloads_in(result.recording.reloads);  // for reload_rejected
    }
    faults.push_back(ScheduledFault{&spec, std::move(fault), 0, false, false});
  }
  alerts = alerting::make_alert_engine(*deployment);
  co_await alerts->prepare();
  co_await record_provenance();
  co_await deployment->launch();
  co_await alerts->start();
}

asio::awaitable<void> ScenarioRunner::State::drive_traffic() {
  if (stop_requested) throw deploy::Interrupted();
  const auto& spec = scenario.traffic;
  traffic::LoadOptions load;
  load.rate = spec.rate;
  load.duration = spec.duration;
  load.clients = spec.clients;
  load.max_connections = spec.max_connections;
  load.timeout = spec.timeout;
  load.paths = spec.paths;
  load.requests = spec.requests;
  load.seed = result.seed;
  load.protocol = spec.protocol;
  load.tcp_send = spec.send;
  load.tcp_expect = spec.expect;
  for (auto& instance : deployment->instances()) {
    const auto& binds = instance->endpoints().binds;
    const auto bind = spec.frontend.empty() ? binds.begin() : binds.find(spec.frontend);
    if (bind == binds.end()) {
      throw InputError(spec.where, fmt::format("no frontend '{}' in this run", spec.frontend));
    }
    load.targets.push_back(bind->second);
  }
  generator = std::make_unique<traffic::LoadGenerator>(io, load);

  traffic_start = mono_now() + kTrafficLead;
  auto& recording = result.recording;
  recording.traffic_start_ns = to_ns(traffic_start);
  recording.steady_start_ns = to_ns(traffic_start + spec.warmup);
  recording.traffic_end_ns = to_ns(traffic_start + spec.duration);

  if (options.manual != nullptr) {
    manual_started = true;  // finish() is owed even when started() throws halfway
    options.manual->started(LiveRun{*deployment, alerts.get(), *generator, traffic_start, *this});
  }
  schedule.start();
  asio::co_spawn(io, run_schedule(), asio::detached);
  const bool watch_aborts = std::any_of(scenario.expectations.begin(), scenario.expectations.end(),
                                        [](const Expectation& e) { return e.abort; });
  if (watch_aborts) {
    abort_watch.start();
    asio::co_spawn(io, watch_abort_conditions(), asio::detached);
  }
  co_await generator->run(traffic_start);

  // Traffic is over: the schedule stops, and whatever is still injected is healed afterwards.
  schedule_stop = true;
  schedule_timer.cancel();
  co_await schedule.join();
}

asio::awaitable<void> ScenarioRunner::State::run_schedule() {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto& spec = *faults[i].spec;
    steps.push_back(Step{traffic_start + spec.at, i, false});
    if (spec.heal_after) steps.push_back(Step{traffic_start + spec.at + *spec.heal_after, i, true});
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const Step& a, const Step& b) { return a.at < b.at; });
  try {
    for (const auto& step : steps) {
      schedule_timer.expires_at(step.at);
      boost::system::error_code ec;
      co_await schedule_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (schedule_stop) break;
      if (step.heal) {
        co_await heal(faults[step.index]);
      } else {
        co_await inject(faults[step.index]);
      }
    }
  } catch (const std::exception& e) {
    schedule_error = e.what();
    if (generator) generator->request_stop();
  }
  schedule.finish();
}

// Checks the `abort = true` expectations as requests complete; the first that can no longer pass
// stops the traffic, and the run goes on to heal, tear down and evaluate as at its normal end.
asio::awaitable<void> ScenarioRunner::State::watch_abort_conditions() {
  const std::uint64_t due = generator->scheduled();
  while (!traffic_done && result.abort_reason.empty()) {
    for (const auto& expectation : scenario.expectations) {
      if (!expectation.abort) continue;
      if (auto reason = abort_reason(expectation, generator->failed(), due)) {
        result.abort_reason = std::move(*reason);
        result.abort_ns = to_ns(mono_now());
        spdlog::warn("aborting: {}", result.abort_reason);
        schedule_stop = true;
        schedule_timer.cancel();
        generator->request_stop();
        break;
      }
    }
    abort_timer.expires_after(kAbortCheckInterval);
    boost::system::error_code ignored;
    co_await abort_timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  abort_watch.finish();
}

asio::awaitable<void> ScenarioRunner::State::stop_abort_watch() {
  traffic_done = true;
  abort_timer.cancel();
  co_await abort_watch.join();
}

asio::awaitable<void> ScenarioRunner::State::inject(ScheduledFault& fault) {
  FaultEvent event = faults::event_for(*fault.spec);
  event.injected_ns = to_ns(mono_now());
  fault.event = result.recording.faults.size();
  result.recording.faults.push_back(event);
  fault.injected = true;
  const std::string detail = co_await fault.fault->inject();
  result.recording.faults[fault.event].detail = detail;
  spdlog::info("fault: {} {}: {}", event.action, event.target, detail);
}

// Stamps the fault healed only when its heal succeeded; a heal that throws is recorded as
// failed, with its error, and the run goes on healing the rest.
asio::awaitable<void> ScenarioRunner::State::heal(ScheduledFault& fault) {
  if (!fault.injected || fault.healed) co_return;
  fault.healed = true;
  ++heals_in_flight;
  const std::size_t index = fault.event;
  const MonoTime started = mono_now();
  std::string detail;
  std::string failure;
  try {
    detail = co_await fault.fault->heal();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  --heals_in_flight;
  auto& event = result.recording.faults[index];
  if (failure.empty()) {
    event.healed_ns = to_ns(started);
    event.detail += "; healed: " + detail;
    spdlog::info("heal: {} {}: {}", event.action, event.target, detail);
  } else {
    event.heal_failed = true;
    event.heal_error = failure;
    event.detail += "; heal FAILED: " + failure;
    spdlog::error("heal FAILED: {} {}: {}", event.action, event.target, failure);
  }
}

asio::awaitable<void> ScenarioRunner::State::heal_everything() {
  // Reverse order of injection: the last fault applied is undone first.
  std::vector<ScheduledFault*> active;
  for (auto& fault : faults) {
    if (fault.injected && !fault.healed) active.push_back(&fault);
  }
  std::sort(active.begin(), active.end(),
            [](const ScheduledFault* a, const ScheduledFault* b) { return a->event > b->event; });
  for (auto* fault : active) co_await heal(*fault);
  // A heal begun elsewhere (`lbchaos halt` while traffic ended) counts as done only when it is:
  // tearing down under it would leave a node it restarts behind.
  while (heals_in_flight > 0) {
    asio::steady_timer poll(io, std::chrono::milliseconds(20));
    co_await poll.async_wait(asio::use_awaitable);
  }
}

// The manual faults (`run --live`) are healed first (they came on top of the schedule) and join
// the recording in the order they were injected.
asio::awaitable<void> ScenarioRunner::State::finish_manual_faults(const std::string& why) {
  if (!manual_started) co_return;
  manual_started = false;
  auto events = co_await options.manual->finish(why);
  auto& recorded = result.recording.faults;
  for (auto& event : events) recorded.push_back(std::move(event));
  // Stable: the schedule's indexes (ScheduledFault::event) point at the same events after it.
  std::vector<std::size_t> order(recorded.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return recorded[a].injected_ns < recorded[b].injected_ns;
  });
  std::vector<FaultEvent> sorted;
  std::vector<std::size_t> moved_to(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    moved_to[order[i]] = i;
    sorted.push_back(std::move(recorded[order[i]]));
  }
  recorded = std::move(sorted);
  for (auto& fault : faults) {
    if (fault.injected) fault.event = moved_to[fault.event];
  }
}

std::vector<RunControl::ActiveFault> ScenarioRunner::State::active_scheduled() const {
  std::vector<RunControl::ActiveFault> out;
  for (const auto& fault : faults) {
    if (!fault.injected || fault.healed) continue;
    const auto& event = result.recording.faults[fault.event];
    out.push_back(RunControl::ActiveFault{
        event.action, event.target, MonoTime(std::chrono::nanoseconds(event.injected_ns)),
        event.detail});
  }
  return out;
}

asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>>
ScenarioRunner::State::halt_schedule() {
  // No more of the schedule; a step in flight finishes first, so no heal races its inject.
  schedule_stop = true;
  schedule_timer.cancel();
  co_await schedule.join();
  std::vector<std::size_t> active;
  for (const auto& fault : faults) {
    if (fault.injected && !fault.healed) active.push_back(fault.event);
  }
  co_await heal_everything();
  std::vector<std::string> healed;
  std::vector<std::string> failed;
  for (const std::size_t index : active) {
    const auto& event = result.recording.faults[index];
    (event.heal_failed ? failed : healed).push_back(fmt::format("{} {}", event.action, event.target));
  }
  if (!active.empty()) spdlog::info("halt: the schedule's faults healed, no more injected");
  co_return std::make_pair(healed, failed);
}

void ScenarioRunner::State::stop(std::string why) {
  if (traffic_done || !result.abort_reason.empty()) return;
  result.abort_reason = std::move(why);
  result.abort_ns = to_ns(mono_now());
  spdlog::warn("aborting: {}", result.abort_reason);
  schedule_stop = true;
  schedule_timer.cancel();
  if (generator) generator->request_stop();
}

// A fault whose heal failed may still be in place: the scenario is an error (exit 1), whatever
// its probes say, and the message names each such fault.
bool ScenarioRunner::State::report_heal_failures() {
  std::vector<std::string> failed;
  for (const auto& event : result.recording.faults) {
    if (event.heal_failed) {
      failed.push_back(fmt::format("{} {}: {}", event.action, event.target, event.heal_error));
    }
  }
  if (failed.empty()) return false;
  const std::string message = fmt::format("heal failed, the fault may still be in place: {}",
                                          fmt::join(failed, "; "));
  if (!result.error.empty()) {
    result.error += "; " + message;  // the run had failed already; its exit code stands
    return true;
  }
  result.outcome = ScenarioResult::Outcome::kError;
  result.error_exit_code = kExitProbeFailed;
  result.error = message;
  return true;
}

asio::awaitable<void> ScenarioRunner::State::record_provenance() {
  const auto dir = run_dir->path();
  std::vector<std::string> version_args{"-v"};  // a local: GCC 12 rejects a braced list here
  auto version = co_await process::run_to_completion(deployment->haproxy_binary(),
                                                     std::move(version_args), dir,
                                                     dir / "haproxy-version.txt", 10s);
  result.haproxy_version = version.output.substr(0, version.output.find('\n'));

  std::vector<std::string> files{scenario.file.string(), scenario.topology.file.string()};
  if (scenario.topology.haproxy.config) files.push_back(scenario.topology.haproxy.config->string());
  for (auto& instance : deployment->instances()) files.push_back(instance->config_path().string());
  record_sha256(files);
}

void ScenarioRunner::State::record_sha256(const std::vector<std::string>& files) {
  for (const auto& file : files) result.config_sha256[file] = sha256_of_file(file);
}

asio::awaitable<void> ScenarioRunner::State::stop_alerting() {
  if (!alerts) co_return;
  try {
    co_await alerts->stop();
  } catch (const std::exception& e) {
    spdlog::error("stopping the alert engine failed: {}", e.what());
  }
  result.recording.alerts = alerts->recording();
}

// The configs faults wrote (config_corrupt's corrupted copy) join the provenance, so the
// journal says exactly which bytes were loaded.
void ScenarioRunner::State::record_fault_configs() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run_dir->path(), ec)) {
    const auto path = entry.path().string();
    if (entry.is_regular_file() && entry.path().extension() == ".cfg" &&
        !result.config_sha256.contains(path)) {
      files.push_back(path);
    }
  }
  try {
    record_sha256(files);
  } catch (const std::exception& e) {
    spdlog::warn("cannot record the sha256 of fault configs: {}", e.what());
  }
}

// HTTP: from the server each response names. TCP: from haproxy's per-server lbtot, read before
// the instances stop (TCP answers name no server).
asio::awaitable<void> ScenarioRunner::State::record_coverage() {
  if (!deployment || !generator) co_return;
  const auto& keys = deployment->server_keys();
  if (scenario.traffic.protocol == traffic::Protocol::kHttp) {
    result.coverage =
        coverage_from_records(keys, generator->records(), generator->servers());
  } else {
    std::map<std::string, std::uint64_t> totals;
    try {
      for (auto& instance : deployment->instances()) {
        const auto csv =
            co_await observe::cli_request(instance->endpoints().stats_socket, "show stat");
        for (const auto& row : observe::parse_show_stat(csv)) {
          totals[row.key()] += static_cast<std::uint64_t>(std::max(0LL, row.lb_total));
        }
      }
      result.coverage = coverage_from_totals(keys, totals);
    } catch (const std::exception& e) {
      spdlog::warn("route coverage not measured: cannot read haproxy's stats: {}", e.what());
      co_return;
    }
  }
  spdlog::info("route coverage: {}", result.coverage.summary());
}

void ScenarioRunner::State::collect_haproxy_events() {
  auto& events = result.recording.haproxy_events;
  for (auto& instance : deployment->instances()) {
    for (const auto& health : instance->syslog().health_events()) {
      events.push_back(HaproxyEvent{to_ns(health.at), health.instance,
                                    topology::server_key(health.change.backend, health.change.server),
                                    health.change.state, health.change.reason});
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const HaproxyEvent& a, const HaproxyEvent& b) { return a.at_ns < b.at_ns; });
}

void ScenarioRunner::State::evaluate() {
  for (const auto& expectation : scenario.expectations) {
    result.probes.push_back(probes::evaluate(expectation, result.recording, scenario.topology));
  }
}

}  // namespace lbchaos::scenario

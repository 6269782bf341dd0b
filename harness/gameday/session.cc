#include "harness/gameday/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "faults/catalogue.h"
#include "harness/alerting/alert_engine.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/deploy/deployment.h"
#include "harness/gameday/inject_command.h"
#include "harness/gameday/stop_conditions.h"
#include "harness/traffic/load_generator.h"
#include "harness/traffic/recent_rate.h"

namespace lbchaos::gameday {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kTick = 1s;
constexpr auto kRateWindow = 1s;
constexpr auto kP99Window = 10s;
constexpr std::size_t kRecentEvents = 8;
// Refused injections, exercise over: exit 1 (the command did not happen, the input was fine).
constexpr int kExitRefused = 1;

double seconds_between(MonoTime from, MonoTime to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string labels_text(const observe::Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    out += fmt::format("{}{}={}", out.empty() ? "" : ",", name, value);
  }
  return out;
}

std::string inject_words(const InjectArgs& args) {
  std::string out = fmt::format("inject {} {}", args.action, args.target);
  for (const auto& [key, value] : args.params) out += fmt::format(" --{} {}", key, value);
  if (!args.for_duration.empty()) out += " --for " + args.for_duration;
  return out;
}

ControlResponse ok_response(std::string message, nlohmann::json data = nlohmann::json::object()) {
  ControlResponse response;
  response.message = std::move(message);
  response.data = std::move(data);
  return response;
}

}  // namespace

struct GameDaySession::ActiveFault {
  enum class State { kInjecting, kActive, kHealing, kHealed, kHealFailed };

  ActiveFault(asio::io_context& io) : heal_timer(io) {}

  std::string id;
  scenario::FaultSpec spec;
  std::unique_ptr<faults::Fault> fault;
  std::string command;
  Actor actor;
  MonoTime injected_at{};
  std::string detail;
  State state = State::kInjecting;
  bool inject_failed = false;
  std::optional<MonoTime> healed_at;
  std::string heal_detail;
  std::string heal_error;
  std::string healed_by;
  asio::steady_timer heal_timer;
};

GameDaySession::GameDaySession(deploy::Deployment& deployment, alerting::AlertEngine* alerts,
                               BackgroundTraffic* traffic, Journal& journal,
                               SessionOptions options)
    : deployment_(deployment),
      alerts_(alerts),
      traffic_(traffic),
      journal_(journal),
      options_(std::move(options)),
      tick_timer_(deployment.io()) {
  for (auto& instance : deployment_.instances()) {
    health_cursor_.push_back(0);
    lb_running_.push_back(true);
    for (const auto& server : deployment_.server_keys()) server_state_[server][instance->name()] = "UP";
  }
}

GameDaySession::~GameDaySession() { *alive_ = false; }

void GameDaySession::start() {
  watching_ = true;
  judge_from_ = mono_now();
  asio::co_spawn(deployment_.io(), watch(), asio::detached);
}

asio::awaitable<void> GameDaySession::watch() {
  const auto alive = alive_;
  while (*alive && watching_) {
    co_await tick();
    if (!*alive || !watching_) break;
    tick_timer_.expires_after(kTick);
    boost::system::error_code ignored;
    co_await tick_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> GameDaySession::tick() {
  collect_events();
  co_await check_stop_conditions();
  draw();
}

void GameDaySession::event(const std::string& line) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  ::localtime_r(&now, &local);
  const std::string stamped = fmt::format("{:02}:{:02}:{:02} {}", local.tm_hour, local.tm_min,
                                          local.tm_sec, line);
  recent_.push_back(stamped);
  while (recent_.size() > kRecentEvents) recent_.pop_front();
  if (!options_.live_view) {
    fmt::print("{}\n", stamped);
    std::fflush(stdout);
  }
}

void GameDaySession::draw() {
  if (!options_.live_view) return;
  // Home, clear to the end, then the whole view: one write per second, no flicker of a blank
  // screen in between.
  fmt::print("\033[H\033[J{}", render_view(snapshot(), true));
  std::fflush(stdout);
}

void GameDaySession::collect_events() {
  auto& instances = deployment_.instances();
  for (std::size_t i = 0; i < instances.size(); ++i) {
    auto& instance = *instances[i];
    const auto& events = instance.syslog().health_events();
    for (; health_cursor_[i] < events.size(); ++health_cursor_[i]) {
      const auto& health = events[health_cursor_[i]];
      const std::string server = topology::server_key(health.change.backend, health.change.server);
      server_state_[server][instance.name()] = health.change.state;
      haproxy_events_.push_back(scenario::HaproxyEvent{to_ns(health.at), static_cast<int>(i), server,
                                                       health.change.state, health.change.reason});
      journal_.write("haproxy", {{"lb", instance.name()},
                                 {"server", server},
                                 {"state", health.change.state},
                                 {"reason", health.change.reason},
                                 {"at", journal_.run_seconds(health.at)}});
      event(fmt::format("{}: {} is {} ({})", instance.name(), server, health.change.state,
                        health.change.reason));
    }
    const bool running = instance.running();
    if (running != lb_running_[i]) {
      lb_running_[i] = running;
      journal_.write("lb", {{"lb", instance.name()}, {"state", running ? "running" : "stopped"}});
      event(fmt::format("{} {}", instance.name(), running ? "is running again" : "stopped"));
    }
  }
  if (alerts_ != nullptr) {
    const auto& events = alerts_->recording().events;
    for (; alert_cursor_ < events.size(); ++alert_cursor_) {
      const auto& alert = events[alert_cursor_];
      const std::string labels = labels_text(alert.labels);
      const std::string key = alert.rule + "{" + labels + "}";
      const std::string state(alerting::to_string(alert.state));
      if (alert.state == alerting::AlertState::kResolved) {
        alerts_now_.erase(key);
      } else {
        alerts_now_[key] = AlertLine{alert.rule, labels, state};
      }
      journal_.write("alert", {{"rule", alert.rule},
                               {"labels", alert.labels},
                               {"state", state},
                               {"summary", alert.summary}});
      event(fmt::format("alert {} {}{{{}}}", state, alert.rule, labels));
    }
  }
  if (traffic_ != nullptr && traffic_->current() != nullptr) {
    auto* generator = traffic_->current();
    if (settled_segment_ != traffic_->segment()) {
      settled_segment_ = traffic_->segment();
      settled_ = 0;
    }
    const auto& records = generator->records();
    for (; settled_ < records.size() && records[settled_].done_ns != 0; ++settled_) {
      const auto& record = records[settled_];
      if (record.failed() && record.server != traffic::kUnknownServer) {
        ++server_errors_[generator->servers().name(record.server)];
      }
    }
  }
}

asio::awaitable<void> GameDaySession::check_stop_conditions() {
  const auto& halt_if = options_.settings.halt_if;
  if (!halt_if.any() || !halted_reason_.empty() || finishing_) co_return;
  WindowStats window;
  if (traffic_ != nullptr && traffic_->current() != nullptr) {
    // After `halt --clear`, what failed before it no longer counts.
    const MonoTime now = mono_now();
    const Duration over = std::min<Duration>(
        halt_if.over, std::chrono::duration_cast<Duration>(now - judge_from_));
    window = window_stats(traffic_->current()->records(), to_ns(now), over,
                          traffic_->options().timeout);
  }
  std::vector<std::string> firing;
  for (const auto& [key, alert] : alerts_now_) {
    if (alert.state == "firing") firing.push_back(alert.rule);
  }
  const auto reason = check_halt(halt_if, window, firing);
  if (!reason) co_return;
  halted_reason_ = *reason;
  ++halt_epoch_;
  journal_.write("stop_condition", {{"actor", to_json(harness_actor())}, {"reason", *reason}});
  event(fmt::format("STOP CONDITION: {}: healing every fault; injections refused until `lbchaos "
                    "halt --clear`",
                    *reason));
  co_await heal_all(harness_actor(), "stop condition: " + *reason);
}

asio::awaitable<ControlResponse> GameDaySession::handle(ControlRequest request, Actor actor) {
  try {
    if (request.command == "inject") co_return co_await inject(request.args, actor);
    if (request.command == "heal") co_return co_await heal(request.args, actor);
    if (request.command == "halt") co_return co_await halt(request.args, actor);
    if (request.command == "note") co_return note(request.args, actor);
    if (request.command == "status") {
      const auto view = snapshot();
      co_return ok_response(render_view(view, false), to_json(view));
    }
    co_return error_response(kExitBadInput, fmt::format("unknown command '{}'", request.command));
  } catch (const std::invalid_argument& e) {
    co_return error_response(kExitBadInput, fmt::format("bad request: {}", e.what()));
  }
}

asio::awaitable<ControlResponse> GameDaySession::inject(const nlohmann::json& json,
                                                        const Actor& actor) {
  const InjectArgs args = InjectArgs::from_json(json);
  const std::string command = inject_words(args);
  auto refuse = [&](int code, const std::string& why) {
    journal_.write("refused", {{"actor", to_json(actor)}, {"command", command}, {"reason", why}});
    event(fmt::format("{} refused ({}): {}", command, actor.user, why));
    return error_response(code, why);
  };
  if (finishing_) co_return refuse(kExitRefused, "the exercise is ending: injections refused");
  if (!halted_reason_.empty()) {
    co_return refuse(kExitRefused,
                     fmt::format("injections are refused since a stop condition tripped ({}); "
                                 "`lbchaos halt --clear` allows them again",
                                 halted_reason_));
  }
  auto fault = std::make_unique<ActiveFault>(deployment_.io());
  try {
    fault->spec = parse_inject(args, deployment_.topology());
    fault->fault = faults::make_fault(fault->spec, deployment_);
  } catch (const InputError& e) {
    co_return refuse(kExitBadInput, e.what());
  }
  fault->id = fmt::format("f{}", next_fault_id_++);
  fault->command = command;
  fault->actor = actor;
  fault->injected_at = mono_now();
  ActiveFault& f = *faults_.emplace_back(std::move(fault));
  const int epoch = halt_epoch_;
  std::string failure;
  try {
    f.detail = co_await f.fault->inject();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    // Whatever part of it applied is undone: a failed inject still gets its heal.
    f.state = ActiveFault::State::kActive;
    f.inject_failed = true;
    journal_.write("inject_failed", {{"actor", to_json(actor)},
                                     {"command", command},
                                     {"fault", f.id},
                                     {"error", failure}});
    event(fmt::format("{} {} failed: {}", f.id, command, failure));
    co_await heal_fault(f, harness_actor(), "its inject failed");
    co_return error_response(kExitEnvironment, fmt::format("inject failed: {}", failure));
  }
  f.state = ActiveFault::State::kActive;
  journal_.write("inject", {{"actor", to_json(actor)},
                            {"command", command},
                            {"fault", f.id},
                            {"action", f.spec.action},
                            {"target", f.spec.target},
                            {"manual", true},
                            {"heal_after_s", f.spec.heal_after
                                                 ? nlohmann::json(std::chrono::duration<double>(
                                                                      *f.spec.heal_after)
                                                                      .count())
                                                 : nlohmann::json()},
                            {"detail", f.detail}});
  event(fmt::format("{} {} by {}: {}", f.id, command, actor.user, f.detail));
  if (epoch != halt_epoch_ || finishing_) {
    co_await heal_fault(f, harness_actor(), "a halt came while it was being injected");
    co_return error_response(kExitRefused, fmt::format("{} was healed at once: a halt came while "
                                                       "it was being injected",
                                                       f.id));
  }
  if (f.spec.heal_after) {
    f.heal_timer.expires_after(*f.spec.heal_after);
    asio::co_spawn(deployment_.io(), heal_when_due(&f), asio::detached);
  }
  co_return ok_response(f.id, {{"fault", f.id}, {"detail", f.detail}});
}

asio::awaitable<void> GameDaySession::heal_when_due(ActiveFault* fault) {
  const auto alive = alive_;
  boost::system::error_code ec;
  co_await fault->heal_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (ec || !*alive || fault->state != ActiveFault::State::kActive) co_return;
  Actor actor = harness_actor();
  co_await heal_fault(*fault, actor, "--for elapsed");
}

asio::awaitable<std::string> GameDaySession::heal_fault(ActiveFault& fault, const Actor& actor,
                                                        const std::string& why) {
  if (fault.state != ActiveFault::State::kActive) co_return std::string();
  fault.state = ActiveFault::State::kHealing;
  fault.heal_timer.cancel();
  std::string error;
  std::string detail;
  try {
    detail = co_await fault.fault->heal();
  } catch (const std::exception& e) {
    error = e.what();
  }
  const MonoTime healed_at = mono_now();
  const double active_s = seconds_between(fault.injected_at, healed_at);
  fault.healed_by = actor.user;
  if (!error.empty()) {
    fault.state = ActiveFault::State::kHealFailed;
    fault.heal_error = error;
    journal_.write("heal_failed", {{"actor", to_json(actor)},
                                   {"fault", fault.id},
                                   {"action", fault.spec.action},
                                   {"target", fault.spec.target},
                                   {"why", why},
                                   {"error", error}});
    event(fmt::format("{} heal FAILED ({} {}): {}", fault.id, fault.spec.action, fault.spec.target,
                      error));
    co_return error;
  }
  fault.state = ActiveFault::State::kHealed;
  fault.healed_at = healed_at;
  fault.heal_detail = detail;
  journal_.write("heal", {{"actor", to_json(actor)},
                          {"fault", fault.id},
                          {"action", fault.spec.action},
                          {"target", fault.spec.target},
                          {"why", why},
                          {"active_s", active_s},
                          {"detail", detail}});
  event(fmt::format("{} healed by {} ({}): {}", fault.id, actor.user, why, detail));
  co_return std::string();
}

asio::awaitable<std::pair<std::vector<std::string>, std::vector<std::string>>>
GameDaySession::heal_all(const Actor& actor, const std::string& why) {
  std::vector<std::string> healed;
  std::vector<std::string> failed;
  for (auto it = faults_.rbegin(); it != faults_.rend(); ++it) {
    ActiveFault& fault = **it;
    if (fault.state != ActiveFault::State::kActive) continue;
    const std::string error = co_await heal_fault(fault, actor, why);
    (error.empty() ? healed : failed).push_back(fault.id);
  }
  co_return std::make_pair(healed, failed);
}

asio::awaitable<ControlResponse> GameDaySession::heal(const nlohmann::json& args,
                                                      const Actor& actor) {
  if (args.value("all", false)) {
    const auto [healed, failed] = co_await heal_all(actor, "lbchaos heal --all");
    journal_.write("heal_all", {{"actor", to_json(actor)},
                                {"command", "heal --all"},
                                {"healed", healed},
                                {"failed", failed}});
    if (!failed.empty()) {
      co_return error_response(kExitEnvironment,
                               fmt::format("heal failed for {}", fmt::join(failed, ", ")));
    }
    co_return ok_response(healed.empty() ? std::string("nothing to heal")
                                          : fmt::format("healed {}", fmt::join(healed, ", ")),
                          {{"healed", healed}});
  }
  const std::string id = args.value("id", "");
  const auto found = std::find_if(faults_.begin(), faults_.end(),
                                  [&](const auto& f) { return f->id == id; });
  if (found == faults_.end()) {
    std::vector<std::string> active;
    for (const auto& f : faults_) {
      if (f->state == ActiveFault::State::kActive) active.push_back(f->id);
    }
    co_return error_response(kExitBadInput,
                             fmt::format("no fault {} (active: {})", id,
                                         active.empty() ? std::string("none")
                                                        : fmt::format("{}", fmt::join(active, ", "))));
  }
  ActiveFault& fault = **found;
  if (fault.state != ActiveFault::State::kActive) {
    co_return ok_response(fmt::format("{} is not active (already healed)", id));
  }
  const std::string error = co_await heal_fault(fault, actor, "lbchaos heal " + id);
  if (!error.empty()) {
    co_return error_response(kExitEnvironment, fmt::format("heal of {} failed: {}", id, error));
  }
  co_return ok_response(fmt::format("healed {}", id), {{"healed", {id}}});
}

asio::awaitable<ControlResponse> GameDaySession::halt(const nlohmann::json& args,
                                                      const Actor& actor) {
  const bool stop = args.value("stop", false);
  const bool clear = args.value("clear", false);
  ++halt_epoch_;
  auto [healed, failed] = co_await heal_all(actor, "lbchaos halt");
  if (other_.halt) {
    // Under `run --live`: the schedule's faults too, and no more of them.
    const auto [other_healed, other_failed] = co_await other_.halt();
    healed.insert(healed.end(), other_healed.begin(), other_healed.end());
    failed.insert(failed.end(), other_failed.begin(), other_failed.end());
  }
  journal_.write("halt", {{"actor", to_json(actor)},
                          {"command", fmt::format("halt{}{}", stop ? " --stop" : "",
                                                  clear ? " --clear" : "")},
                          {"healed", healed},
                          {"failed", failed}});
  event(fmt::format("halt by {}: healed {}", actor.user,
                    healed.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(healed, ", "))));
  std::string message =
      healed.empty() ? "halted: no fault was active" : fmt::format("halted: healed {}", fmt::join(healed, ", "));
  if (clear) {
    if (halted_reason_.empty()) {
      message += "; no stop condition to clear";
    } else {
      journal_.write("clear", {{"actor", to_json(actor)}, {"cleared", halted_reason_}});
      event(fmt::format("stop condition cleared by {}: injections allowed", actor.user));
      halted_reason_.clear();
      judge_from_ = mono_now();
      message += "; stop condition cleared, injections allowed";
    }
  }
  if (stop) {
    message += "; the exercise is ending";
    if (on_stop_) {
      asio::post(deployment_.io(), [callback = on_stop_, who = actor.user] {
        callback(fmt::format("lbchaos halt --stop by {}", who));
      });
    }
  }
  if (!failed.empty()) {
    co_return error_response(kExitEnvironment,
                             message + fmt::format("; heal FAILED for {}", fmt::join(failed, ", ")));
  }
  co_return ok_response(message, {{"healed", healed}});
}

ControlResponse GameDaySession::note(const nlohmann::json& args, const Actor& actor) {
  const std::string text = args.value("text", "");
  if (text.empty()) return error_response(kExitBadInput, "note needs a text");
  journal_.write("note", {{"actor", to_json(actor)}, {"text", text}});
  event(fmt::format("note by {}: {}", actor.user, text));
  return ok_response("noted");
}

asio::awaitable<void> GameDaySession::finish(const std::string& why) {
  finishing_ = true;
  watching_ = false;
  tick_timer_.cancel();
  collect_events();
  const auto [healed, failed] = co_await heal_all(harness_actor(), why);
  if (!failed.empty()) {
    spdlog::error("heal FAILED for {}", fmt::join(failed, ", "));
  }
  collect_events();
}

ViewSnapshot GameDaySession::snapshot() {
  ViewSnapshot v;
  const MonoTime now = mono_now();
  v.topology = deployment_.topology().name;
  v.uptime_s = seconds_between(journal_.start(), now);
  v.traffic_rate = options_.traffic_rate;
  v.availability_target = options_.settings.availability_target;
  v.halted_reason = halted_reason_;
  v.journal = journal_.path().string();
  v.run_dir = options_.run_dir;
  std::map<std::string, ServerLane> lanes;
  for (const auto& [server, states] : server_state_) {
    lanes[server].key = server;
    lanes[server].state = states;
    lanes[server].errors = server_errors_.contains(server) ? server_errors_.at(server) : 0;
  }
  if (traffic_ != nullptr && traffic_->current() != nullptr) {
    auto* generator = traffic_->current();
    const auto& records = generator->records();
    const std::int64_t now_ns = to_ns(now);
    v.sent_rate = traffic::recent_send_rate(records, now_ns, to_ns(journal_.start()));
    v.requests = traffic_->completed() + traffic_->failed();
    v.failed = traffic_->failed();
    const std::int64_t rate_from = now_ns - std::chrono::nanoseconds(kRateWindow).count();
    const std::int64_t p99_from = now_ns - std::chrono::nanoseconds(kP99Window).count();
    const std::int64_t oldest =
        p99_from - std::chrono::nanoseconds(traffic_->options().timeout).count() -
        std::chrono::nanoseconds(1s).count();
    std::map<std::string, std::vector<std::int64_t>> latencies;
    std::uint64_t known_ok = 0;
    std::map<std::string, std::uint64_t> ok_last_second;
    for (auto it = records.rbegin(); it != records.rend() && it->intended_ns >= oldest; ++it) {
      if (it->done_ns == 0 || it->done_ns >= now_ns || it->server == traffic::kUnknownServer) continue;
      const std::string& server = generator->servers().name(it->server);
      if (it->done_ns >= p99_from) latencies[server].push_back(it->latency_ns());
      if (it->done_ns >= rate_from && it->ok()) {
        ++ok_last_second[server];
        ++known_ok;
      }
    }
    for (auto& [server, lane] : lanes) {
      const double window_s = std::chrono::duration<double>(kRateWindow).count();
      lane.rate = static_cast<double>(ok_last_second[server]) / window_s;
      lane.share = known_ok == 0 ? 0 : static_cast<double>(ok_last_second[server]) /
                                           static_cast<double>(known_ok);
      auto& l = latencies[server];
      if (!l.empty()) {
        const std::size_t rank = (l.size() * 99 + 99) / 100 - 1;
        std::nth_element(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(rank), l.end());
        lane.p99_ms = static_cast<double>(l[rank]) / 1e6;
      }
    }
  }
  for (auto& [server, lane] : lanes) v.servers.push_back(std::move(lane));
  for (auto& instance : deployment_.instances()) {
    v.lbs.push_back(LbLane{instance->name(), instance->running() ? "running" : "stopped",
                           static_cast<int>(instance->pid())});
    v.frontends[instance->name()] = instance->urls();
  }
  for (const auto& f : faults_) {
    if (f->state != ActiveFault::State::kActive && f->state != ActiveFault::State::kHealFailed) continue;
    FaultLine line;
    line.id = f->id;
    line.action = f->spec.action;
    line.target = f->spec.target;
    line.age_s = seconds_between(f->injected_at, now);
    if (f->spec.heal_after) {
      line.heals_in_s = std::max(0.0, std::chrono::duration<double>(*f->spec.heal_after).count() -
                                          line.age_s);
    }
    line.actor = f->state == ActiveFault::State::kHealFailed ? f->actor.user + " (HEAL FAILED)"
                                                            : f->actor.user;
    line.detail = f->detail;
    v.faults.push_back(std::move(line));
  }
  if (other_.active) {
    for (auto& line : other_.active()) v.faults.push_back(std::move(line));
  }
  for (const auto& [key, alert] : alerts_now_) v.alerts.push_back(alert);
  v.recent_events.assign(recent_.begin(), recent_.end());
  return v;
}

std::vector<scenario::FaultEvent> GameDaySession::fault_events() const {
  std::vector<scenario::FaultEvent> out;
  for (const auto& f : faults_) {
    if (f->state == ActiveFault::State::kInjecting || f->inject_failed) continue;
    scenario::FaultEvent event = faults::event_for(f->spec);
    event.injected_ns = to_ns(f->injected_at);
    event.detail = f->detail;
    event.manual = true;
    event.id = f->id;
    event.actor = f->actor.user;
    if (f->healed_at) {
      event.healed_ns = to_ns(*f->healed_at);
      event.detail += fmt::format("; healed by {}: {}", f->healed_by, f->heal_detail);
    } else if (f->state == ActiveFault::State::kHealFailed) {
      event.heal_failed = true;
      event.heal_error = f->heal_error;
      event.detail += "; heal FAILED: " + f->heal_error;
    }
    out.push_back(std::move(event));
  }
  return out;
}

}  // namespace lbchaos::gameday

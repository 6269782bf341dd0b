// Game day as a user runs it: `lbchaos up` in a real terminal (tmux) with background traffic,
// `lbchaos inject/heal/status/halt/note` from other processes, the journal afterwards.
#include <pwd.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <csignal>
#include <fstream>
#include <map>
#include <regex>

#include "harness/topology/loader.h"
#include "tests/integration/support/http_client.h"
#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using ::testing::HasSubstr;

const std::string kQuickstart = std::string(LBCHAOS_SOURCE_DIR) + "/topologies/quickstart.toml";
const std::string kHaltTopology =
    std::string(LBCHAOS_TEST_DATA) + "/integration/gameday/halt_on_errors.toml";
const std::string kLiveKill = std::string(LBCHAOS_TEST_DATA) + "/integration/gameday/live_kill.toml";
const std::string kLiveLong = std::string(LBCHAOS_TEST_DATA) + "/integration/gameday/live_long.toml";

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `lbchaos ARGS...` as a second terminal would run it, against the exercises below `tmpdir`.
CommandResult lbchaos_command(std::vector<std::string> args, const std::filesystem::path& tmpdir) {
  static int counter = 0;
  const auto out = tmpdir / fmt::format("command-{}.out", ++counter);
  const auto err = tmpdir / fmt::format("command-{}.err", counter);
  const LbchaosCommandLine command(std::move(args), tmpdir);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, LBCHAOS_BINARY, &actions, nullptr, command.argv(), command.envp());
  posix_spawn_file_actions_destroy(&actions);
  CommandResult result;
  if (rc != 0) return result;
  int raw = 0;
  ::waitpid(pid, &raw, 0);
  result.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

nlohmann::json status_json(const std::filesystem::path& tmpdir) {
  const auto status = lbchaos_command({"status", "--json"}, tmpdir);
  if (status.exit_code != 0) return nlohmann::json();
  return nlohmann::json::parse(status.out, nullptr, false);
}

std::vector<nlohmann::json> journal_lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Index of the first line at or after `from` with this event (and fields); -1 when none.
int find_event(const std::vector<nlohmann::json>& lines, const std::string& event,
               const nlohmann::json& fields = nlohmann::json::object(), int from = 0) {
  for (int i = from; i < static_cast<int>(lines.size()); ++i) {
    if (lines[i]["event"] != event) continue;
    bool all = true;
    for (const auto& [key, value] : fields.items()) all = all && lines[i].value(key, nlohmann::json()) == value;
    if (all) return i;
  }
  return -1;
}

// Polls `lbchaos status --json` until the exercise answers: its control socket is open.
nlohmann::json wait_for_status(const std::filesystem::path& tmpdir, LbchaosProcess& running,
                               std::chrono::milliseconds timeout) {
  nlohmann::json status;
  eventually([&] {
    status = status_json(tmpdir);
    return status.is_object() || running.wait(0ms).has_value();
  }, timeout);
  return status;
}

// How often `text` occurs in `page`.
std::size_t count(const std::string& page, const std::string& text) {
  std::size_t n = 0;
  for (auto at = page.find(text); at != std::string::npos; at = page.find(text, at + text.size())) ++n;
  return n;
}

std::string user_name() {
  const passwd* entry = ::getpwuid(::getuid());
  return entry != nullptr ? entry->pw_name : "";
}

// A private tmux server with one window running a command, as a user's terminal.
class Terminal {
 public:
  Terminal(const std::string& command, const std::filesystem::path& dir)
      : socket_(fmt::format("lbchaos-test-{}", ::getpid())) {
    run(fmt::format("new-session -d -s gd -x 160 -y 60 -c {} '{}' \\; set-option -w -t gd "
                    "remain-on-exit on",
                    dir.string(), command));
  }
  ~Terminal() { run("kill-server"); }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  [[nodiscard]] std::string screen() const { return run("capture-pane -p -t gd"); }
  void keys(const std::string& keys) const { run("send-keys -t gd " + keys); }
  // "1" once the command has exited.
  [[nodiscard]] std::string exit_state() const {
    return run("display-message -p -t gd '#{pane_dead}'");
  }

 private:
  std::string run(const std::string& args) const {
    return run_command(fmt::format("tmux -L {} {} 2>&1", socket_, args));
  }
  std::string socket_;
};

std::string line_of(const std::string& screen, const std::string& start) {
  std::istringstream in(screen);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(start, 0) == 0) return line;
  }
  return "";
}

TEST(GameDay, LiveViewInjectHealHaltAndTheJournalInATerminal) {
  TempDir dir;
  const auto journal = dir / "journal.jsonl";
  const auto topology = topology::load_topology(kQuickstart);
  const auto& check = topology.backends.front().check;
  // haproxy marks a server whose checks fail at once DOWN within inter + (fall-1) * fastinter;
  // the view redraws every second. Doubled, plus 2 s, for a busy 2-core machine.
  const auto detection = check.inter + (check.fall - 1) * check.fastinter.value_or(check.inter);
  const auto bound =
      std::chrono::duration_cast<std::chrono::milliseconds>(2 * detection + 1s + 2s);

  const auto html = dir / "gameday.html";
  Terminal terminal(fmt::format("LBCHAOS_TMPDIR={} exec {} up {} --traffic 100 --journal {} --html {}",
                                dir.path().string(), LBCHAOS_BINARY, kQuickstart, journal.string(),
                                html.string()),
                    dir.path());
  ASSERT_TRUE(eventually([&] { return line_of(terminal.screen(), "app/web3").find("UP") != std::string::npos; }, 30s))
      << terminal.screen();

  const auto injected_at = std::chrono::steady_clock::now();
  const auto inject = lbchaos_command({"inject", "kill", "app/web1"}, dir.path());
  ASSERT_EQ(inject.exit_code, 0) << inject.err;
  EXPECT_EQ(inject.out, "f1\n");
  const bool down = eventually([&] {
    return line_of(terminal.screen(), "app/web1").find("DOWN") != std::string::npos;
  }, bound);
  const auto shown_after = std::chrono::steady_clock::now() - injected_at;
  ASSERT_TRUE(down) << "web1 not DOWN in the view within " << bound.count() << " ms:\n"
                    << terminal.screen();
  EXPECT_LE(shown_after, bound);
  const std::string screen = terminal.screen();
  std::smatch errors;
  ASSERT_TRUE(std::regex_search(screen, errors, std::regex(R"((\d+) requests, (\d+) errors)"))) << screen;
  EXPECT_THAT(line_of(screen, "  f1"), HasSubstr("kill")) << screen;

  const auto status = status_json(dir.path());
  ASSERT_TRUE(status.is_object());
  bool web1_down = false;
  for (const auto& server : status["servers"]) {
    if (server["server"] == "app/web1") web1_down = server["state"]["lb0"] == "DOWN";
  }
  EXPECT_TRUE(web1_down) << status.dump(2);
  EXPECT_GE(status["traffic"]["failed"].get<std::uint64_t>(), std::stoull(errors[2]));
  EXPECT_GE(status["traffic"]["requests"].get<std::uint64_t>(), std::stoull(errors[1]));
  ASSERT_EQ(status["faults"].size(), 1u);
  EXPECT_EQ(status["faults"][0]["id"], "f1");

  EXPECT_EQ(lbchaos_command({"note", "web1 killed, checking failover"}, dir.path()).exit_code, 0);
  const auto heal = lbchaos_command({"heal", "f1"}, dir.path());
  EXPECT_EQ(heal.exit_code, 0) << heal.err;
  EXPECT_THAT(heal.out, HasSubstr("healed f1"));
  const auto halt = lbchaos_command({"halt"}, dir.path());
  EXPECT_EQ(halt.exit_code, 0) << halt.err;
  EXPECT_THAT(halt.out, HasSubstr("no fault was active"));

  terminal.keys("C-c");
  ASSERT_TRUE(eventually([&] { return terminal.exit_state().rfind('1', 0) == 0; }, 30s))
      << terminal.exit_state() << terminal.screen();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));

  const auto lines = journal_lines(journal);
  const nlohmann::json me = {{"user", user_name()}, {"uid", ::getuid()}};
  const int start = find_event(lines, "start");
  const int injected = find_event(lines, "inject", {{"fault", "f1"}, {"action", "kill"}, {"target", "app/web1"}});
  const int detected = find_event(lines, "haproxy", {{"server", "app/web1"}, {"state", "DOWN"}});
  const int noted = find_event(lines, "note");
  const int healed = find_event(lines, "heal", {{"fault", "f1"}});
  const int halted = find_event(lines, "halt");
  const int end = find_event(lines, "end");
  ASSERT_GE(start, 0);
  EXPECT_LT(start, injected);
  EXPECT_LT(injected, detected);
  EXPECT_LT(detected, healed);
  EXPECT_LT(noted, healed);
  EXPECT_LT(healed, halted);
  EXPECT_LT(halted, end);
  for (const int i : {injected, noted, healed, halted}) {
    ASSERT_GE(i, 0);
    EXPECT_EQ(lines[i]["actor"]["user"], me["user"]) << lines[i].dump();
    EXPECT_EQ(lines[i]["actor"]["uid"], me["uid"]) << lines[i].dump();
  }
  EXPECT_EQ(lines[injected]["command"], "inject kill app/web1");
  EXPECT_EQ(lines[injected]["manual"], true);
  EXPECT_EQ(lines[noted]["text"], "web1 killed, checking failover");
  EXPECT_EQ(lines[end]["why"], "SIGINT");

  // The HTML report of the whole exercise shades the manual fault, once, and says who did it.
  ASSERT_TRUE(std::filesystem::exists(html)) << terminal.screen();
  const std::string page = read_file(html);
  EXPECT_EQ(count(page, "data-manual=\"true\""), 1U);
  EXPECT_EQ(count(page, "class=\"fault manual\" data-fault=\"kill app/web1\""), 1U);
  EXPECT_THAT(page, HasSubstr(fmt::format("f1 kill app/web1 (manual, by {})", user_name())));
  EXPECT_THAT(page, HasSubstr("data-server=\"app/web1\""));  // its lane, from haproxy's events
}

TEST(GameDay, StopConditionHealsAndRefusesInjectionsUntilCleared) {
  TempDir dir;
  const auto journal = dir / "journal.jsonl";
  LbchaosProcess up({"up", kHaltTopology, "--traffic", "100", "--journal", journal.string(),
                     "--ready-file", (dir / "ready.json").string()},
                    dir.path());
  ASSERT_TRUE(wait_ready_file(up, dir / "ready.json")) << up.output();

  // Bad input: exit 2 with the scenario loader's words, nothing injected, the exercise unharmed.
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad{
      {{"inject", "explode", "app/web1"}, "action"},
      {{"inject", "kill", "app/web9"}, "target app/web9 is not in topology gameday-halt"},
      {{"inject", "errors", "app/web1", "--ratio", "150%"}, "ratio"},
      {{"inject", "kill", "app/web1", "--bogus", "1"}, "unknown key 'bogus' in [fault]"},
      {{"inject", "errors", "app/web1"}, "missing required key 'ratio'"},
  };
  for (const auto& [args, message] : bad) {
    const auto result = lbchaos_command(args, dir.path());
    EXPECT_EQ(result.exit_code, 2) << fmt::format("{}", fmt::join(args, " "));
    EXPECT_THAT(result.err, HasSubstr(message));
  }
  const auto before = status_json(dir.path());
  ASSERT_TRUE(before.is_object());
  EXPECT_TRUE(before["faults"].empty());
  for (const auto& server : before["servers"]) EXPECT_EQ(server["state"]["lb0"], "UP");
  EXPECT_TRUE(eventually([&] {
    const auto now = status_json(dir.path());
    return now.is_object() && now["traffic"]["requests"] > before["traffic"]["requests"];
  }, 5s)) << "traffic stopped after the bad injections";

  const auto inject = lbchaos_command({"inject", "errors", "app/web1", "--ratio", "100%"}, dir.path());
  ASSERT_EQ(inject.exit_code, 0) << inject.err;
  EXPECT_EQ(inject.out, "f1\n");
  // A third of the traffic fails: the 2 s window drops below 95% within it, judged every second.
  nlohmann::json halted;
  ASSERT_TRUE(eventually([&] {
    halted = status_json(dir.path());
    return halted.is_object() && !halted["halted"].is_null();
  }, 15s)) << up.output();
  EXPECT_THAT(halted["halted"].get<std::string>(), HasSubstr("is below 95.0%"));
  EXPECT_TRUE(halted["faults"].empty()) << halted.dump(2);

  const auto refused = lbchaos_command({"inject", "kill", "app/web2"}, dir.path());
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("halt --clear"));
  EXPECT_TRUE(status_json(dir.path())["faults"].empty());

  const auto clear = lbchaos_command({"halt", "--clear"}, dir.path());
  EXPECT_EQ(clear.exit_code, 0) << clear.err;
  const auto again = lbchaos_command({"inject", "drain", "app/web2"}, dir.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "f2\n");
  // --for: the fault heals itself once its time is up, with nobody asking.
  const auto timed = lbchaos_command({"inject", "maint", "app/web3", "--for", "1s"}, dir.path());
  EXPECT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_EQ(timed.out, "f3\n");
  EXPECT_TRUE(eventually([&] {
    const auto now = status_json(dir.path());
    if (!now.is_object()) return false;
    for (const auto& f : now["faults"]) {
      if (f["id"] == "f3") return false;
    }
    return true;
  }, 15s)) << "f3 (--for 1s) was never healed";

  const auto stop = lbchaos_command({"halt", "--stop"}, dir.path());
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(up.exit_code(30s), 0) << up.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s));

  const auto lines = journal_lines(journal);
  const int tripped = find_event(lines, "stop_condition");
  ASSERT_GE(tripped, 0);
  const int healed_f1 = find_event(lines, "heal", {{"fault", "f1"}}, tripped);
  ASSERT_GE(healed_f1, 0);
  EXPECT_EQ(lines[healed_f1]["actor"]["user"], "lbchaos");
  EXPECT_GE(find_event(lines, "refused", {{"command", "inject kill app/web2"}}, tripped), 0);
  const int cleared = find_event(lines, "clear", {}, tripped);
  EXPECT_GE(cleared, 0);
  EXPECT_GE(find_event(lines, "heal", {{"fault", "f2"}}, cleared), 0);
  const int timed_heal = find_event(lines, "heal", {{"fault", "f3"}}, cleared);
  ASSERT_GE(timed_heal, 0);
  EXPECT_EQ(lines[timed_heal].value("why", ""), "--for elapsed") << lines[timed_heal].dump();
  EXPECT_EQ(lines.back()["event"], "end");
  EXPECT_EQ(lines.back()["why"], "lbchaos halt --stop");
  EXPECT_EQ(find_event(lines, "inject", {{"target", "app/web9"}}), -1);
}

TEST(GameDay, SigkillDuringANetworkFaultAndAPausedNodeLeavesNothingAndTheNextUpServes) {
  TempDir dir;
  {
    LbchaosProcess up({"up", kQuickstart, "--journal", (dir / "j1.jsonl").string(),
                       "--ready-file", (dir / "ready.json").string()},
                      dir.path());
    const auto ready = wait_ready_file(up, dir / "ready.json");
    ASSERT_TRUE(ready) << up.output();
    const auto pids = pids_in(*ready);
    const auto latency = lbchaos_command({"inject", "latency", "app/web1", "--latency", "200ms"}, dir.path());
    ASSERT_EQ(latency.exit_code, 0) << latency.err;
    const auto pause = lbchaos_command({"inject", "pause", "app/web2"}, dir.path());
    ASSERT_EQ(pause.exit_code, 0) << pause.err;
    ASSERT_EQ(status_json(dir.path())["faults"].size(), 2u);

    up.signal(SIGKILL);
    ASSERT_TRUE(up.wait(5s));
    EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s))
        << ::testing::PrintToString(processes_of_run(dir.path().string()));
    for (const pid_t pid : pids) EXPECT_FALSE(process_running(pid)) << pid;
    const auto gone = lbchaos_command({"status"}, dir.path());
    EXPECT_EQ(gone.exit_code, 3);
    EXPECT_THAT(gone.err, HasSubstr("no running exercise"));
  }
  std::filesystem::remove(dir / "ready.json");
  LbchaosProcess next({"up", kQuickstart, "--journal", (dir / "j2.jsonl").string(),
                       "--ready-file", (dir / "ready.json").string()},
                      dir.path());
  const auto ready = wait_ready_file(next, dir / "ready.json");
  ASSERT_TRUE(ready) << next.output();
  const Url url = parse_url((*ready)["instances"][0]["frontends"]["www"].get<std::string>());
  std::map<std::string, int> by_server;
  int ok = 0;
  for (int i = 0; i < 30; ++i) {
    const auto response = http_get(url.host, url.port, "/");
    ok += response.status == 200 ? 1 : 0;
    ++by_server[response.header("X-Lbchaos-Server")];
  }
  EXPECT_EQ(ok, 30);
  EXPECT_EQ(by_server.size(), 3u);
  EXPECT_EQ(run_directories_in(dir.path()).size(), 1u) << "the killed run's directory was swept";
  next.signal(SIGINT);
  EXPECT_EQ(next.exit_code(), 0) << next.output();
}

// `run --live`: the scenario runs its schedule; a second terminal injects into it. The manual
// fault is part of the run's results: the journal marks it manual, with its actor, healed; the
// HTML report shades it.
TEST(GameDay, RunLiveTakesAManualFaultIntoTheRunsJournalAndReport) {
  TempDir dir;
  const auto json = dir / "run.json";
  const auto html = dir / "run.html";
  LbchaosProcess run({"run", kLiveKill, "--live", "--json", json.string(), "--html", html.string()},
                     dir.path());
  ASSERT_TRUE(wait_for_status(dir.path(), run, 60s).is_object()) << run.output();

  const auto inject = lbchaos_command({"inject", "kill", "app/web1"}, dir.path());
  ASSERT_EQ(inject.exit_code, 0) << inject.err << run.output();
  EXPECT_EQ(inject.out, "f1\n");
  const auto status = status_json(dir.path());
  ASSERT_TRUE(status.is_object()) << run.output();
  ASSERT_EQ(status["faults"].size(), 1U) << status.dump(2);
  EXPECT_EQ(status["faults"][0]["id"], "f1");
  EXPECT_EQ(status["faults"][0]["action"], "kill");
  EXPECT_EQ(status["faults"][0]["target"], "app/web1");

  EXPECT_EQ(run.exit_code(60s), 0) << run.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s))
      << ::testing::PrintToString(processes_of_run(dir.path().string()));

  const auto journal = nlohmann::json::parse(read_file(json));
  const auto& events = journal["scenarios"][0]["fault_events"];
  ASSERT_EQ(events.size(), 1U) << events.dump(2);
  const auto& manual = events[0];
  EXPECT_EQ(manual["action"], "kill");
  EXPECT_EQ(manual["target"], "app/web1");
  EXPECT_EQ(manual["manual"], true);
  EXPECT_EQ(manual["id"], "f1");
  EXPECT_EQ(manual["actor"], user_name());
  ASSERT_TRUE(manual["healed_at_s"].is_number()) << manual.dump(2);
  EXPECT_LT(manual["injected_at_s"].get<double>(), manual["healed_at_s"].get<double>());
  EXPECT_EQ(journal["scenarios"][0]["outcome"], "passed");

  const std::string page = read_file(html);
  EXPECT_EQ(count(page, "data-manual=\"true\""), 1U);
  EXPECT_EQ(count(page, "class=\"fault manual\" data-fault=\"kill app/web1\""), 1U);
  EXPECT_THAT(run.out(), HasSubstr("game-day journal:"));
}

// `halt` heals the schedule's faults too; `halt --stop` ends the run early: aborted, exit 1,
// nothing left running.
TEST(GameDay, RunLiveHaltHealsTheScheduleAndHaltStopEndsTheRunAsAborted) {
  TempDir dir;
  const auto json = dir / "run.json";
  LbchaosProcess run({"run", kLiveLong, "--live", "--json", json.string()}, dir.path());
  nlohmann::json status;
  ASSERT_TRUE(eventually([&] {
    status = status_json(dir.path());
    return (status.is_object() && !status["faults"].empty()) || run.wait(0ms).has_value();
  }, 60s)) << run.output();
  ASSERT_TRUE(status.is_object()) << run.output();
  ASSERT_EQ(status["faults"].size(), 1U) << status.dump(2);
  EXPECT_EQ(status["faults"][0]["action"], "drain");
  EXPECT_EQ(status["faults"][0]["actor"], "schedule");

  const auto halt = lbchaos_command({"halt"}, dir.path());
  EXPECT_EQ(halt.exit_code, 0) << halt.err;
  EXPECT_THAT(halt.out, HasSubstr("drain app/web2"));
  EXPECT_TRUE(status_json(dir.path())["faults"].empty());

  const auto stop = lbchaos_command({"halt", "--stop"}, dir.path());
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(run.exit_code(60s), 1) << run.output();
  EXPECT_TRUE(eventually([&] { return processes_of_run(dir.path().string()).empty(); }, 2s))
      << ::testing::PrintToString(processes_of_run(dir.path().string()));

  const auto journal = nlohmann::json::parse(read_file(json));
  const auto& scenario = journal["scenarios"][0];
  EXPECT_NE(scenario["outcome"], "passed");
  ASSERT_TRUE(scenario["aborted"].is_object()) << scenario["aborted"];
  EXPECT_THAT(scenario["aborted"]["reason"].get<std::string>(), HasSubstr("halt --stop"));
  ASSERT_EQ(scenario["fault_events"].size(), 1U);
  EXPECT_EQ(scenario["fault_events"][0]["manual"], false);
  EXPECT_TRUE(scenario["fault_events"][0]["healed_at_s"].is_number());
  EXPECT_LT(scenario["fault_events"][0]["healed_at_s"].get<double>(), 100.0);
}

}  // namespace
}  // namespace lbchaos

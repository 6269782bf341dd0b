// The game day's parts without a deployment: the control protocol, inject's command line read by
// the scenario loader's own [[fault]] rules, journal lines, stop conditions, run discovery.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/common/errors.h"
#include "harness/gameday/control_protocol.h"
#include "harness/gameday/exercise_report.h"
#include "harness/gameday/inject_command.h"
#include "harness/gameday/journal.h"
#include "harness/gameday/live_view.h"
#include "harness/gameday/run_discovery.h"
#include "harness/gameday/stop_conditions.h"
#include "harness/model/timeline.h"
#include "harness/report/html_report.h"
#include "harness/report/json_journal.h"
#include "harness/topology/gameday_settings.h"
#include "harness/topology/loader.h"

namespace lbchaos::gameday {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// --- control protocol -------------------------------------------------------------------------

TEST(ControlProtocol, RequestRoundTripsAsOneLine) {
  const std::string line = encode(ControlRequest{"inject", {{"action", "kill"}, {"target", "app/web1"}}});
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_TRUE(line.ends_with('\n'));
  const auto request = decode_request(line);
  EXPECT_EQ(request.command, "inject");
  EXPECT_EQ(request.args["target"], "app/web1");
}

TEST(ControlProtocol, ResponseRoundTrips) {
  ControlResponse response = error_response(2, "lbchaos inject: no such target");
  const auto back = decode_response(encode(response));
  EXPECT_FALSE(back.ok);
  EXPECT_EQ(back.exit_code, 2);
  EXPECT_EQ(back.message, "lbchaos inject: no such target");
}

TEST(ControlProtocol, RefusesWhatIsNotARequest) {
  EXPECT_THROW((void)decode_request("not json\n"), std::invalid_argument);
  EXPECT_THROW((void)decode_request("[1, 2]\n"), std::invalid_argument);
  EXPECT_THROW((void)decode_request(R"({"args": {}})"), std::invalid_argument);
  EXPECT_THROW((void)decode_request(R"({"command": "rm -rf"})"), std::invalid_argument);
  EXPECT_THROW((void)decode_request(R"({"command": "heal", "args": 3})"), std::invalid_argument);
  EXPECT_THROW((void)decode_request(std::string(kMaxLineBytes + 1, ' ')), std::invalid_argument);
  try {
    (void)decode_request(R"({"command": "explode"})");
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown command 'explode'"));
  }
}

// --- inject's command line -----------------------------------------------------------------

topology::Topology three_servers() {
  return topology::parse_topology(R"(
name = "unit"
[[backend]]
name = "app"
[[backend.server]]
name = "web1"
[[backend.server]]
name = "web2"
[[frontend]]
name = "www"
backend = "app"
)",
                                  "/tmp/unit-topology.toml");
}

TEST(InjectCommand, ReadsParameterWordsInEveryForm) {
  const auto params = parse_param_words({"--ratio", "100%", "--status=503", "--param", "crash=true"});
  EXPECT_THAT(params, ElementsAre(Pair("ratio", "100%"), Pair("status", "503"), Pair("crash", "true")));
  EXPECT_THROW((void)parse_param_words({"ratio"}), InputError);
  EXPECT_THROW((void)parse_param_words({"--ratio"}), InputError);
  EXPECT_THROW((void)parse_param_words({"--param", "ratio"}), InputError);
}

TEST(InjectCommand, TypesValuesAsTomlWouldAndStringsOtherwise) {
  toml::table table;
  insert_value(table, "n", "4");
  insert_value(table, "x", "0.5");
  insert_value(table, "b", "true");
  insert_value(table, "s", "100%");
  insert_value(table, "d", "500ms");
  EXPECT_TRUE(table["n"].is_integer());
  EXPECT_TRUE(table["x"].is_floating_point());
  EXPECT_TRUE(table["b"].is_boolean());
  EXPECT_EQ(table["s"].value<std::string>(), "100%");
  EXPECT_EQ(table["d"].value<std::string>(), "500ms");
}

TEST(InjectCommand, AValidFaultGetsTheLoadersDefaults) {
  const auto topology = three_servers();
  const auto spec = parse_inject({"errors", "app/web1", {{"ratio", "100%"}}, "30s"}, topology);
  EXPECT_EQ(spec.action, "errors");
  EXPECT_EQ(spec.target, "app/web1");
  EXPECT_EQ(spec.param<double>("ratio"), 1.0);
  EXPECT_EQ(spec.param<std::int64_t>("status"), 500);  // the loader's default
  ASSERT_TRUE(spec.heal_after);
  EXPECT_EQ(*spec.heal_after, 30s);
}

std::string inject_error(const InjectArgs& args) {
  try {
    (void)parse_inject(args, three_servers());
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(InjectCommand, BadInputGetsTheScenarioLoadersMessage) {
  EXPECT_THAT(inject_error({"explode", "app/web1", {}, ""}),
              HasSubstr("lbchaos inject: action"));
  EXPECT_THAT(inject_error({"explode", "app/web1", {}, ""}), HasSubstr("kill"));
  EXPECT_THAT(inject_error({"kill", "app/web9", {}, ""}),
              HasSubstr("target app/web9 is not in topology unit (servers: app/web1, app/web2)"));
  EXPECT_THAT(inject_error({"errors", "app/web1", {}, ""}),
              HasSubstr("missing required key 'ratio' in [fault]"));
  EXPECT_THAT(inject_error({"errors", "app/web1", {{"ratio", "150%"}}, ""}), HasSubstr("ratio"));
  EXPECT_THAT(inject_error({"kill", "app/web1", {{"ratio", "50%"}}, ""}),
              HasSubstr("'ratio' is not a parameter of fault action 'kill'"));
  EXPECT_THAT(inject_error({"kill", "app/web1", {}, "soon"}), HasSubstr("heal_after"));
  EXPECT_THAT(inject_error({"kill", "app/web1", {{"at", "5s"}}, ""}), HasSubstr("acts now"));
  EXPECT_THAT(inject_error({"random", "app/web1", {}, ""}), HasSubstr("one action"));
}

// --- journal ------------------------------------------------------------------------------------

TEST(Journal, EntryCarriesWallTimeRunTimeEventAndFields) {
  const auto wall = std::chrono::sys_days{std::chrono::year{2026} / 12 / 5} + 18h + 30min + 12s + 345ms;
  const auto entry = journal_entry("inject", wall, 12.3456,
                                   {{"actor", {{"user", "ana"}, {"uid", 1000}}}, {"fault", "f1"}});
  EXPECT_EQ(entry["wall"], "2026-12-05T18:30:12.345Z");
  EXPECT_DOUBLE_EQ(entry["t"].get<double>(), 12.346);
  EXPECT_EQ(entry["event"], "inject");
  EXPECT_EQ(entry["actor"]["user"], "ana");
  EXPECT_EQ(entry["fault"], "f1");
}

TEST(Journal, AppendsOneFlushedLinePerEventToA0600File) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("gameday-journal-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path path = dir / "j.jsonl";
  {
    Journal journal(path, mono_now());
    journal.write("start");
    journal.write("note", {{"text", "line\nbreak"}});
    // Readable before the journal is closed: nothing waits in a buffer.
    std::ifstream in(path);
    std::string first, second;
    ASSERT_TRUE(std::getline(in, first));
    ASSERT_TRUE(std::getline(in, second));
    EXPECT_EQ(nlohmann::json::parse(first)["event"], "start");
    EXPECT_EQ(nlohmann::json::parse(second)["text"], "line\nbreak");
  }
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  { Journal again(path, mono_now()); again.write("start"); }  // appends, never truncates
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 3);
  fs::remove_all(dir);
}

TEST(Journal, DefaultPathIsNextToTheRunDirectoriesNotInsideOne) {
  const auto path = default_journal_path("/tmp/base", "quickstart",
                                         std::chrono::sys_days{std::chrono::year{2026} / 12 / 5} + 18h);
  EXPECT_EQ(path, "/tmp/base/gameday-quickstart-20261205-180000.jsonl");
}

// --- stop conditions -----------------------------------------------------------------------

std::vector<traffic::RequestRecord> requests(int ok, int failed, std::int64_t done_ns,
                                             std::int64_t latency_ns = 1'000'000) {
  std::vector<traffic::RequestRecord> records;
  for (int i = 0; i < ok + failed; ++i) {
    traffic::RequestRecord r;
    r.seq = static_cast<std::uint32_t>(i);
    r.intended_ns = done_ns - latency_ns;
    r.sent_ns = r.intended_ns;
    r.done_ns = done_ns;
    r.status = i < ok ? 200 : 500;
    records.push_back(r);
  }
  return records;
}

TEST(StopConditions, WindowCountsOnlyRequestsFinishedInsideIt) {
  const std::int64_t now = 100'000'000'000;
  auto records = requests(10, 0, now - 5'000'000'000);  // 5 s ago: outside a 2 s window
  auto recent = requests(30, 10, now - 1'000'000'000);
  records.insert(records.end(), recent.begin(), recent.end());
  const auto stats = window_stats(records, now, 2s, 1s);
  EXPECT_EQ(stats.requests, 40u);
  EXPECT_EQ(stats.failed, 10u);
  EXPECT_DOUBLE_EQ(stats.availability(), 0.75);
  ASSERT_TRUE(stats.p99);
  EXPECT_EQ(*stats.p99, 1ms);
}

TEST(StopConditions, AvailabilityBelowTrips) {
  topology::HaltConditions halt;
  halt.availability_below = 0.95;
  halt.over = 2s;
  WindowStats bad{100, 30, std::nullopt};
  const auto reason = check_halt(halt, bad, {});
  ASSERT_TRUE(reason);
  EXPECT_THAT(*reason, HasSubstr("availability 70.0% over the last 2s is below 95.0%"));
  EXPECT_FALSE(check_halt(halt, WindowStats{100, 4, std::nullopt}, {}));
}

TEST(StopConditions, TooFewRequestsCannotTrip) {
  topology::HaltConditions halt;
  halt.availability_below = 0.95;
  EXPECT_FALSE(check_halt(halt, WindowStats{kMinRequestsToJudge - 1, kMinRequestsToJudge - 1, std::nullopt}, {}));
}

TEST(StopConditions, P99AboveTrips) {
  topology::HaltConditions halt;
  halt.p99_above = 500ms;
  EXPECT_TRUE(check_halt(halt, WindowStats{100, 0, 800ms}, {}));
  EXPECT_FALSE(check_halt(halt, WindowStats{100, 0, 200ms}, {}));
}

TEST(StopConditions, AlertFiringTrips) {
  topology::HaltConditions halt;
  halt.alert = "HAProxyServerDown";
  EXPECT_THAT(check_halt(halt, {}, {"HAProxyServerDown"}).value_or(""), HasSubstr("firing"));
  EXPECT_FALSE(check_halt(halt, {}, {"Other"}));
}

TEST(StopConditions, TopologyLoaderReadsHaltIfStrictly) {
  const std::string base = R"(
name = "unit"
[[backend]]
name = "app"
[[backend.server]]
name = "web1"
[[frontend]]
name = "www"
backend = "app"
)";
  const std::string text =
      base + "[gameday]\navailability_target = \"99%\"\nhalt_if = { availability_below = \"95%\", "
             "over = \"30s\", p99_above = \"500ms\", alert = \"X\" }\n";
  (void)topology::parse_topology(text, "/tmp/t.toml");  // the topology loader accepts it
  const auto toml = parse_toml(text, "/tmp/t.toml");
  const auto settings =
      topology::read_gameday_settings(TableReader(toml.root, toml.file, "the topology file"));
  EXPECT_DOUBLE_EQ(settings.availability_target, 0.99);
  EXPECT_DOUBLE_EQ(*settings.halt_if.availability_below, 0.95);
  EXPECT_EQ(settings.halt_if.over, 30s);
  EXPECT_EQ(*settings.halt_if.p99_above, 500ms);
  EXPECT_EQ(settings.halt_if.alert, "X");
  try {
    (void)topology::parse_topology(base + "[gameday]\nhalt_if = { availabilty_below = \"95%\" }\n",
                                   "/tmp/t.toml");
    FAIL() << "a misspelt key was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/tmp/t.toml:11:"));
    EXPECT_THAT(e.what(), HasSubstr("unknown key 'availabilty_below'"));
  }
  EXPECT_THROW((void)topology::parse_topology(base + "[gameday]\nhalt_if = { over = \"3s\" }\n", "/tmp/t.toml"),
               InputError);
}

// --- run discovery -------------------------------------------------------------------------

// A fake run directory as `up` leaves it: lock held (by this process), socket, gameday.json.
class FakeRun {
 public:
  FakeRun(const fs::path& base, const std::string& name, const std::string& topology) : dir_(base / name) {
    fs::create_directories(dir_);
    lock_ = ::open((dir_ / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    // A lock held by another open file description, as by the owning harness.
    ::flock(lock_, LOCK_EX | LOCK_NB);
    std::ofstream(dir_ / std::string(kControlSocketName)) << "";
    RunInfo info;
    info.dir = dir_;
    info.topology = topology;
    info.pid = ::getpid();
    write_run_info(info);
  }
  ~FakeRun() { release(); }
  void release() {
    if (lock_ >= 0) ::close(lock_);
    lock_ = -1;
  }
  [[nodiscard]] const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  int lock_ = -1;
};

class RunDiscovery : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / fmt::format("gameday-runs-{}", ::getpid());
    fs::create_directories(base_);
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

TEST_F(RunDiscovery, FindsTheOnlyRun) {
  FakeRun run(base_, "lbchaos-quickstart-aaaaaa", "quickstart");
  const auto runs = find_runs(base_);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(choose_run(runs, "", base_).dir, run.dir());
}

TEST_F(RunDiscovery, IgnoresDeadRunsAndStrangers) {
  FakeRun dead(base_, "lbchaos-old-bbbbbb", "old");
  dead.release();  // its harness died: the lock is free
  fs::create_directories(base_ / "something-else");
  EXPECT_TRUE(find_runs(base_).empty());
  try {
    (void)choose_run({}, "", base_);
    FAIL();
  } catch (const EnvironmentError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no running exercise"));
  }
}

TEST_F(RunDiscovery, SeveralRunsNeedASelectorAndTheErrorListsThem) {
  FakeRun a(base_, "lbchaos-quickstart-aaaaaa", "quickstart");
  FakeRun b(base_, "lbchaos-three-web-bbbbbb", "three-web");
  const auto runs = find_runs(base_);
  ASSERT_EQ(runs.size(), 2u);
  try {
    (void)choose_run(runs, "", base_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("2 exercises are running"));
    EXPECT_THAT(e.what(), HasSubstr(a.dir().string()));
    EXPECT_THAT(e.what(), HasSubstr(b.dir().string()));
  }
  EXPECT_EQ(choose_run(runs, "three-web", base_).dir, b.dir());
  EXPECT_EQ(choose_run(runs, a.dir().string(), base_).dir, a.dir());
  try {
    (void)choose_run(runs, "nope", base_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--run nope"));
    EXPECT_THAT(e.what(), HasSubstr("quickstart"));
  }
}

// --- live view -------------------------------------------------------------------------------

TEST(LiveView, ShowsLanesFaultsAlertsAndTheBudget) {
  ViewSnapshot v;
  v.topology = "quickstart";
  v.requests = 1000;
  v.failed = 5;
  v.availability_target = 0.99;
  v.servers.push_back({"app/web1", {{"lb0", "DOWN"}}, 0, 0, 5, std::nullopt});
  v.servers.push_back({"app/web2", {{"lb0", "UP"}}, 100, 1.0, 0, 2.5});
  v.lbs.push_back({"lb0", "running", 42});
  v.faults.push_back({"f1", "kill", "app/web1", 3, std::nullopt, "ana", "SIGKILL"});
  v.alerts.push_back({"HAProxyServerDown", "server=web1", "firing"});
  const std::string text = render_view(v, false);
  EXPECT_THAT(text, HasSubstr("app/web1"));
  EXPECT_THAT(text, HasSubstr("DOWN"));
  EXPECT_THAT(text, HasSubstr("f1   kill"));
  EXPECT_THAT(text, HasSubstr("firing HAProxyServerDown{server=web1}"));
  EXPECT_THAT(text, HasSubstr("availability 99.500% (target 99.000%)"));
  EXPECT_THAT(text, HasSubstr("error budget 50% spent"));
  EXPECT_EQ(text.find('\033'), std::string::npos);
  const auto json = to_json(v);
  EXPECT_EQ(json["servers"][0]["state"]["lb0"], "DOWN");
  EXPECT_EQ(json["faults"][0]["id"], "f1");
}

// --- the exercise's HTML report ---------------------------------------------------------------

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// Ten seconds of an exercise at 10 req/s on web2; web1 killed by hand from 3 s to 6 s.
ExerciseRecording ten_seconds_with_a_manual_kill() {
  ExerciseRecording rec;
  rec.topology = topology::load_topology(std::string(LBCHAOS_SOURCE_DIR) + "/topologies/quickstart.toml");
  rec.start = MonoTime(std::chrono::seconds(1000));
  rec.end = rec.start + 10s;
  rec.traffic_rate = 10;
  const auto web2 = rec.servers.id_of("app/web2");
  const std::int64_t t0 = to_ns(rec.start);
  for (std::uint32_t i = 0; i < 100; ++i) {
    traffic::RequestRecord r;
    r.seq = i;
    r.intended_ns = t0 + static_cast<std::int64_t>(i) * 100'000'000;
    r.sent_ns = r.intended_ns;
    r.done_ns = r.intended_ns + 2'000'000;
    r.status = 200;
    r.server = web2;
    rec.records.push_back(r);
  }
  scenario::FaultEvent kill;
  kill.action = "kill";
  kill.target = "app/web1";
  kill.injected_ns = t0 + 3'000'000'000;
  kill.healed_ns = t0 + 6'000'000'000;
  kill.manual = true;
  kill.id = "f1";
  kill.actor = "ana";
  rec.faults.push_back(kill);
  rec.haproxy_events.push_back({t0 + 3'500'000'000, 0, "app/web1", "DOWN", "Layer4 connection problem"});
  rec.haproxy_events.push_back({t0 + 6'500'000'000, 0, "app/web1", "UP", "Layer7 check passed"});
  return rec;
}

TEST(ExerciseReport, TheRunReportShadesEachManualFaultOnceWithItsIdAndActor) {
  const auto exercise = exercise_report(ten_seconds_with_a_manual_kill());
  EXPECT_EQ(exercise.result.outcome, scenario::ScenarioResult::Outcome::kPassed);
  EXPECT_EQ(exercise.result.scenario, exercise.scenario.get());
  EXPECT_EQ(exercise.scenario->name, "game day: quickstart");
  const auto journal = report::journal_json({exercise.result});
  const auto& s = journal["scenarios"][0];
  ASSERT_EQ(s["fault_events"].size(), 1U);
  EXPECT_EQ(s["fault_events"][0]["manual"], true);
  EXPECT_EQ(s["fault_events"][0]["id"], "f1");
  EXPECT_EQ(s["fault_events"][0]["actor"], "ana");
  EXPECT_DOUBLE_EQ(s["fault_events"][0]["injected_at_s"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(s["fault_events"][0]["healed_at_s"].get<double>(), 6.0);
  ASSERT_TRUE(s["timeline"].is_object());
  EXPECT_EQ(s["timeline"]["buckets"].size(), 100U);

  const std::string page = report::html_report(journal);
  EXPECT_EQ(occurrences(page, "data-manual=\"true\""), 1U);
  EXPECT_EQ(occurrences(page, "class=\"fault manual\" data-fault=\"kill app/web1\" "
                              "data-from-s=\"3.000\" data-to-s=\"6.000\""),
            1U);
  EXPECT_THAT(page, HasSubstr("f1 kill app/web1 (manual, by ana)"));
  EXPECT_THAT(page, HasSubstr("data-server=\"app/web1\" data-state=\"DOWN\""));
}

TEST(ExerciseReport, AScheduledFaultIsNotMarkedManual) {
  auto rec = ten_seconds_with_a_manual_kill();
  rec.faults[0].manual = false;
  rec.faults[0].id.clear();
  const auto exercise = exercise_report(std::move(rec));
  const auto journal = report::journal_json({exercise.result});
  EXPECT_EQ(journal["scenarios"][0]["fault_events"][0]["manual"], false);
  EXPECT_FALSE(journal["scenarios"][0]["fault_events"][0].contains("actor"));
  const std::string page = report::html_report(journal);
  EXPECT_EQ(occurrences(page, "data-manual"), 0U);
  EXPECT_EQ(occurrences(page, "class=\"fault\" data-fault=\"kill app/web1\""), 1U);
}

TEST(ExerciseReport, AFailedHealMakesTheExerciseAnErrorNamingTheFault) {
  auto rec = ten_seconds_with_a_manual_kill();
  rec.faults[0].healed_ns.reset();
  rec.faults[0].heal_failed = true;
  rec.faults[0].heal_error = "web1 would not start";
  const auto exercise = exercise_report(std::move(rec));
  EXPECT_EQ(exercise.result.outcome, scenario::ScenarioResult::Outcome::kError);
  EXPECT_THAT(exercise.result.error, HasSubstr("f1 kill app/web1: web1 would not start"));
}

TEST(ExerciseReport, WithoutTrafficTheTimelineStillSpansTheExercise) {
  auto rec = ten_seconds_with_a_manual_kill();
  rec.records.clear();
  const auto exercise = exercise_report(std::move(rec));
  const auto timeline = scenario::Timeline::build(exercise.result.recording);
  EXPECT_EQ(timeline.buckets().size(), 100U);
}

}  // namespace
}  // namespace lbchaos::gameday

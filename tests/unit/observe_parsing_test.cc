#include <gtest/gtest.h>

#include "harness/observe/haproxy_log.h"
#include "harness/observe/master_cli.h"
#include "harness/observe/server_stats.h"

namespace lbchaos::observe {
namespace {

// A `show stat` excerpt from haproxy 2.6.12 (header shortened; columns as haproxy prints them).
std::string stat_line(const std::string& px, const std::string& sv, const std::string& status,
                      const std::string& check_status, const std::string& check_desc) {
  std::vector<std::string> f(80, "");
  f[0] = px;
  f[1] = sv;
  f[7] = "42";
  f[17] = status;
  f[18] = "100";
  f[30] = "40";
  f[36] = check_status;
  f[65] = check_desc;
  std::string line;
  for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + f[i];
  return line + "\n";
}

TEST(ShowStat, ParsesServerRowsAndSkipsAggregates) {
  const std::string csv = "# pxname,svname,...\n" + stat_line("www", "FRONTEND", "OPEN", "", "") +
                          stat_line("app", "web1", "UP", "L7OK", "Layer7 check passed") +
                          stat_line("app", "web2", "DOWN", "L4CON", "Connection refused") +
                          stat_line("app", "BACKEND", "UP", "", "");
  const auto rows = parse_show_stat(csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key(), "app/web1");
  EXPECT_EQ(rows[0].weight, 100);
  EXPECT_EQ(rows[0].sessions_total, 42);
  EXPECT_EQ(rows[0].lb_total, 40);
  EXPECT_TRUE(rows[0].up_and_checked());
  EXPECT_EQ(rows[1].check_desc, "Connection refused");
  EXPECT_FALSE(rows[1].up_and_checked());
}

TEST(ShowStat, UpBeforeTheFirstCheckIsNotReady) {
  // haproxy starts servers UP before any check ran: that is not "healthy" yet.
  EXPECT_FALSE(parse_show_stat(stat_line("a", "s", "UP", "INI", ""))[0].up_and_checked());
  EXPECT_FALSE(parse_show_stat(stat_line("a", "s", "UP 1/2", "L7OK", ""))[0].up_and_checked());
  EXPECT_TRUE(parse_show_stat(stat_line("a", "s", "UP", "* L7OK", ""))[0].up_and_checked());
  EXPECT_TRUE(parse_show_stat(stat_line("a", "s", "no check", "", ""))[0].up_and_checked());
}

TEST(HaproxyLog, ExtractsTheMessageFromASyslogDatagram) {
  EXPECT_EQ(syslog_message("<133>Nov 21 22:00:00 lbchaos-lb0[812]: Server app/web1 is DOWN\n"),
            "Server app/web1 is DOWN");
}

TEST(HaproxyLog, ParsesServerStateChanges) {
  const auto down = parse_server_state_change(
      "Server app/web1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", "
      "check duration: 0ms. 2 active and 0 backup servers left.");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->backend, "app");
  EXPECT_EQ(down->server, "web1");
  EXPECT_EQ(down->state, "DOWN");
  EXPECT_EQ(down->reason.rfind("reason: Layer4", 0), 0u);

  const auto syslog_form = parse_server_state_change(
      "Server app/web1 is DOWN. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, "
      "0 remaining in queue.");
  ASSERT_TRUE(syslog_form);
  EXPECT_EQ(syslog_form->state, "DOWN");
  EXPECT_EQ(syslog_form->reason.rfind("2 active and 0 backup servers left.", 0), 0u);

  const auto up = parse_server_state_change(
      "Server app/web1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms.");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->state, "UP");
  const auto maint =
      parse_server_state_change("Server app/web2 is going DOWN for maintenance. 1 active left.");
  ASSERT_TRUE(maint);
  EXPECT_EQ(maint->state, "MAINT");
}

TEST(HaproxyLog, IgnoresEverythingElse) {
  EXPECT_FALSE(parse_server_state_change(
      "Health check for server app/web1 succeeded, reason: Layer7 check passed"));
  EXPECT_FALSE(parse_server_state_change(
      "127.0.0.1:35948 [21/Nov/2026:22:19:45.922] www app/web1 0/0/0/2/2 200 104"));
  EXPECT_FALSE(parse_server_state_change("backend 'app' has no server available!"));
}

TEST(ShowProc, ParsesMasterWorkersAndFailedReloads) {
  const auto list = parse_show_proc(
      "#<PID>          <type>          <reloads>       <uptime>        <version>\n"
      "3625            master          2 [failed: 1]   0d00h00m05s     2.6.12-1+deb12u4\n"
      "# workers\n"
      "3628            worker          0               0d00h00m05s     2.6.12-1+deb12u4\n"
      "# old workers\n"
      "3627            worker          1               0d00h00m09s     2.6.12-1+deb12u4\n"
      "# programs\n");
  EXPECT_EQ(list.master_pid, 3625);
  EXPECT_EQ(list.reloads, 2);
  EXPECT_EQ(list.failed_reloads, 1);
  EXPECT_EQ(list.worker_pids, (std::vector<int>{3628, 3627}));
}

}  // namespace
}  // namespace lbchaos::observe

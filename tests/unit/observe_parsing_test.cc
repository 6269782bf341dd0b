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

// Datagrams as haproxy 2.6.12 sends them to the harness's `format rfc5424` log target.
constexpr std::string_view kTrafficLine =
    "<134>1 2026-11-30T10:19:39.923483+00:00 - lbchaos-lb0 9578 - [lbchaos@32473 req=\"41\" "
    "srv=\"app/web1\" tr=\"1\"] 127.0.0.1:45316 [30/Nov/2026:10:19:39.921] www app/web1 "
    "0/0/0/1/1 200 495 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"\n";
constexpr std::string_view kHealthLine =
    "<133>1 2026-11-30T10:19:29.714053+00:00 - lbchaos-lb0 9322 - - Server app/web1 is UP. 1 "
    "active and 0 backup servers online. 0 sessions requeued, 0 total in queue.\n";

TEST(HaproxyLog, SplitsRfc5424DatagramsIntoStructuredDataAndMessage) {
  const auto traffic = split_syslog(kTrafficLine);
  EXPECT_EQ(traffic.structured_data,
            "[lbchaos@32473 req=\"41\" srv=\"app/web1\" tr=\"1\"]");
  EXPECT_TRUE(traffic.message.starts_with("127.0.0.1:45316 [30/Nov/2026:10:19:39.921] www "))
      << traffic.message;
  EXPECT_TRUE(traffic.message.ends_with("\"GET / HTTP/1.1\""));

  const auto health = split_syslog(kHealthLine);
  EXPECT_EQ(health.structured_data, "");
  EXPECT_TRUE(syslog_message(kHealthLine).starts_with("Server app/web1 is UP. "));
  const auto change = parse_server_state_change(health.message);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->state, "UP");

  // Escaped quotes and ']' inside a value do not end the element.
  const auto escaped = split_syslog(
      "<134>1 2026-11-30T10:19:39Z - t 1 - [x@1 a=\"q\\\"]\\]\"][y@2 b=\"2\"] msg");
  EXPECT_EQ(escaped.structured_data, "[x@1 a=\"q\\\"]\\]\"][y@2 b=\"2\"]");
  EXPECT_EQ(escaped.message, "msg");
}

TEST(HaproxyLog, MalformedRfc5424FallsBackToTheWholeMessageWithoutStructuredData) {
  for (const std::string_view datagram : {
           "<134>1 2026-11-30T10:19:39Z - t 1 - [lbchaos@32473 req=\"4",  // unterminated
           "<134>1 2026-11-30T10:19:39Z - t",                             // header cut short
           "<134>1 2026-11-30T10:19:39Z - t 1 - [a@1 x=\"1\"]glued",     // no space after SD
       }) {
    const auto parts = split_syslog(datagram);
    EXPECT_EQ(parts.structured_data, "") << datagram;
    EXPECT_FALSE(parse_request_log_line(parts.structured_data)) << datagram;
  }
}

TEST(HaproxyLog, ParsesTheHarnessRequestLine) {
  const auto line = parse_request_log_line(split_syslog(kTrafficLine).structured_data);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->request, 41u);
  EXPECT_EQ(line->backend, "app");
  EXPECT_EQ(line->server, "web1");
  EXPECT_TRUE(line->server_responded);

  // haproxy chose no server (503, no server available).
  const auto none = parse_request_log_line(
      "[lbchaos@32473 req=\"42\" srv=\"app/<NOSRV>\" tr=\"-1\"]");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->request, 42u);
  EXPECT_EQ(none->server, "");
  EXPECT_FALSE(none->server_responded);

  // A server was tried but sent no response (504 after timeout server, 503 after retries).
  const auto silent = parse_request_log_line(
      "[lbchaos@32473 req=\"43\" srv=\"app/web2\" tr=\"-1\"]");
  ASSERT_TRUE(silent);
  EXPECT_EQ(silent->server, "web2");
  EXPECT_FALSE(silent->server_responded);

  // Parameter order and other elements do not matter.
  const auto other = parse_request_log_line(
      "[meta@1 x=\"y\"][lbchaos@32473 tr=\"12\" srv=\"static/cdn1\" req=\"4294967295\"]");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->request, 4294967295u);
  EXPECT_EQ(other->backend, "static");
  EXPECT_TRUE(other->server_responded);
}

TEST(HaproxyLog, RejectsMalformedRequestLines) {
  for (const std::string_view sd : {
           "",
           "[lbchaos@32473 req=\"-\" srv=\"app/web1\" tr=\"1\"]",  // the request carried no id
           "[lbchaos@32473 req=\"\" srv=\"app/web1\" tr=\"1\"]",
           "[lbchaos@32473 req=\"12x\" srv=\"app/web1\" tr=\"1\"]",
           "[lbchaos@32473 req=\"-5\" srv=\"app/web1\" tr=\"1\"]",
           "[lbchaos@32473 req=\"4294967296\" srv=\"app/web1\" tr=\"1\"]",  // > uint32
           "[lbchaos@32473 req=\"7\" srv=\"web1\" tr=\"1\"]",              // no backend
           "[lbchaos@32473 req=\"7\" srv=\"app/\" tr=\"1\"]",
           "[lbchaos@32473 req=\"7\" srv=\"app/web1\"]",                    // no tr
           "[lbchaos@32473 req=\"7\" srv=\"app/web1\" tr=\"soon\"]",
           "[lbchaos@32473 req=\"7\" srv=\"app/web1 tr=\"1\"]",            // unbalanced quotes
           "[other@32473 req=\"7\" srv=\"app/web1\" tr=\"1\"]",           // not the harness's
       }) {
    EXPECT_FALSE(parse_request_log_line(sd)) << sd;
  }
}

TEST(HaproxyLog, TrafficLinesAreNeverHealthEvents) {
  // A request line whose message mentions a state change: the receiver only parses health
  // events in lines without structured data, and haproxy sends those with "-".
  const auto parts = split_syslog(
      "<134>1 2026-11-30T10:19:39Z - lbchaos-lb0 1 - [lbchaos@32473 req=\"1\" srv=\"app/web1\" "
      "tr=\"1\"] 127.0.0.1:1 [30/Nov/2026:10:19:39.921] www app/web1 \"GET "
      "/Server%20app/web1%20is%20DOWN HTTP/1.1\"");
  EXPECT_NE(parts.structured_data, "");
  EXPECT_TRUE(parse_request_log_line(parts.structured_data));
  // BSD-form datagrams (a config of another tool) keep working as before.
  EXPECT_EQ(split_syslog("<133>Nov 21 22:00:00 lbchaos-lb0[812]: Server app/web1 is DOWN\n")
                .structured_data,
            "");
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

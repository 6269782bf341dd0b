// The request mix, TCP answers, route coverage and route hints: what a run sends and what it
// reached.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/scenario/loader.h"
#include "harness/scenario/route_coverage.h"
#include "harness/topology/route_hints.h"
#include "harness/traffic/request_mix.h"
#include "harness/traffic/tcp_answer.h"

namespace lbchaos {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using traffic::RequestMix;
using traffic::RequestTemplate;
using traffic::TcpAnswer;

const fs::path kData = LBCHAOS_TEST_DATA;

std::vector<RequestTemplate> weighted(std::vector<double> weights) {
  std::vector<RequestTemplate> out;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    RequestTemplate one;
    one.path = "/" + std::to_string(i);
    one.weight = weights[i];
    out.push_back(std::move(one));
  }
  return out;
}

// A GET of "/" changed by `edit`.
template <typename Edit>
RequestTemplate request(Edit edit) {
  RequestTemplate one;
  edit(one);
  return one;
}

// ---- the mix ----

TEST(RequestMix, DrawsFollowTheWeights) {
  const RequestMix mix(weighted({3, 1}), 42, true);
  std::vector<int> counts(2, 0);
  for (std::uint64_t n = 0; n < 20000; ++n) ++counts[mix.draw(n)];
  EXPECT_NEAR(counts[0] / 20000.0, 0.75, 0.02);
  EXPECT_NEAR(counts[1] / 20000.0, 0.25, 0.02);
}

TEST(RequestMix, TheSameSeedDrawsTheSameSequenceAnotherSeedAnother) {
  const RequestMix a(weighted({1, 1, 1}), 7, true);
  const RequestMix b(weighted({1, 1, 1}), 7, true);
  const RequestMix c(weighted({1, 1, 1}), 8, true);
  std::vector<std::size_t> da, db, dc;
  for (std::uint64_t n = 0; n < 64; ++n) {
    da.push_back(a.draw(n));
    db.push_back(b.draw(n));
    dc.push_back(c.draw(n));
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(RequestMix, APlainPathListIsTakenInTurn) {
  const RequestMix mix(weighted({1, 1, 1}), 7, false);
  EXPECT_EQ(mix.draw(0), 0u);
  EXPECT_EQ(mix.draw(1), 1u);
  EXPECT_EQ(mix.draw(2), 2u);
  EXPECT_EQ(mix.draw(3), 0u);
}

TEST(RequestMix, EveryEntryOfASmallWeightIsStillDrawn) {
  const RequestMix mix(weighted({100, 1, 1, 1}), 1, true);
  std::vector<int> counts(4, 0);
  for (std::uint64_t n = 0; n < 5000; ++n) ++counts[mix.draw(n)];
  for (int count : counts) EXPECT_GT(count, 0);
}

TEST(RequestMix, TemplatesItCannotSendAreNamed) {
  EXPECT_EQ(traffic::template_problem(RequestTemplate{}), std::nullopt);
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.method = "HEAD"; })),
              HasSubstr("method 'HEAD' is not one of"));
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.path = "/a b"; })),
              HasSubstr("must start with '/' and hold no space"));
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.host = "a b"; })), HasSubstr("host 'a b'"));
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.headers = {{"X A", "1"}}; })),
              HasSubstr("not an HTTP token"));
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.headers = {{"X-A", "1\r\nB: 2"}}; })),
              HasSubstr("control character"));
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.headers = {{"content-length", "1"}}; })),
              HasSubstr("set by the generator"));
  EXPECT_THAT(*traffic::template_problem(request([](auto& r) { r.weight = 0; })),
              HasSubstr("weight must be greater than 0"));
}

// ---- TCP answers ----

TEST(TcpAnswer, ANewlineEndsTheAnswerWithoutExpect) {
  TcpAnswer answer;
  std::size_t consumed = 0;
  EXPECT_EQ(answer.feed("+PO", "", &consumed), TcpAnswer::Result::kIncomplete);
  EXPECT_TRUE(answer.started());
  EXPECT_EQ(answer.feed("NG\r\n", "", &consumed), TcpAnswer::Result::kComplete);
  EXPECT_EQ(consumed, 4u);
}

TEST(TcpAnswer, ExpectSplitAcrossReadsIsFound) {
  TcpAnswer answer;
  std::size_t consumed = 0;
  EXPECT_EQ(answer.feed("220 mail ES", "ESMTP", &consumed), TcpAnswer::Result::kIncomplete);
  EXPECT_EQ(answer.feed("MTP ready\r\n", "ESMTP", &consumed), TcpAnswer::Result::kComplete);
  EXPECT_EQ(consumed, 3u);  // "MTP": the rest was not asked for
}

TEST(TcpAnswer, BytesBeyondTheAnswerAreNotConsumed) {
  TcpAnswer answer;
  std::size_t consumed = 0;
  EXPECT_EQ(answer.feed("PONG\nextra", "", &consumed), TcpAnswer::Result::kComplete);
  EXPECT_EQ(consumed, 5u);
}

TEST(TcpAnswer, AnAnswerThatNeverEndsIsAProtocolError) {
  TcpAnswer answer;
  const std::string chunk(4096, 'x');
  std::size_t consumed = 0;
  TcpAnswer::Result result = TcpAnswer::Result::kIncomplete;
  for (int i = 0; i < 20 && result == TcpAnswer::Result::kIncomplete; ++i) {
    result = answer.feed(chunk, "", &consumed);
  }
  EXPECT_EQ(result, TcpAnswer::Result::kError);
}

TEST(TcpAnswer, ResetStartsOver) {
  TcpAnswer answer;
  std::size_t consumed = 0;
  (void)answer.feed("+PON", "+PONG", &consumed);
  answer.reset();
  EXPECT_FALSE(answer.started());
  EXPECT_EQ(answer.feed("G", "+PONG", &consumed), TcpAnswer::Result::kIncomplete);
}

// ---- coverage ----

TEST(RouteCoverage, NamesTheBackendsAndServersThatGotNothing) {
  const std::set<std::string> servers{"c1/a", "c1dev/a", "c2/a", "c2/b", "c2b1/x", "c3/a"};
  traffic::ServerTable table;
  std::vector<traffic::RequestRecord> records(5);
  records[0].server = table.id_of("c1/a");
  records[1].server = table.id_of("c2/a");
  records[2].server = table.id_of("c2/b");
  records[3].server = traffic::kUnknownServer;  // haproxy's own 503: no server
  records[3].status = 503;
  records[4].server = table.id_of("c3/a");

  const auto coverage = scenario::coverage_from_records(servers, records, table);

  EXPECT_THAT(coverage.backends_without_traffic(), ElementsAre("c1dev", "c2b1"));
  EXPECT_THAT(coverage.servers_without_traffic(), ElementsAre("c1dev/a", "c2b1/x"));
  EXPECT_EQ(coverage.unattributed, 1u);
  EXPECT_THAT(coverage.summary(), HasSubstr("3 of 5 backends got traffic: c1dev, c2b1 got none"));
  EXPECT_THAT(coverage.summary(), HasSubstr("4 of 6 servers got traffic: c1dev/a, c2b1/x got none"));
  const auto json = coverage.to_json();
  EXPECT_EQ(json["backends"]["c2"]["requests"], 2);
  EXPECT_EQ(json["backends"]["c2"]["servers"]["b"], 1);
  EXPECT_EQ(json["backends_without_traffic"], nlohmann::json({"c1dev", "c2b1"}));
}

TEST(RouteCoverage, FromHaproxyTotalsEveryServerCounted) {
  const auto coverage =
      scenario::coverage_from_totals({"db/r1", "db/r2"}, {{"db/r1", 10}, {"db/r2", 4}});
  EXPECT_TRUE(coverage.backends_without_traffic().empty());
  EXPECT_EQ(coverage.summary(), "all 1 backends got traffic; all 2 servers got traffic");
  EXPECT_EQ(coverage.to_json()["source"], "haproxy stats");
}

// ---- route hints ----

TEST(RouteHints, HostAndPathAclsBecomeCurls) {
  const auto routes = topology::read_route_hints(R"(
global
  daemon
frontend www
  bind :80
  acl is_dev hdr_beg(host) -i dev.local
  acl is_api path_beg /api
  use_backend c1dev if is_dev
  use_backend api if is_api
  use_backend c2 if { hdr(host) -i c2.local }
  use_backend post if METH_POST
  default_backend c1
backend c1
  server a 10.0.0.1:80
listen stats
  bind :81
  server s 10.0.0.2:80
)");
  ASSERT_EQ(routes.size(), 6u);
  EXPECT_EQ(routes[0].backend, "c1dev");
  EXPECT_EQ(routes[0].host, "dev.local");
  EXPECT_EQ(topology::curl_command(routes[0], "http://127.0.0.1:8080"),
            "curl -H 'Host: dev.local' http://127.0.0.1:8080/");
  EXPECT_EQ(routes[1].path, "/api");
  EXPECT_EQ(routes[2].host, "c2.local");
  EXPECT_FALSE(routes[3].exact);
  EXPECT_TRUE(routes[4].is_default);
  EXPECT_EQ(routes[4].backend, "c1");
  EXPECT_EQ(routes[5].frontend, "stats");
  EXPECT_EQ(routes[5].backend, "stats");
}

// ---- the scenario keys ----

TEST(TrafficKeys, RequestMixIsLoadedOnePerPath) {
  const auto s = scenario::load_scenario(kData / "scenarios/request_mix.toml");
  const auto& requests = s.traffic.requests;
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].host, "dev.local");
  EXPECT_EQ(requests[0].path, "/api");
  EXPECT_EQ(requests[0].body, "{\"a\":1}");
  EXPECT_DOUBLE_EQ(requests[0].weight, 3);
  ASSERT_EQ(requests[0].headers.size(), 2u);
  EXPECT_EQ(requests[0].headers[0].first, "X-Team");
  EXPECT_EQ(requests[1].path, "/a.css");
  EXPECT_EQ(requests[2].path, "/b.js");
  EXPECT_DOUBLE_EQ(requests[1].weight, 0.5);  // the entry's weight, shared by its paths
  EXPECT_EQ(requests[2].method, "GET");
}

TEST(TrafficKeys, TcpTrafficKeys) {
  const auto s = scenario::load_scenario(kData / "scenarios/tcp_traffic.toml");
  EXPECT_EQ(s.traffic.protocol, traffic::Protocol::kTcp);
  EXPECT_EQ(s.traffic.send, "PING\r\n");
  EXPECT_EQ(s.traffic.expect, "+PONG");
}

}  // namespace
}  // namespace lbchaos

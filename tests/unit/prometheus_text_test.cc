#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "harness/observe/prometheus_text.h"

namespace lbchaos::observe {
namespace {

using ::testing::ElementsAre;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kHaproxyMetrics = std::string(LBCHAOS_TEST_DATA) + "/metrics/haproxy-2.6.txt";

const MetricSample* find(const std::vector<MetricSample>& samples, const std::string& name,
                         const Labels& labels) {
  for (const auto& sample : samples) {
    if (sample.name == name && sample.labels == labels) return &sample;
  }
  return nullptr;
}

TEST(PrometheusText, ParsesNamesLabelsValuesAndSkipsComments) {
  const auto samples = parse_prometheus_text(
      "# HELP haproxy_server_status Current status of the service, per state label value.\n"
      "# TYPE haproxy_server_status gauge\n"
      "haproxy_server_status{proxy=\"app\",server=\"web1\",state=\"UP\"} 1\n"
      "\n"
      "# a free comment\n"
      "haproxy_process_uptime_seconds 2\n"
      "haproxy_backend_response_time_average_seconds{proxy=\"app\"} 0.001000\n");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].name, "haproxy_server_status");
  EXPECT_EQ(samples[0].labels, (Labels{{"proxy", "app"}, {"server", "web1"}, {"state", "UP"}}));
  EXPECT_EQ(samples[0].value, 1.0);
  EXPECT_TRUE(samples[1].labels.empty());
  EXPECT_EQ(samples[1].value, 2.0);
  EXPECT_DOUBLE_EQ(samples[2].value, 0.001);
}

TEST(PrometheusText, SpecialValuesTimestampsAndLoosenedSyntax) {
  const auto samples = parse_prometheus_text(
      "a NaN\n"
      "b +Inf\n"
      "c -Inf\n"
      "d{x=\"1\",} 1.5e3 1700000000000\n"
      "e { x = \"1\" }   -2\r\n"
      "f:ratio 7");
  ASSERT_EQ(samples.size(), 6u);
  EXPECT_TRUE(std::isnan(samples[0].value));
  EXPECT_EQ(samples[1].value, INFINITY);
  EXPECT_EQ(samples[2].value, -INFINITY);
  EXPECT_EQ(samples[3].value, 1500.0);  // the timestamp is dropped
  EXPECT_EQ(samples[3].labels, (Labels{{"x", "1"}}));
  EXPECT_EQ(samples[4].value, -2.0);
  EXPECT_EQ(samples[5].name, "f:ratio");
}

TEST(PrometheusText, UnescapesLabelValues) {
  const auto samples =
      parse_prometheus_text(R"(m{path="C:\\dir",quote="say \"hi\"",nl="a\nb",odd="\x"} 1)");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels.at("path"), "C:\\dir");
  EXPECT_EQ(samples[0].labels.at("quote"), "say \"hi\"");
  EXPECT_EQ(samples[0].labels.at("nl"), "a\nb");
  EXPECT_EQ(samples[0].labels.at("odd"), "\\x");
}

TEST(PrometheusText, SkipsMalformedLinesAndKeepsTheRest) {
  const auto samples = parse_prometheus_text(
      "ok_before 1\n"
      "no_value\n"
      "bad_value abc\n"
      "unterminated{a=\"1} 1\n"
      "unquoted{a=1} 1\n"
      "missing_brace{a=\"1\" 1\n"
      "bad_timestamp 1 12x\n"
      "trailing 1 2 3\n"
      "{a=\"1\"} 1\n"
      "9starts_with_digit 1\n"
      "ok_after 2\n");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "ok_before");
  EXPECT_EQ(samples[1].name, "ok_after");
}

TEST(PrometheusText, KeepFiltersByNameBeforeLabelsAreParsed) {
  std::vector<std::string> seen;
  const auto samples = parse_prometheus_text(
      "haproxy_server_status{state=\"UP\"} 1\n"
      "haproxy_process_uptime_seconds{broken 2\n"
      "haproxy_server_weight{server=\"web1\"} 100\n",
      [&](std::string_view name) {
        seen.emplace_back(name);
        return name.rfind("haproxy_server_", 0) == 0;
      });
  EXPECT_THAT(seen, ElementsAre("haproxy_server_status", "haproxy_process_uptime_seconds",
                                "haproxy_server_weight"));
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[1].value, 100.0);
}

TEST(PrometheusText, ReadsARealHaproxyExporterOutput) {
  const std::string text = read_file(kHaproxyMetrics);
  ASSERT_FALSE(text.empty()) << kHaproxyMetrics;
  std::size_t sample_lines = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') ++sample_lines;
  }
  const auto samples = parse_prometheus_text(text);
  EXPECT_EQ(samples.size(), sample_lines) << "every sample line of haproxy 2.6 parses";

  for (const char* server : {"web1", "web2", "web3"}) {
    const auto* up = find(samples, "haproxy_server_status",
                          {{"proxy", "app"}, {"server", server}, {"state", "UP"}});
    ASSERT_NE(up, nullptr) << server;
    EXPECT_EQ(up->value, 1.0);
    const auto* down = find(samples, "haproxy_server_status",
                            {{"proxy", "app"}, {"server", server}, {"state", "DOWN"}});
    ASSERT_NE(down, nullptr) << server;
    EXPECT_EQ(down->value, 0.0);
    const auto* responses_5xx = find(samples, "haproxy_server_http_responses_total",
                                     {{"proxy", "app"}, {"server", server}, {"code", "5xx"}});
    ASSERT_NE(responses_5xx, nullptr) << server;
    EXPECT_EQ(responses_5xx->value, 0.0);
    const Labels server_labels{{"proxy", "app"}, {"server", server}};
    EXPECT_NE(find(samples, "haproxy_server_sessions_total", server_labels), nullptr);
    EXPECT_NE(find(samples, "haproxy_server_response_time_average_seconds", server_labels),
              nullptr);
  }
  const auto* active = find(samples, "haproxy_backend_active_servers", {{"proxy", "app"}});
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->value, 3.0);
  const auto* limit = find(samples, "haproxy_server_limit_sessions",
                           {{"proxy", "app"}, {"server", "web1"}});
  ASSERT_NE(limit, nullptr);
  EXPECT_TRUE(std::isnan(limit->value));
  EXPECT_NE(find(samples, "haproxy_process_build_info", {{"version", "2.6.12-1+deb12u4"}}),
            nullptr);
}

TEST(PrometheusText, ExpositionGroupsByNameWithTypesAndEscapes) {
  const std::vector<MetricSample> samples{
      {"lbchaos_frontend_up", {{"instance", "lb0"}, {"frontend", "www"}}, 1},
      {"lbchaos_reload_failures_total", {{"instance", "lb0"}}, 2},
      {"lbchaos_frontend_up", {{"instance", "lb1"}, {"frontend", "w\"e\\b\n"}}, 0},
      {"up", {}, 0.25},
      {"odd", {}, NAN},
      {"odd", {{"k", "v"}}, -INFINITY},
  };
  EXPECT_EQ(to_prometheus_text(samples),
            "# TYPE lbchaos_frontend_up gauge\n"
            "lbchaos_frontend_up{frontend=\"www\",instance=\"lb0\"} 1\n"
            "lbchaos_frontend_up{frontend=\"w\\\"e\\\\b\\n\",instance=\"lb1\"} 0\n"
            "# TYPE lbchaos_reload_failures_total counter\n"
            "lbchaos_reload_failures_total{instance=\"lb0\"} 2\n"
            "# TYPE up gauge\n"
            "up 0.25\n"
            "# TYPE odd gauge\n"
            "odd NaN\n"
            "odd{k=\"v\"} -Inf\n");
}

TEST(PrometheusText, ExpositionParsesBackToTheSameSamples) {
  const std::vector<MetricSample> samples{
      {"lbchaos_frontend_up", {{"instance", "lb0"}, {"frontend", "a \"quoted\"\\ name\n"}}, 1},
      {"haproxy_server_weight", {{"server", "web1"}}, 12345.678},
      {"big", {}, 1e300},
  };
  const auto parsed = parse_prometheus_text(to_prometheus_text(samples));
  ASSERT_EQ(parsed.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(parsed[i].name, samples[i].name);
    EXPECT_EQ(parsed[i].labels, samples[i].labels);
    EXPECT_EQ(parsed[i].value, samples[i].value);
  }
}

}  // namespace
}  // namespace lbchaos::observe

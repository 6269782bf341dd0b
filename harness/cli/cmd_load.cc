// `lbchaos load URL...`: the traffic generator on its own, for calibration and benchmarks
// (bench/traffic.sh). Prints one JSON object: achieved rate, send lag, latency, errors, RSS.
#include <sys/resource.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <regex>

#include "harness/cli/commands.h"
#include "harness/cli/logging.h"
#include "harness/cli/run_io.h"
#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/common/loopback.h"
#include "harness/traffic/histogram.h"
#include "harness/traffic/load_generator.h"

namespace lbchaos::cli {

namespace {

struct LoadCommandOptions {
  std::vector<std::string> urls;
  double rate = 1000;
  std::string duration = "10s";
  std::string timeout = "5s";
  int clients = 16;
  int max_connections = 256;
  bool closed_loop = false;
  int concurrency = 64;
  std::string method = "GET";
  std::string host;
  std::vector<std::string> paths;
  std::vector<std::string> headers;  // "Name: value"
};

// One request per --path (or "/"), each with the --method, --host and --header given.
std::vector<traffic::RequestTemplate> request_mix(const LoadCommandOptions& options) {
  traffic::RequestTemplate request;
  request.method = options.method;
  request.host = options.host;
  for (const auto& header : options.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw InputError(fmt::format("--header '{}': expected 'Name: value'", header));
    }
    const auto value_start = header.find_first_not_of(' ', colon + 1);
    request.headers.emplace_back(header.substr(0, colon), value_start == std::string::npos
                                                              ? std::string()
                                                              : header.substr(value_start));
  }
  std::vector<traffic::RequestTemplate> mix;
  const std::vector<std::string> paths =
      options.paths.empty() ? std::vector<std::string>{"/"} : options.paths;
  for (const auto& path : paths) {
    auto one = request;
    one.path = path;
    if (auto problem = traffic::template_problem(one)) {
      throw InputError(fmt::format("--method/--host/--path/--header: {}", *problem));
    }
    mix.push_back(std::move(one));
  }
  return mix;
}

topology::Endpoint parse_target(const std::string& url) {
  static const std::regex form(R"(http://([0-9.]+|\[::1\]):([0-9]+)/?)");
  std::smatch match;
  if (!std::regex_match(url, match, form)) {
    throw InputError(fmt::format("{}: expected http://<loopback address>:<port>", url));
  }
  std::string host = match[1];
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  if (!is_loopback_address(host)) {
    throw InputError(fmt::format("{}: lbchaos only sends traffic to loopback addresses", url));
  }
  return topology::Endpoint{host, std::stoi(match[2])};
}

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

nlohmann::json summarize(const std::vector<traffic::RequestRecord>& records, double seconds) {
  traffic::Histogram latency, raw_latency, send_lag;
  std::map<std::string, std::uint64_t> outcomes;
  std::int64_t first_sent = 0, last_sent = 0;
  std::uint64_t sent = 0, ok = 0;
  for (const auto& r : records) {
    if (r.sent_ns != 0) {
      ++sent;
      first_sent = first_sent == 0 ? r.sent_ns : std::min(first_sent, r.sent_ns);
      last_sent = std::max(last_sent, r.sent_ns);
      send_lag.record(std::max<std::int64_t>(r.sent_ns - r.intended_ns, 0));
    }
    if (r.ok()) {
      ++ok;
      latency.record(r.latency_ns());
      raw_latency.record(r.raw_latency_ns());
    }
    ++outcomes[r.error != traffic::ErrorClass::kNone ? std::string(traffic::to_string(r.error))
               : r.status >= 500                      ? "5xx"
                                                      : "ok"];
  }
  const double send_span = static_cast<double>(last_sent - first_sent) / 1e9;
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return {{"requests", records.size()},
          {"sent", sent},
          {"ok", ok},
          {"outcomes", outcomes},
          {"seconds", seconds},
          {"achieved_rate", send_span > 0 ? static_cast<double>(sent - 1) / send_span : 0.0},
          {"completed_rate", seconds > 0 ? static_cast<double>(ok) / seconds : 0.0},
          {"send_lag_ms", {{"p50", ms(send_lag.value_at_percentile(50))},
                           {"p99", ms(send_lag.value_at_percentile(99))},
                           {"max", ms(send_lag.max())}}},
          {"latency_ms", {{"p50", ms(latency.value_at_percentile(50))},
                          {"p99", ms(latency.value_at_percentile(99))},
                          {"p99_raw", ms(raw_latency.value_at_percentile(99))}}},
          {"peak_rss_kib", usage.ru_maxrss}};
}

int run_load(const LoadCommandOptions& options) {
  setup_logging(false);
  traffic::LoadOptions load;
  try {
    for (const auto& url : options.urls) load.targets.push_back(parse_target(url));
    const auto duration = parse_duration(options.duration);
    const auto timeout = parse_duration(options.timeout);
    if (!duration || !timeout) throw InputError("--duration and --timeout take durations like 10s");
    load.rate = options.rate;
    load.duration = *duration;
    load.timeout = *timeout;
    load.clients = options.clients;
    load.max_connections = std::max(options.max_connections, options.concurrency);
    load.closed_loop = options.closed_loop;
    load.closed_loop_concurrency = options.concurrency;
    load.requests = request_mix(options);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  boost::asio::io_context io(1);  // one thread owns everything: no locking
  std::optional<traffic::LoadGenerator> generator;
  try {
    generator.emplace(io, load);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  const MonoTime start = mono_now() + std::chrono::milliseconds(20);
  if (!run_io(io, generator->run(start))) return kExitEnvironment;
  const double seconds = std::chrono::duration<double>(mono_now() - start).count();
  fmt::print("{}\n", summarize(generator->records(), seconds).dump(2));
  return kExitOk;
}

}  // namespace

void add_load_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<LoadCommandOptions>();
  auto* load = app.add_subcommand(
      "load", "Drive HTTP load at loopback URLs and print rate, send lag and latency as JSON "
              "(calibration and benchmarks)");
  load->add_option("urls", options->urls, "http://127.0.0.1:PORT (several: round-robin)")
      ->required();
  load->add_option("--rate", options->rate, "Requests/s, open loop")->check(CLI::PositiveNumber);
  load->add_option("--duration", options->duration, "How long, e.g. 10s");
  load->add_option("--timeout", options->timeout, "Per request");
  load->add_option("--clients", options->clients, "Distinct client addresses in 127.0.0.0/8");
  load->add_option("--max-connections", options->max_connections, "Connection pool cap");
  load->add_flag("--closed-loop", options->closed_loop, "As fast as possible (calibration)");
  load->add_option("--concurrency", options->concurrency, "Closed-loop workers");
  load->add_option("--method", options->method, "HTTP method (GET, POST, ...)");
  load->add_option("--host", options->host, "Host header (default: the URL's address)");
  load->add_option("--path", options->paths, "Request path; several: an even mix")
      ->allow_extra_args(false);
  load->add_option("--header", options->headers, "Extra header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  load->callback([options, &exit_code] { exit_code = run_load(*options); });
}

}  // namespace lbchaos::cli

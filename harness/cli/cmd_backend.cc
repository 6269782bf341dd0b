#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/backend/backend_main.h"
#include "harness/cli/commands.h"
#include "harness/cli/logging.h"
#include "harness/common/duration.h"
#include "harness/common/errors.h"
#include "harness/common/loopback.h"

namespace lbchaos::cli {
namespace {

// CLI11 validators return an error message, or "" when the value is fine.
std::string check_listen(const std::string& text) {
  try {
    const auto address = backend::parse_listen_address(text);
    if (!is_loopback_address(address.host)) {
      return "refusing to listen on " + address.host +
             ": lbchaos only uses loopback addresses (127.0.0.0/8, ::1)";
    }
    return {};
  } catch (const InputError& e) {
    return e.what();
  }
}

std::string check_duration(const std::string& text) {
  return parse_duration(text) ? std::string() : "'" + text + "' is not a duration (e.g. 2ms)";
}

std::string check_path(const std::string& text) {
  return text.starts_with('/') ? std::string() : "must start with '/'";
}

struct BackendArgs {
  std::string name;
  std::string listen;
  std::string control;
  std::string latency = "0ms";
  int max_inflight = backend::kDefaultMaxInflight;
  std::string overload = "queue";
  std::string health_path = std::string(backend::kDefaultHealthPath);
  std::uint64_t seed = 0;
  int health_status = 200;
  std::string health_body = "ok\n";
  std::string protocol = "http";
  std::vector<std::string> tcp_replies;  // "<hex sent>:<hex answered>"
};

std::string hex_decode(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

}  // namespace

void add_backend_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "backend",
      "Run the built-in HTTP backend of one server node (internal: the harness starts it; "
      "not meant to be run by hand)");
  auto args = std::make_shared<BackendArgs>();
  cmd->add_option("--name", args->name, "Server name, e.g. app/web1 (response header, seed)")
      ->required();
  cmd->add_option("--listen", args->listen, "Loopback HOST:PORT to serve HTTP on")
      ->required()
      ->type_name("HOST:PORT")
      ->check(CLI::Validator(check_listen, ""));
  cmd->add_option("--control", args->control, "Unix socket path for the control protocol")
      ->required()
      ->type_name("PATH");
  cmd->add_option("--latency", args->latency, "Base service time per request, e.g. 2ms")
      ->type_name("DURATION")
      ->check(CLI::Validator(check_duration, ""))
      ->capture_default_str();
  cmd->add_option("--max-inflight", args->max_inflight, "Requests in service at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--overload", args->overload, "Beyond --max-inflight: queue, reject or crash")
      ->check(CLI::IsMember({"queue", "reject", "crash"}))
      ->capture_default_str();
  cmd->add_option("--health-path", args->health_path, "Path of the health check endpoint")
      ->type_name("PATH")
      ->check(CLI::Validator(check_path, ""))
      ->capture_default_str();
  cmd->add_option("--health-status", args->health_status,
                  "Status the health endpoint answers while healthy")
      ->check(CLI::Range(100, 599))
      ->capture_default_str();
  cmd->add_option("--health-body", args->health_body, "Body the health endpoint answers");
  cmd->add_option("--protocol", args->protocol,
                  "http, or a TCP persona: tcp (echo), redis, mysql, pgsql, smtp, ldap")
      ->check(CLI::IsMember({"http", "tcp", "redis", "mysql", "pgsql", "smtp", "ldap"}))
      ->capture_default_str();
  cmd->add_option("--tcp-reply", args->tcp_replies,
                  "tcp persona: answer HEX2 on receiving HEX1 (HEX1:HEX2, in order; empty HEX1 "
                  "is a greeting)");
  auto* seed = cmd->add_option("--seed", args->seed,
                               "Seed of the error-ratio draws (default: derived from --name)");

  cmd->callback([args, seed, &exit_code] {
    backend::BackendOptions options;
    options.name = args->name;
    options.listen = backend::parse_listen_address(args->listen);
    options.control = args->control;
    options.latency = *parse_duration(args->latency);
    options.max_inflight = args->max_inflight;
    options.overload = *topology::parse_overload(args->overload);
    options.health_path = args->health_path;
    if (seed->count() > 0) options.seed = args->seed;
    options.health_status = args->health_status;
    options.health_body = args->health_body;
    options.protocol = args->protocol;
    for (const auto& reply : args->tcp_replies) {
      const auto colon = reply.find(':');
      options.tcp_script.emplace_back(hex_decode(reply.substr(0, colon)),
                                      colon == std::string::npos ? std::string()
                                                                 : hex_decode(reply.substr(colon + 1)));
    }
    setup_logging(false);
    exit_code = backend::run_backend(options);
  });
}

}  // namespace lbchaos::cli

#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/backend/behaviour.h"

// `lbchaos backend`: one built-in backend process (HTTP server + control socket).
namespace lbchaos::backend {

// Exit code of a backend that crashed on overload as configured (EX_SOFTWARE), distinct from
// every lbchaos exit code and from death by signal.
inline constexpr int kExitOverloadCrash = 70;

inline constexpr std::string_view kDefaultHealthPath = "/health";

struct ListenAddress {
  std::string host;  // "127.0.0.1" or "::1" (no brackets)
  std::uint16_t port = 0;
};

// "127.0.0.1:8080" or "[::1]:8080". Checks the form and the port (1..65535), not loopback.
// Throws InputError with a message suitable for the command line.
[[nodiscard]] ListenAddress parse_listen_address(std::string_view text);

struct BackendOptions {
  std::string name;  // "app/web1": the X-Lbchaos-Server header and the default seed
  ListenAddress listen;
  std::filesystem::path control;  // Unix socket path of the control protocol
  Duration latency{};
  int max_inflight = kDefaultMaxInflight;
  OverloadBehaviour overload = OverloadBehaviour::kQueue;
  std::string health_path = std::string(kDefaultHealthPath);
  std::optional<std::uint64_t> seed;  // default: seed_from_name(name)
  // What the health path answers while healthy (health checks that expect more than 200 "ok").
  int health_status = 200;
  std::string health_body = "ok\n";
  // "http", or a TCP persona (backend/tcp_persona_server.h) with its tcp-check script.
  std::string protocol = "http";
  std::vector<std::pair<std::string, std::string>> tcp_script;
};

// Runs until SIGTERM or SIGINT (then exit code 0, control socket file removed). Returns
// kExitBadInput for invalid options (a non-loopback address...), kExitEnvironment when the
// listener or control socket cannot be set up; exits the process with kExitOverloadCrash when
// overloaded with overload = crash. Single-threaded.
[[nodiscard]] int run_backend(const BackendOptions& options);

}  // namespace lbchaos::backend

#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// The game-day control protocol: `lbchaos inject/heal/status/halt/note` talk to a running `up`
// (or `run --live`) over a unix socket in its run directory (mode 0600). One request line, one
// response line, both a JSON object:
//   request:  {"command": "inject", "args": {"action": "kill", "target": "app/web1", ...}}
//   response: {"ok": true, "exit_code": 0, "message": "f1", "data": {...}}
// The caller's identity is not in the request: the server reads it from the socket
// (SO_PEERCRED), so the journal's actor cannot be forged.
namespace lbchaos::gameday {

inline constexpr std::string_view kControlSocketName = "control.sock";
// Written next to the socket: what `lbchaos inject` shows when it must ask which run.
inline constexpr std::string_view kRunInfoName = "gameday.json";
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

struct ControlRequest {
  std::string command;  // inject | heal | status | halt | note
  nlohmann::json args = nlohmann::json::object();
};

struct ControlResponse {
  bool ok = true;
  int exit_code = 0;     // what the client exits with
  std::string message;   // printed by the client (stdout when ok, stderr otherwise)
  nlohmann::json data = nlohmann::json::object();
};

// Who sent a request, from the peer credentials of its connection.
struct Actor {
  std::string user;
  uid_t uid = 0;
  pid_t pid = 0;
};

[[nodiscard]] nlohmann::json to_json(const Actor& actor);
// The harness itself (a stop condition, the end of the run).
[[nodiscard]] Actor harness_actor();

// One line each, '\n' included.
[[nodiscard]] std::string encode(const ControlRequest& request);
[[nodiscard]] std::string encode(const ControlResponse& response);
// Throw std::invalid_argument with a message for the other side: not JSON, not an object, an
// unknown command, args not an object, a missing field.
[[nodiscard]] ControlRequest decode_request(std::string_view line);
[[nodiscard]] ControlResponse decode_response(std::string_view line);

[[nodiscard]] ControlResponse error_response(int exit_code, std::string message);

}  // namespace lbchaos::gameday

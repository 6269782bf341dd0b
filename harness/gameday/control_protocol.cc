#include "harness/gameday/control_protocol.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

namespace lbchaos::gameday {
namespace {

constexpr std::array<std::string_view, 5> kCommands{"inject", "heal", "status", "halt", "note"};

nlohmann::json parse_object(std::string_view line, std::string_view what) {
  if (line.size() > kMaxLineBytes) {
    throw std::invalid_argument(fmt::format("{} longer than {} bytes", what, kMaxLineBytes));
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw std::invalid_argument(fmt::format("{} is not JSON", what));
  if (!json.is_object()) throw std::invalid_argument(fmt::format("{} is not a JSON object", what));
  return json;
}

}  // namespace

nlohmann::json to_json(const Actor& actor) {
  return {{"user", actor.user}, {"uid", actor.uid}, {"pid", actor.pid}};
}

Actor harness_actor() {
  Actor actor;
  actor.user = "lbchaos";
  actor.uid = ::geteuid();
  actor.pid = ::getpid();
  return actor;
}

std::string encode(const ControlRequest& request) {
  return nlohmann::json{{"command", request.command}, {"args", request.args}}.dump() + "\n";
}

std::string encode(const ControlResponse& response) {
  return nlohmann::json{{"ok", response.ok},
                        {"exit_code", response.exit_code},
                        {"message", response.message},
                        {"data", response.data}}
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

ControlRequest decode_request(std::string_view line) {
  const auto json = parse_object(line, "request");
  const auto command = json.find("command");
  if (command == json.end() || !command->is_string()) {
    throw std::invalid_argument("request has no \"command\" string");
  }
  ControlRequest request;
  request.command = command->get<std::string>();
  if (std::find(kCommands.begin(), kCommands.end(), request.command) == kCommands.end()) {
    throw std::invalid_argument(fmt::format("unknown command '{}' (commands: {})", request.command,
                                            fmt::join(kCommands, ", ")));
  }
  if (const auto args = json.find("args"); args != json.end()) {
    if (!args->is_object()) throw std::invalid_argument("request \"args\" is not an object");
    request.args = *args;
  }
  return request;
}

ControlResponse decode_response(std::string_view line) {
  const auto json = parse_object(line, "response");
  ControlResponse response;
  if (!json.contains("ok") || !json["ok"].is_boolean() || !json.contains("exit_code") ||
      !json["exit_code"].is_number_integer()) {
    throw std::invalid_argument("response lacks \"ok\" or \"exit_code\"");
  }
  response.ok = json["ok"].get<bool>();
  response.exit_code = json["exit_code"].get<int>();
  response.message = json.value("message", "");
  if (json.contains("data")) response.data = json["data"];
  return response;
}

ControlResponse error_response(int exit_code, std::string message) {
  ControlResponse response;
  response.ok = false;
  response.exit_code = exit_code;
  response.message = std::move(message);
  return response;
}

}  // namespace lbchaos::gameday

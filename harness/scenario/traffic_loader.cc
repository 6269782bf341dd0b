#include "harness/scenario/traffic_loader.h"

#include <fmt/format.h>

#include <array>
#include <string>
#include <string_view>

#include "harness/common/errors.h"

namespace lbchaos::scenario {
namespace {


constexpr std::array<std::string_view, 7> kRequestKeys{"host",    "path", "paths", "method",
                                                       "headers", "body", "weight"};
constexpr std::array<std::string_view, 2> kProtocols{"http", "tcp"};

// Reports what the generator could not send of `request` at `key`.
void check(const TableReader& table, std::string_view key, const traffic::RequestTemplate& request) {
  if (auto problem = traffic::template_problem(request)) table.fail(key, *problem);
}

std::vector<traffic::RequestTemplate> read_request(const TableReader& table) {
  table.allow_only(kRequestKeys);
  traffic::RequestTemplate request;
  if (auto method = table.string("method")) {
    request.method = std::move(*method);
    check(table, "method", request);
  }
  if (auto host = table.string("host")) {
    if (host->empty()) table.fail("host", "host must not be empty (leave it out to send the "
                                          "address haproxy listens on)");
    request.host = std::move(*host);
    check(table, "host", request);
  }
  if (auto headers = table.table("headers", "[traffic.request.headers]")) {
    for (const auto name : headers->keys()) {
      auto value = headers->string(name);
      if (!value) headers->fail_type(name, "a string");
      request.headers.emplace_back(std::string(name), std::move(*value));
      traffic::RequestTemplate alone;
      alone.headers.push_back(request.headers.back());
      if (auto problem = traffic::template_problem(alone)) headers->fail_at_key(name, *problem);
    }
  }
  if (auto body = table.string("body")) request.body = std::move(*body);
  if (const auto weight = table.number("weight")) {
    if (*weight <= 0) {
      table.fail("weight", fmt::format("weight must be greater than 0, found {}",
                                       describe_node(*table.find("weight"))));
    }
    request.weight = *weight;
  }
  if (table.has("path") && table.has("paths")) {
    table.fail_at_key("paths", "give either path or paths, not both");
  }
  std::vector<std::string> paths{"/"};
  if (auto path = table.string("path")) {
    paths = {std::move(*path)};
  } else if (auto list = table.string_array("paths")) {
    if (list->empty()) table.fail("paths", "paths must list at least one path, like [\"/\"]");
    paths = std::move(*list);
  }
  // Several paths share the entry's weight evenly.
  std::vector<traffic::RequestTemplate> requests;
  const std::string path_key = table.has("paths") ? "paths" : "path";
  for (auto& path : paths) {
    traffic::RequestTemplate one = request;
    one.path = std::move(path);
    one.weight = request.weight / static_cast<double>(paths.size());
    check(table, path_key, one);
    requests.push_back(std::move(one));
  }
  return requests;
}

}  // namespace

void read_traffic_shape(const TableReader& table, TrafficSpec& traffic) {
  if (const auto protocol = table.one_of("protocol", kProtocols)) {
    traffic.protocol = *protocol == "tcp" ? traffic::Protocol::kTcp : traffic::Protocol::kHttp;
  }
  const bool tcp = traffic.protocol == traffic::Protocol::kTcp;
  for (const std::string_view key : {"send", "expect"}) {
    if (table.has(key) && !tcp) {
      table.fail_at_key(key, fmt::format("{} is for TCP traffic: add protocol = \"tcp\"", key));
    }
  }
  if (auto send = table.string("send")) {
    if (send->empty()) table.fail("send", "send must not be empty, like \"PING\\r\\n\"");
    traffic.send = std::move(*send);
  }
  if (auto expect = table.string("expect")) {
    if (expect->empty()) table.fail("expect", "expect must not be empty (leave it out to read "
                                              "up to a newline)");
    traffic.expect = std::move(*expect);
  }
  const auto requests = table.table_array("request", "[traffic.request]");
  if (!requests.empty() && tcp) {
    table.fail_at_key("protocol", "[[traffic.request]] describes HTTP requests, but protocol = "
                                  "\"tcp\" sends `send` and reads up to `expect`: remove one");
  }
  if (!requests.empty() && table.has("paths")) {
    table.fail_at_key("paths", "give paths in each [[traffic.request]] (path or paths), not "
                               "in [traffic] as well");
  }
  for (const TableReader& request : requests) {
    for (auto& one : read_request(request)) traffic.requests.push_back(std::move(one));
  }
}

}  // namespace lbchaos::scenario

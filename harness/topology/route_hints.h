#pragma once

#include <string>
#include <string_view>
#include <vector>

// The routes of an haproxy config as far as they can be read without running it: each
// `use_backend` / `default_backend` of a frontend (or listen section) with the Host and path a
// request needs to take it, from the ACLs it names (hdr(host), hdr_beg(host), hdr_dom(host),
// hdr_end(host), req.hdr(host), path, path_beg) or inline `{ ... }` conditions. `up` turns each
// into a ready-made curl.
namespace lbchaos::topology {

struct RouteHint {
  std::string frontend;  // frontend or listen section
  std::string backend;   // where the route goes
  std::string host;      // a Host that takes it; empty: none needed (or none readable)
  std::string path;      // a path that takes it; "/" when none is needed
  bool is_default = false;  // default_backend (or a listen section's own servers)
  bool exact = true;     // false: the condition holds more than a host and a path, or a negation
};

[[nodiscard]] std::vector<RouteHint> read_route_hints(std::string_view config);

// "curl -H 'Host: dev.local' http://127.0.0.1:8080/api"
[[nodiscard]] std::string curl_command(const RouteHint& route, const std::string& base_url);

}  // namespace lbchaos::topology

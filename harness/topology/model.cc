#include "harness/topology/model.h"

#include <algorithm>

namespace lbchaos::topology {

const Backend* Topology::find_backend(std::string_view backend_name) const {
  const auto it = std::find_if(backends.begin(), backends.end(),
                               [&](const Backend& b) { return b.name == backend_name; });
  return it == backends.end() ? nullptr : &*it;
}

const Server* Topology::find_server(std::string_view backend, std::string_view server) const {
  const Backend* b = find_backend(backend);
  if (b == nullptr) return nullptr;
  const auto it = std::find_if(b->servers.begin(), b->servers.end(),
                               [&](const Server& s) { return s.name == server; });
  return it == b->servers.end() ? nullptr : &*it;
}

std::string server_key(std::string_view backend, std::string_view server) {
  std::string key;
  key.reserve(backend.size() + server.size() + 1);
  key.append(backend).append("/").append(server);
  return key;
}

std::string_view to_string(OverloadBehaviour behaviour) {
  switch (behaviour) {
    case OverloadBehaviour::kQueue: return "queue";
    case OverloadBehaviour::kReject: return "reject";
    case OverloadBehaviour::kCrash: return "crash";
  }
  return "queue";
}

std::optional<OverloadBehaviour> parse_overload(std::string_view text) {
  if (text == "queue") return OverloadBehaviour::kQueue;
  if (text == "reject") return OverloadBehaviour::kReject;
  if (text == "crash") return OverloadBehaviour::kCrash;
  return std::nullopt;
}

}  // namespace lbchaos::topology

#include "harness/scenario/targets.h"

#include <array>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace lbchaos::scenario {
namespace {

constexpr std::array<TargetKind, 3> kTargetKinds{kServer, kInstance, kBackend};

std::string join(const std::vector<std::string>& items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

// "lb0" -> 0; anything else (including "lb01") -> nullopt.
std::optional<int> instance_index(std::string_view text) {
  constexpr std::string_view kPrefix = "lb";
  if (!text.starts_with(kPrefix)) return std::nullopt;
  const std::string_view digits = text.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) {
    return std::nullopt;
  }
  int index = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + (c - '0');
  }
  return index;
}

std::string_view kind_name(TargetKind kind) {
  switch (kind) {
    case kServer: return "server";
    case kInstance: return "haproxy instance";
    case kBackend: return "backend";
  }
  return "target";
}

}  // namespace

void TargetNames::check(const SourcePosition& where, const std::string& target, unsigned allowed,
                        const std::string& subject) const {
  for (const TargetKind kind : kTargetKinds) {
    if ((allowed & kind) != 0 && names(kind, target)) return;
  }
  for (const TargetKind kind : kTargetKinds) {
    if (names(kind, target)) {
      throw InputError(where, fmt::format("{} targets {}, not {} {} ({})", subject,
                                          describe_kinds(allowed), kind_name(kind), target,
                                          alternatives(allowed)));
    }
  }
  throw InputError(where, fmt::format("target {} is not in topology {} ({})",
                                      target.empty() ? "\"\"" : target, topology_.name,
                                      alternatives(allowed)));
}

bool TargetNames::names(TargetKind kind, std::string_view target) const {
  switch (kind) {
    case kServer: {
      const auto slash = target.find('/');
      return slash != std::string_view::npos &&
             topology_.find_server(target.substr(0, slash), target.substr(slash + 1)) !=
                 nullptr;
    }
    case kInstance: {
      const auto index = instance_index(target);
      return index && *index < topology_.haproxy.instances;
    }
    case kBackend: return topology_.find_backend(target) != nullptr;
  }
  return false;
}

// "a server or an haproxy instance"
std::string TargetNames::describe_kinds(unsigned kinds) {
  std::vector<std::string> parts;
  if ((kinds & kServer) != 0) parts.emplace_back("server");
  if ((kinds & kInstance) != 0) parts.emplace_back("haproxy instance");
  if ((kinds & kBackend) != 0) parts.emplace_back("backend");
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += " or ";
    out += parts[i].front() == 'h' ? "an " : "a ";
    out += parts[i];
  }
  return out;
}

// "servers: app/web1, app/web2; haproxy instances: lb0"
std::string TargetNames::alternatives(unsigned kinds) const {
  std::vector<std::string> parts;
  if ((kinds & kServer) != 0) {
    std::vector<std::string> servers;
    for (const auto& backend : topology_.backends) {
      for (const auto& server : backend.servers) {
        servers.push_back(topology::server_key(backend.name, server.name));
      }
    }
    parts.push_back("servers: " + join(servers));
  }
  if ((kinds & kInstance) != 0) {
    std::vector<std::string> instances;
    for (int i = 0; i < topology_.haproxy.instances; ++i) {
      instances.push_back(fmt::format("lb{}", i));
    }
    parts.push_back("haproxy instances: " + join(instances));
  }
  if ((kinds & kBackend) != 0) {
    std::vector<std::string> backends;
    for (const auto& backend : topology_.backends) backends.push_back(backend.name);
    parts.push_back("backends: " + join(backends));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string TargetNames::example_server() const {
  for (const auto& backend : topology_.backends) {
    if (!backend.servers.empty()) {
      return topology::server_key(backend.name, backend.servers.front().name);
    }
  }
  return "app/web1";
}

}  // namespace lbchaos::scenario

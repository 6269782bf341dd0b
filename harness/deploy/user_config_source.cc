#include "harness/deploy/user_config_source.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/errors.h"

namespace lbchaos::deploy {
namespace {

topology::ScanSettings scan_settings(const topology::Topology& topology) {
  return {topology.haproxy.binary, topology.haproxy.env, topology.haproxy.files};
}

// Personas that answer a protocol check by themselves.
bool is_protocol_persona(const std::string& kind) {
  return kind == "redis" || kind == "mysql" || kind == "pgsql" || kind == "smtp" ||
         kind == "ldap";
}

}  // namespace

UserConfigSource::UserConfigSource(const topology::Topology& topology)
    : topology_(topology),
      config_(topology::scan_user_config(*topology.haproxy.config, scan_settings(topology))) {
  for (const auto& backend : topology_.backends) {
    for (const auto& server : backend.servers) {
      const bool present = std::any_of(config_.servers.begin(), config_.servers.end(),
                                       [&](const topology::UserServer& s) {
                                         return s.backend == backend.name && s.name == server.name;
                                       });
      if (!present) {
        throw InputError(server.where,
                         fmt::format("server {}/{} is not in your haproxy config {}",
                                     backend.name, server.name, config_.file.string()));
      }
    }
  }
}

std::vector<ServerNodeSpec> UserConfigSource::server_nodes() const {
  std::vector<ServerNodeSpec> nodes;
  for (const auto& server : config_.servers) {
    ServerNodeSpec spec;
    spec.backend = server.backend;
    spec.server = server.name;
    spec.working_dir = topology_.file.parent_path();
    if (const auto* described = topology_.find_server(server.backend, server.name)) {
      spec.settings = *described;
    } else {
      spec.settings.name = server.name;  // a default built-in backend
    }
    const auto* topology_backend = topology_.find_backend(server.backend);
    const auto* backend = config_.find_backend(server.backend);
    if (backend != nullptr && backend->check_path) spec.health_path = *backend->check_path;

    // What the health checks expect: the topology's description, else what the config says.
    std::optional<topology::HealthAnswer> health = spec.settings.health;
    if (!health && topology_backend != nullptr) health = topology_backend->health;
    if (health) {
      if (health->path) spec.health_path = *health->path;
      spec.health_status = health->status;
      if (health->body) spec.health_body = *health->body;
    } else if (backend != nullptr && backend->expects.kind == "http") {
      if (backend->expects.http_status) spec.health_status = *backend->expects.http_status;
      if (backend->expects.http_body) spec.health_body = *backend->expects.http_body;
    }
    std::string protocol = spec.settings.protocol;
    if (protocol.empty() && topology_backend != nullptr) protocol = topology_backend->protocol;
    if (protocol.empty() && backend != nullptr) {
      const auto& kind = backend->expects.kind;
      if (is_protocol_persona(kind)) protocol = kind;
      else if (kind == "tcp" && !backend->expects.tcp_script.empty()) protocol = "tcp";
    }
    spec.protocol = protocol.empty() ? "http" : protocol;
    if (spec.protocol == "tcp" && backend != nullptr) {
      spec.tcp_script = backend->expects.tcp_script;
    }
    nodes.push_back(std::move(spec));
  }
  return nodes;
}

std::vector<BindRequest> UserConfigSource::binds(int /*instance*/) const {
  std::vector<BindRequest> binds;
  for (const auto& bind : config_.binds) binds.push_back(BindRequest{bind.key, "127.0.0.1", 0});
  return binds;
}

std::string UserConfigSource::config_for(const topology::InstanceEndpoints& instance,
                                         const topology::ServerTargets& targets,
                                         const std::filesystem::path& written) {
  auto rewritten = topology::rewrite_user_config(config_, instance, targets);
  line_maps_[written] = std::move(rewritten.line_map);
  return std::move(rewritten.text);
}

std::string UserConfigSource::explain_rejection(const std::string& haproxy_output,
                                                const std::filesystem::path& written) const {
  const auto it = line_maps_.find(written);
  const std::string translated =
      it == line_maps_.end()
          ? haproxy_output
          : topology::translate_haproxy_message(haproxy_output, written, config_.file, it->second);
  std::string hint;
  for (const std::string_view missing : {"No such file", "error opening", "unable to load",
                                         "failed to open", "Can't open", "cannot open"}) {
    if (translated.find(missing) != std::string::npos) {
      hint = "\nA file your config names is not on this machine: map its production folder to a "
             "local one in the topology, e.g. [haproxy] files = { "
             "\"/usr/local/etc/haproxy/errors\" = \"errors\" }";
      break;
    }
  }
  return fmt::format("{}: haproxy rejected this configuration:\n{}{}", config_.file.string(),
                     translated, hint);
}

std::string UserConfigSource::readiness_hint(const std::set<std::string>& down) const {
  std::set<std::string> backends;
  for (const auto& key : down) backends.insert(key.substr(0, key.find('/')));
  std::string text;
  for (const auto& name : backends) {
    const auto* backend = config_.find_backend(name);
    if (backend == nullptr || backend->expects.described_at.empty()) continue;
    text += fmt::format(
        "\n  backend {} is checked by {}: describe what its servers answer in the topology, "
        "under [[backend]] name = \"{}\": health = {{ path = \"/ping\", status = 200, body = "
        "\"pong\" }} for an HTTP check, protocol = \"tcp\" | \"redis\" | \"mysql\" | \"pgsql\" "
        "| \"smtp\" | \"ldap\" for a TCP check, or run the real server with a "
        "[[backend.server]] command",
        name, backend->expects.described_at, name);
  }
  return text;
}

std::filesystem::path UserConfigSource::working_dir() const {
  return config_.file.parent_path();
}

}  // namespace lbchaos::deploy

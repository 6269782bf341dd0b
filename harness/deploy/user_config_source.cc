#include "harness/deploy/user_config_source.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/errors.h"

namespace lbchaos::deploy {

UserConfigSource::UserConfigSource(const topology::Topology& topology)
    : topology_(topology), config_(topology::scan_user_config(*topology.haproxy.config)) {
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
    ServerNodeSpec spec{server.backend, server.name, {}, "/health", topology_.file.parent_path()};
    if (const auto* described = topology_.find_server(server.backend, server.name)) {
      spec.settings = *described;
    } else {
      spec.settings.name = server.name;  // a default built-in backend
    }
    if (const auto* backend = config_.find_backend(server.backend);
        backend != nullptr && backend->check_path) {
      spec.health_path = *backend->check_path;
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
  return fmt::format("{}: haproxy rejected this configuration:\n{}", config_.file.string(),
                     translated);
}

std::filesystem::path UserConfigSource::working_dir() const {
  return config_.file.parent_path();
}

}  // namespace lbchaos::deploy

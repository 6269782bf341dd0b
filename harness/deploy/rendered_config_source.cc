#include "harness/deploy/rendered_config_source.h"

#include <fmt/format.h>

#include "harness/topology/haproxy_render.h"

namespace lbchaos::deploy {

std::vector<ServerNodeSpec> RenderedConfigSource::server_nodes() const {
  std::vector<ServerNodeSpec> nodes;
  for (const auto& backend : topology_.backends) {
    for (const auto& server : backend.servers) {
      ServerNodeSpec spec;
      spec.backend = backend.name;
      spec.server = server.name;
      spec.settings = server;
      spec.health_path = backend.check.path;
      spec.working_dir = working_dir();
      nodes.push_back(std::move(spec));
    }
  }
  return nodes;
}

std::vector<BindRequest> RenderedConfigSource::binds(int instance) const {
  std::vector<BindRequest> binds;
  for (const auto& frontend : topology_.frontends) {
    // A fixed port can only be bound by one instance; the others get ephemeral ports.
    binds.push_back(BindRequest{frontend.name, frontend.address, instance == 0 ? frontend.port : 0});
  }
  return binds;
}

std::string RenderedConfigSource::config_for(const topology::InstanceEndpoints& instance,
                                             const topology::ServerTargets& targets,
                                             const std::filesystem::path& /*written*/) {
  return topology::render_haproxy_config(topology_, instance, targets);
}

std::string RenderedConfigSource::explain_rejection(const std::string& haproxy_output,
                                                    const std::filesystem::path& written) const {
  return fmt::format("{}: haproxy rejected the configuration rendered from it ({}):\n{}",
                     topology_.file.string(), written.string(), haproxy_output);
}

std::filesystem::path RenderedConfigSource::working_dir() const {
  return topology_.file.parent_path();
}

}  // namespace lbchaos::deploy

#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/deploy/haproxy_instance.h"
#include "harness/deploy/server_node.h"
#include "harness/topology/endpoints.h"
#include "harness/topology/model.h"

namespace lbchaos::deploy {

// Where a run's haproxy.cfg comes from: rendered from the topology, or the user's own file
// rewritten to point at the harness's nodes. Either way it says which server nodes to start
// and which frontend binds to give each instance.
class ConfigSource {
 public:
  virtual ~ConfigSource() = default;

  [[nodiscard]] virtual std::vector<ServerNodeSpec> server_nodes() const = 0;
  [[nodiscard]] virtual std::vector<BindRequest> binds(int instance) const = 0;
  // The haproxy.cfg text for one instance, to be written at `written`.
  [[nodiscard]] virtual std::string config_for(const topology::InstanceEndpoints& instance,
                                               const topology::ServerTargets& targets,
                                               const std::filesystem::path& written) = 0;
  // haproxy -c refused the config written at `written`: say why, in the user's terms.
  [[nodiscard]] virtual std::string explain_rejection(const std::string& haproxy_output,
                                                      const std::filesystem::path& written) const = 0;
  // haproxy runs here (relative paths in a user's config resolve as they would for them).
  [[nodiscard]] virtual std::filesystem::path working_dir() const = 0;
  [[nodiscard]] virtual std::vector<std::string> warnings() const { return {}; }
  // Servers ("backend/server") stayed DOWN at start-up: what their health checks expect and
  // what the topology could say to answer them ("" when there is nothing to add).
  // Servers ("backend/server") the config starts in maintenance (`disabled`): not waited for.
  [[nodiscard]] virtual std::set<std::string> disabled_servers() const { return {}; }
  [[nodiscard]] virtual std::string readiness_hint(const std::set<std::string>& /*down*/) const {
    return {};
  }

  // Reads (and for a user config, scans) what the topology points at. Throws InputError.
  static std::unique_ptr<ConfigSource> for_topology(const topology::Topology& topology);
};

}  // namespace lbchaos::deploy

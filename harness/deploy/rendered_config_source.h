#pragma once

#include "harness/deploy/config_source.h"

namespace lbchaos::deploy {

// haproxy.cfg rendered from the topology file.
class RenderedConfigSource : public ConfigSource {
 public:
  explicit RenderedConfigSource(const topology::Topology& topology) : topology_(topology) {}

  [[nodiscard]] std::vector<ServerNodeSpec> server_nodes() const override;
  [[nodiscard]] std::vector<BindRequest> binds(int instance) const override;
  [[nodiscard]] std::string config_for(const topology::InstanceEndpoints& instance,
                                       const topology::ServerTargets& targets,
                                       const std::filesystem::path& written) override;
  [[nodiscard]] std::string explain_rejection(const std::string& haproxy_output,
                                              const std::filesystem::path& written) const override;
  [[nodiscard]] std::filesystem::path working_dir() const override;

 private:
  const topology::Topology& topology_;
};

}  // namespace lbchaos::deploy

#pragma once

#include <map>

#include "harness/deploy/config_source.h"
#include "harness/topology/haproxy_rewrite.h"

namespace lbchaos::deploy {

// The user's own haproxy.cfg, rewritten per run (the file itself is never written to). Every
// `server` in it gets a harness node: as the topology describes it, or a default built-in
// backend when the topology does not mention it.
class UserConfigSource : public ConfigSource {
 public:
  // Throws InputError when the file is unreadable or the topology describes a server that the
  // file does not have.
  explicit UserConfigSource(const topology::Topology& topology);

  [[nodiscard]] std::vector<ServerNodeSpec> server_nodes() const override;
  [[nodiscard]] std::vector<BindRequest> binds(int instance) const override;
  [[nodiscard]] std::string config_for(const topology::InstanceEndpoints& instance,
                                       const topology::ServerTargets& targets,
                                       const std::filesystem::path& written) override;
  [[nodiscard]] std::string explain_rejection(const std::string& haproxy_output,
                                              const std::filesystem::path& written) const override;
  [[nodiscard]] std::filesystem::path working_dir() const override;
  [[nodiscard]] std::vector<std::string> warnings() const override { return config_.warnings; }
  [[nodiscard]] std::string readiness_hint(const std::set<std::string>& down) const override;
  [[nodiscard]] std::set<std::string> disabled_servers() const override {
    std::set<std::string> keys;
    for (const auto& server : config_.servers) {
      if (server.disabled) keys.insert(server.key());
    }
    return keys;
  }

 private:
  const topology::Topology& topology_;
  topology::UserConfig config_;
  std::map<std::filesystem::path, std::vector<int>> line_maps_;  // per written config file
};

}  // namespace lbchaos::deploy

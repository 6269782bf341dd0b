#include "harness/deploy/config_source.h"

#include "harness/deploy/rendered_config_source.h"
#include "harness/deploy/user_config_source.h"

namespace lbchaos::deploy {

std::unique_ptr<ConfigSource> ConfigSource::for_topology(const topology::Topology& topology) {
  if (topology.uses_user_config()) return std::make_unique<UserConfigSource>(topology);
  return std::make_unique<RenderedConfigSource>(topology);
}

}  // namespace lbchaos::deploy

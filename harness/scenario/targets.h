#pragma once

#include <string>
#include <string_view>

#include "harness/common/errors.h"
#include "harness/model/model.h"
#include "harness/topology/model.h"

// What the `target` of a [[fault]] or an [[expect]] may name in one topology (model.h
// TargetKind), and the messages that say what it could have named instead.
namespace lbchaos::scenario {

class TargetNames {
 public:
  explicit TargetNames(const topology::Topology& topology) : topology_(topology) {}

  // Throws InputError at `where` unless `target` names something of an `allowed` kind:
  // "action kill targets a server, not haproxy instance lb0 (servers: app/web1, app/web2)".
  void check(const SourcePosition& where, const std::string& target, unsigned allowed,
             const std::string& subject) const;
  [[nodiscard]] bool names(TargetKind kind, std::string_view target) const;
  // "servers: app/web1, app/web2; haproxy instances: lb0"
  [[nodiscard]] std::string alternatives(unsigned kinds) const;
  // "a server or an haproxy instance"
  [[nodiscard]] static std::string describe_kinds(unsigned kinds);
  // The first server of the topology ("app/web1" when it has none), for examples.
  [[nodiscard]] std::string example_server() const;

 private:
  const topology::Topology& topology_;
};

}  // namespace lbchaos::scenario

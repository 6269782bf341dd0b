#pragma once

#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faults/catalogue.h"
#include "faults/fault.h"

namespace lbchaos::deploy {
class HaproxyInstance;
}

// The runtime API family — set_weight, drain, maint and health_down: one server's weight or state changed through the
// admin stats socket of every haproxy instance, and changed back exactly at heal.
//
// What "exact undo" means here: before injecting, each instance's state of the server is read
// (`get weight`, `show servers state`) and heal puts back what was read, not a default:
// - set_weight: `set weight be/s <the absolute weight read before>` (a percentage would apply
//   to the initial weight, which is not always what was there).
// - drain, maint: `set server be/s state ready|drain|maint` as it was before. haproxy keeps
//   forced drain and forced maintenance mutually exclusive (setting one clears the other) and
//   `ready` clears both, so healing a maint on a server that was draining puts it back to drain.
// - health_down: `set server be/s health up|stopping|down` as it was before. With health checks
//   on, haproxy's own checks keep deciding during the fault: `rise` passing checks bring the
//   server back UP before the heal, which is what haproxy does to an operator's forced DOWN.
// An instance restarted since the injection (another pid) already runs its config again and
// is left alone.
namespace lbchaos::faults {

extern const Family kRuntimeApiFamily;

// haproxy's limits for `set weight` (the one set of bounds for set_weight's `weight`): an
// absolute weight is 0..256; a percentage of the initial weight may exceed 100% (the result is
// capped at 256), and haproxy clamps it at 25600%.
inline constexpr int kMaxAbsoluteWeight = 256;
inline constexpr int kMaxWeightPercent = 25600;

// One server as `show servers state <backend>` describes it (haproxy 2.6 columns).
struct ServerRuntimeState {
  int op_state = 0;        // srv_op_state: 0 stopped (DOWN), 1 starting, 2 running, 3 stopping
  int admin_state = 0;     // srv_admin_state bits, see kAdmin* below
  int weight = 0;          // srv_uweight: the current weight, what `set weight` changes
  int initial_weight = 0;  // srv_iweight: from the config
  int check_state = 0;     // srv_check_state bits (0x04: health checks enabled)
};

inline constexpr int kAdminForcedMaint = 0x01;
inline constexpr int kAdminForcedDrain = 0x08;
inline constexpr int kCheckEnabled = 0x04;

// The row of `server` in a `show servers state <backend>` reply, columns found by the header's
// names; nullopt when the reply has no such row (or no header).
[[nodiscard]] std::optional<ServerRuntimeState> parse_servers_state(std::string_view reply,
                                                                    std::string_view server);

// "50 (initial 100)" (the reply to `get weight`) -> {50, 100}.
struct WeightReading {
  int current = 0;
  int initial = 0;
};
[[nodiscard]] std::optional<WeightReading> parse_get_weight(std::string_view reply);

class RuntimeApiFault : public Fault {
 public:
  enum class Kind { kSetWeight, kDrain, kMaint, kHealthDown };

  // `weight` is set_weight's parameter as the catalogue read it ("50%" or "10", within the
  // bounds above); empty for the others.
  RuntimeApiFault(Kind kind, std::string backend, std::string server, std::string weight,
                  std::vector<deploy::HaproxyInstance*> instances);

  boost::asio::awaitable<std::string> inject() override;
  boost::asio::awaitable<std::string> heal() override;

 private:
  // What one instance said before the fault; heal restores it.
  struct Applied {
    deploy::HaproxyInstance* instance = nullptr;
    pid_t pid = -1;
    ServerRuntimeState before;
  };

  [[nodiscard]] std::string key() const { return backend_ + "/" + server_; }
  [[nodiscard]] std::string inject_command() const;
  [[nodiscard]] std::string restore_command(const ServerRuntimeState& before) const;
  boost::asio::awaitable<ServerRuntimeState> read_state(deploy::HaproxyInstance& instance) const;
  boost::asio::awaitable<std::string> inject_into(deploy::HaproxyInstance& instance);
  boost::asio::awaitable<std::string> heal_one(const Applied& applied) const;

  Kind kind_;
  std::string backend_;
  std::string server_;
  std::string weight_;
  std::vector<deploy::HaproxyInstance*> instances_;
  std::vector<Applied> applied_;
};

}  // namespace lbchaos::faults

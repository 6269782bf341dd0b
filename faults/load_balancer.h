#pragma once

#include <string>
#include <vector>

#include "faults/catalogue.h"
#include "faults/config_corruption.h"
#include "faults/fault.h"
#include "harness/deploy/deployment.h"
#include "harness/model/run_events.h"

// The load balancer family — faults on an haproxy instance: losing it (lb_kill), the seed-000
// runbook that brings it back (lb_restore), and a bad config applied by reload or restart
// (config_corrupt, seed 001; the edits are config_corruption.h, the fault config_corrupt.cc).
namespace lbchaos::faults {

extern const Family kLoadBalancerFamily;

// config_corrupt's action name, parameters and how a config is applied, for code that builds
// the fault itself (the catalogue declares the action with these).
inline constexpr std::string_view kConfigCorruptAction = "config_corrupt";
inline constexpr std::string_view kModeParam = "mode";
inline constexpr std::string_view kApplyParam = "apply";
inline constexpr std::string_view kApplyByReload = "reload";
inline constexpr std::string_view kApplyByRestart = "restart";

// A fault that reloads haproxy reports every attempt, for the reload_rejected probe. The
// runner hands it the run's list of reloads after make_fault().
class ReloadRecorder {
 public:
  virtual ~ReloadRecorder() = default;
  virtual void record_reloads_in(std::vector<scenario::ReloadEvent>& reloads) = 0;
};

// lb_kill: SIGKILL to the instance's process group (master and workers), as a lost host.
// Healed as lb_restore does, unless an lb_restore has brought it back already.
class LbKillFault : public Fault {
 public:
  LbKillFault(deploy::Deployment& deployment, deploy::HaproxyInstance& instance);

  boost::asio::awaitable<std::string> inject() override;
  boost::asio::awaitable<std::string> heal() override;

 private:
  deploy::Deployment& deployment_;
  deploy::HaproxyInstance& instance_;
  std::string saved_config_;  // the config the instance was started with
};

// lb_restore: start haproxy again from the config saved at start-up and wait until it serves
// (frontends accept, servers UP). Nothing to undo.
class LbRestoreFault : public Fault {
 public:
  LbRestoreFault(deploy::Deployment& deployment, deploy::HaproxyInstance& instance);

  boost::asio::awaitable<std::string> inject() override;
  boost::asio::awaitable<std::string> heal() override;

 private:
  deploy::Deployment& deployment_;
  deploy::HaproxyInstance& instance_;
  std::string saved_config_;
};

// config_corrupt: the instance's config replaced by a corrupted copy (written next to it in
// the run directory; the good one is kept aside), then applied by `reload` (master CLI: a
// refused config must leave the old worker serving) or by `restart` (a refused config means
// haproxy does not start: the seed-001 outage). Healed by putting the good config back.
class ConfigCorruptFault : public Fault, public ReloadRecorder {
 public:
  enum class Apply { kReload, kRestart };

  // Throws std::invalid_argument when the config has nothing this mode can corrupt.
  ConfigCorruptFault(deploy::Deployment& deployment, deploy::HaproxyInstance& instance,
                     const std::string& mode, Apply apply);

  boost::asio::awaitable<std::string> inject() override;
  boost::asio::awaitable<std::string> heal() override;
  void record_reloads_in(std::vector<scenario::ReloadEvent>& reloads) override {
    reloads_ = &reloads;
  }

 private:
  boost::asio::awaitable<std::string> inject_by_reload();
  boost::asio::awaitable<std::string> inject_by_restart();
  void install(const std::string& text) const;

  deploy::Deployment& deployment_;
  deploy::HaproxyInstance& instance_;
  std::string mode_;
  Apply apply_;
  std::string good_config_;
  Corruption corruption_;
  std::vector<scenario::ReloadEvent>* reloads_ = nullptr;
  bool refused_ = false;  // haproxy would not take the corrupted config
};

}  // namespace lbchaos::faults

#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "harness/common/clock.h"
#include "harness/deploy/deployment.h"

// What an operator does to one haproxy instance during an LB fault: start it from its config
// and wait until it serves, or reload it through the master CLI and learn whether the new
// config was taken. Internal to the LB fault family.
namespace lbchaos::faults {

// Where haproxy runs (relative paths in a user's config resolve as they would for them).
[[nodiscard]] std::filesystem::path haproxy_working_dir(const topology::Topology& topology);

// Starts the instance from the config at its config_path() and waits until it serves: every
// frontend accepts and every server whose node is running is UP. Returns "pid N, serving after
// 0.31s". Throws EnvironmentError (with haproxy's log) when it does not, within ready_timeout.
boost::asio::awaitable<std::string> start_serving(deploy::Deployment& deployment,
                                                  deploy::HaproxyInstance& instance);

// Waits until an instance that is running serves (as start_serving). Throws EnvironmentError.
boost::asio::awaitable<void> wait_serving(deploy::Deployment& deployment,
                                          deploy::HaproxyInstance& instance, MonoTime deadline);

// What became of one `reload` on the master CLI.
struct ReloadOutcome {
  MonoTime requested{};
  bool accepted = false;         // a new worker runs the new config
  bool old_worker_kept = false;  // refused, and the previous worker still serves
  std::string detail;            // "refused (failed reloads: 1); worker 1234 still serves: ..."
};

// Sends `reload` and reads `show proc` until the master has finished it (haproxy 2.6 answers
// nothing to `reload`: the reload counter grows, with a new worker or with [failed: N]).
// Throws EnvironmentError when the master does not finish within `timeout`.
boost::asio::awaitable<ReloadOutcome> reload_and_observe(deploy::HaproxyInstance& instance,
                                                         std::chrono::nanoseconds timeout);

// The text of an instance's config file. Throws EnvironmentError.
[[nodiscard]] std::string read_config(const std::filesystem::path& path);

// haproxy's [ALERT] lines written to its log after byte `offset` (why it refused a config).
[[nodiscard]] std::string alerts_since(const std::filesystem::path& log, std::uintmax_t offset);
[[nodiscard]] std::uintmax_t file_size_or_zero(const std::filesystem::path& file);

}  // namespace lbchaos::faults

#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/observe/server_stats.h"
#include "harness/topology/endpoints.h"

// Readiness is observed, never slept for: these poll what a user would check (a TCP accept,
// haproxy's own stats) until it holds or a real-time deadline passes.
namespace lbchaos::observe {

// Returns false when it gives up: the deadline passed, or `give_up()` said so (the node died,
// the user pressed Ctrl-C).
boost::asio::awaitable<bool> wait_until_accepting(const topology::Endpoint& endpoint,
                                                  MonoTime deadline,
                                                  std::function<bool()> give_up);

struct ReadinessReport {
  bool ready = false;
  std::vector<ServerStat> servers;  // the last `show stat` seen
  std::string error;                // the last stats-socket error, if it never answered

  // Every expected server that is not UP, with haproxy's check status, for the user.
  [[nodiscard]] std::string describe_not_ready(const std::set<std::string>& expected) const;
};

// Polls `show stat` on the admin socket until every server in `expected` ("backend/server") is
// UP with a completed health check (haproxy starts servers UP before their first check).
boost::asio::awaitable<ReadinessReport> wait_servers_up(const std::filesystem::path& stats_socket,
                                                        const std::set<std::string>& expected,
                                                        MonoTime deadline,
                                                        std::function<bool()> give_up);

}  // namespace lbchaos::observe

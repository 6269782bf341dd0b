#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <optional>

#include "harness/model/model.h"
#include "harness/topology/model.h"

// Everything `lbchaos check` verifies, without starting a node: the topology renders and haproxy
// accepts the result (`haproxy -c`), the alert rules load (TOML, or `promtool check rules`), and
// every fault of a scenario — `random` draws included — can apply to its target. `lbchaos run`
// checks every scenario this way before it runs the first, so invalid input is exit 2 with
// nothing started.
namespace lbchaos::scenario {

// Throws InputError (file:line:col where known) for invalid input, EnvironmentError when a tool
// (haproxy, promtool) cannot be run. Works in a run directory that it removes.
boost::asio::awaitable<void> preflight(boost::asio::io_context& io, topology::Topology topology,
                                       const Scenario* scenario = nullptr,
                                       std::optional<std::uint64_t> seed = std::nullopt);

}  // namespace lbchaos::scenario

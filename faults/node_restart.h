#pragma once

#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <string>

#include "harness/deploy/server_node.h"

// Shared by the fault families that end a node (kill, terminate, overload with crash).
namespace lbchaos::faults {

// Starts `node` again and waits until it accepts connections; returns a sentence for the
// journal. Throws EnvironmentError, with the end of the node's log, when it does not listen.
boost::asio::awaitable<std::string> start_node_again(deploy::ServerNode& node,
                                                     boost::asio::io_context& io);

}  // namespace lbchaos::faults

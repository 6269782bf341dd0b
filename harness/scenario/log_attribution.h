#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <cstddef>

namespace lbchaos::deploy {
class Deployment;
}
namespace lbchaos::traffic {
class LoadGenerator;
}

// After traffic: the records whose response named no server (command backends send no
// X-Lbchaos-Server) get the server that haproxy's log line for their request id names
// (harness/common/request_id.h). UDP syslog can drop lines under load: a record whose line never
// arrived keeps no server, and the probes say how many there are.
namespace lbchaos::scenario {

struct LogAttribution {
  std::size_t unnamed = 0;     // responses that named no server when traffic ended
  std::size_t attributed = 0;  // of those, named by haproxy's log
  std::size_t no_line = 0;     // of those, whose log line never arrived
  // The rest had a line saying no server answered: haproxy made the response itself.
};

// Waits, while haproxy still runs, until every unnamed response has its log line, no request
// line has arrived for a short quiet period (the rest were lost), or an upper bound passes;
// then attributes. Does nothing when either argument is null (the run never got to traffic).
boost::asio::awaitable<LogAttribution> attribute_servers_from_logs(
    deploy::Deployment* deployment, traffic::LoadGenerator* generator);

}  // namespace lbchaos::scenario

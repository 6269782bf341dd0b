#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/topology/endpoints.h"
#include "harness/topology/model.h"

// haproxy.cfg for a topology without a user config, rendered from the model, and the pieces
// every config the harness runs carries (also used by haproxy_rewrite.h): the admin stats
// socket, syslog to the harness, the log tag, the request id in each traffic log line and the
// Prometheus exporter.
//
// haproxy is run by the harness in the foreground in master-worker mode (-W -db -S <master
// socket>), so no config carries daemon, chroot, user/group or pidfile.
namespace lbchaos::topology {

// The whole haproxy.cfg of one instance. Throws std::logic_error when `endpoints` has no bind
// for a frontend or `targets` has no address for a server: the harness chooses them all first.
[[nodiscard]] std::string render_haproxy_config(const Topology& topology,
                                                const InstanceEndpoints& endpoints,
                                                const ServerTargets& targets);

// A server's haproxy weight: its explicit weight, else round(capacity * 100) clamped to
// 1..256, so capacities 1, 1, 2 give 100, 100, 200.
[[nodiscard]] int haproxy_weight(const Server& server);

// "lbchaos-lb0": the syslog tag of instance `index`.
[[nodiscard]] std::string instance_log_tag(int index);

// Lines for a `global` section (indented, without the "global" line itself): admin stats
// socket (mode 600, level admin, expose-fd listeners for seamless reloads), stats timeout,
// syslog over UDP to the harness (RFC 5424, so that traffic lines can carry the harness's
// structured data), the log tag, and `no strict-limits` (a file descriptor limit
// below what maxconn needs is a warning, not a refusal to start).
[[nodiscard]] std::vector<std::string> harness_global_lines(const InstanceEndpoints& endpoints);

// Lines (indented) for a frontend or listen section in HTTP mode: the generator's request id
// (the X-Lbchaos-Request header) goes into a transaction variable, and the RFC 5424 structured
// data of each traffic log line carries it with the backend/server that served the request and
// the server's response time (harness/common/request_id.h). The message part of the line stays
// what the config's own log format makes it.
[[nodiscard]] std::vector<std::string> request_log_lines(std::string_view indent);

// The Prometheus exporter on `metrics` (/metrics, anything else 404, not logged), preceded by a
// defaults section of its own so that it is mode http whatever the defaults above it say.
// Must come after every other proxy: a later proxy would inherit that defaults section.
[[nodiscard]] std::vector<std::string> metrics_frontend_lines(const Endpoint& metrics);

// `text` as one word of an haproxy config: as is, or quoted when it contains blanks, quotes,
// '#' or '\'. Throws std::logic_error for '$', which haproxy expands even inside quotes.
[[nodiscard]] std::string haproxy_word(std::string_view text);

}  // namespace lbchaos::topology

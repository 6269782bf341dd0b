#pragma once

#include <string_view>

// How a request of the traffic generator is found again in haproxy's log: the generator sends
// its sequence number in a header, every haproxy config the harness runs copies it into a
// transaction variable and logs it, with the backend/server that served the request, as RFC 5424
// structured data of the traffic log line:
//
//   <134>1 2026-11-30T10:19:39.923483+00:00 - lbchaos-lb0 9578 - [lbchaos@32473 req="41"
//   srv="app/web1" tr="1"] 127.0.0.1:45316 [30/Nov/2026:10:19:39.921] www app/web1 ...
//
// (32473 is the enterprise number RFC 5612 reserves for documentation and private use.)
namespace lbchaos {

inline constexpr std::string_view kRequestIdHeader = "X-Lbchaos-Request";
inline constexpr std::string_view kRequestLogSdId = "lbchaos@32473";

}  // namespace lbchaos

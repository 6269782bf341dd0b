#pragma once

#include <boost/asio/ip/address_v4.hpp>
#include <vector>

namespace lbchaos::traffic {

// `count` distinct loopback source addresses, one per simulated client: 127.0.0.2, 127.0.0.3,
// ... 127.0.0.254, 127.0.1.1, ... (host parts .0 and .255 skipped). Every one of them reaches
// the loopback interface without configuration, so `balance source` sees `count` clients.
// Throws std::invalid_argument when count is not within 1..kMaxClients.
[[nodiscard]] std::vector<boost::asio::ip::address_v4> client_addresses(int count);

inline constexpr int kMaxClients = 65535;

}  // namespace lbchaos::traffic

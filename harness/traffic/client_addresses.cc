#include "harness/traffic/client_addresses.h"

#include <stdexcept>
#include <string>

namespace lbchaos::traffic {

std::vector<boost::asio::ip::address_v4> client_addresses(int count) {
  if (count < 1 || count > kMaxClients) {
    throw std::invalid_argument("clients must be within 1.." + std::to_string(kMaxClients) +
                                ", got " + std::to_string(count));
  }
  std::vector<boost::asio::ip::address_v4> addresses;
  addresses.reserve(static_cast<std::size_t>(count));
  for (std::uint32_t address = 0x7f000002; addresses.size() < addresses.capacity(); ++address) {
    const auto host = address & 0xff;
    if (host != 0 && host != 0xff) addresses.emplace_back(address);
  }
  return addresses;
}

}  // namespace lbchaos::traffic

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// The answer to one line of TCP traffic ([traffic] protocol = "tcp"): complete once `expect`
// has arrived (anywhere in it), or, with no `expect`, at the first newline. Bytes after the
// end mean the peer sent more than was asked for: the connection is not reused.
namespace lbchaos::traffic {

class TcpAnswer {
 public:
  enum class Result : std::uint8_t { kIncomplete, kComplete, kError };

  // The longest answer read before the exchange counts as a protocol error.
  static constexpr std::size_t kMaxAnswer = 64 * 1024;

  void reset();
  // Takes in `data`; `*consumed` is how much of it belongs to this answer.
  Result feed(std::string_view data, std::string_view expect, std::size_t* consumed);
  [[nodiscard]] bool started() const { return received_ > 0; }
  [[nodiscard]] std::size_t received() const { return received_; }

 private:
  std::string tail_;  // the last bytes, for an `expect` split across reads
  std::size_t received_ = 0;
};

}  // namespace lbchaos::traffic

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// One record per request the traffic generator intended to send (sent or not), stamped on the
// run's monotonic clock (harness/common/clock.h, nanoseconds). Fixed size and small: 1k req/s
// for 60 s is ~2.4 MB.
namespace lbchaos::traffic {

enum class ErrorClass : std::uint8_t {
  kNone = 0,     // a response arrived (check `status` for 5xx/4xx)
  kRefused,      // connection refused (nothing listening: LB down)
  kReset,        // connection reset / closed before a complete response
  kTimeout,      // no complete response within the request timeout
  kDropped,      // never sent: the connection pool was at its cap (open loop never waits)
  kProtocol,     // unparseable response
  kOther,
};

[[nodiscard]] std::string_view to_string(ErrorClass error);

inline constexpr std::uint16_t kUnknownServer = 0xffff;

struct RequestRecord {
  std::int64_t intended_ns = 0;  // when the open-loop schedule wanted it sent
  std::int64_t sent_ns = 0;      // when it was written (0: never sent)
  std::int64_t done_ns = 0;      // response complete or failure detected (0: never sent)
  std::uint32_t seq = 0;
  std::uint16_t status = 0;      // HTTP status, 0 when no response
  std::uint16_t server = kUnknownServer;  // index in ServerTable (from X-Lbchaos-Server)
  std::uint32_t connection = 0;  // generator connection id
  ErrorClass error = ErrorClass::kNone;
  std::uint8_t instance = 0;     // haproxy instance the request went to
  std::uint16_t request = 0;     // index of its template in the request mix

  // Succeeded from the user's point of view: a response that is not 5xx (TCP traffic: an
  // answer, status 0).
  [[nodiscard]] bool ok() const { return error == ErrorClass::kNone && status < 500; }
  [[nodiscard]] bool failed() const { return !ok(); }
  // Latency corrected for coordinated omission: from the intended send time.
  [[nodiscard]] std::int64_t latency_ns() const { return done_ns - intended_ns; }
  // Latency from the actual send (what a closed-loop tool would report).
  [[nodiscard]] std::int64_t raw_latency_ns() const { return done_ns - sent_ns; }
};

// "backend/server" names <-> the small ids stored in records.
class ServerTable {
 public:
  // The id of `key`, adding it when new.
  std::uint16_t id_of(std::string_view key);
  [[nodiscard]] const std::string& name(std::uint16_t id) const { return names_.at(id); }
  [[nodiscard]] std::size_t size() const { return names_.size(); }
  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

}  // namespace lbchaos::traffic

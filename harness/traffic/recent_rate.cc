#include "harness/traffic/recent_rate.h"

#include <algorithm>

namespace lbchaos::traffic {

double recent_send_rate(const std::vector<RequestRecord>& records, std::int64_t now_ns,
                        std::int64_t start_ns, Duration window) {
  const std::int64_t from_ns = std::max(start_ns, now_ns - window.count());
  if (now_ns <= from_ns) return 0;
  const std::int64_t oldest_due_ns = from_ns - window.count();
  std::int64_t sent = 0;
  for (auto r = records.rbegin(); r != records.rend() && r->intended_ns >= oldest_due_ns; ++r) {
    if (r->sent_ns != 0 && r->sent_ns > from_ns && r->sent_ns <= now_ns) ++sent;
  }
  return static_cast<double>(sent) / (static_cast<double>(now_ns - from_ns) / 1e9);
}

}  // namespace lbchaos::traffic

#pragma once

#include <cstdint>
#include <vector>

#include "harness/common/duration.h"
#include "harness/traffic/request_record.h"

namespace lbchaos::traffic {

// Requests/s actually sent in the last `window` before `now_ns` (by sent_ns), for the live
// progress line: a stall or a burst shows at once instead of being averaged away since the
// start. Before `window` has passed since `start_ns`, the rate over the time so far. Reads only
// the tail of `records` (ordered by intended time): a request due more than one extra window
// before the window is not looked at, even if it was sent inside it.
[[nodiscard]] double recent_send_rate(const std::vector<RequestRecord>& records,
                                      std::int64_t now_ns, std::int64_t start_ns,
                                      Duration window = std::chrono::seconds(1));

}  // namespace lbchaos::traffic

#pragma once

#include "harness/common/duration.h"
#include "harness/topology/model.h"

// How long haproxy's health checks take to notice a failed server, and to take it back: the
// prediction the detection_time probe prints next to its measurement, and the one
// `lbchaos validate` holds a config's check timings to (measurement.md):
//  - a server whose checks fail at once (killed, refused, /health failing) is marked DOWN after
//    U[0, inter] + (fall-1) * fastinter;
//  - one whose checks hang adds fall check timeouts (`timeout check`, else inter);
//  - a healed server is UP again after U[0, downinter] + (rise-1) * fastinter.
namespace lbchaos::probes {

struct PredictedRange {
  Duration low{};
  Duration high{};
};

enum class CheckFailure { kFailsAtOnce, kHangs };

[[nodiscard]] PredictedRange predict_detection(const topology::HealthCheck& check,
                                               CheckFailure failure);
[[nodiscard]] PredictedRange predict_recovery(const topology::HealthCheck& check);

}  // namespace lbchaos::probes

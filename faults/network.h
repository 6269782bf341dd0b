#pragma once

#include "faults/catalogue.h"

// The network family — latency, bandwidth, reset, blackhole, slow_close, slice: a toxic in the
// fault proxy between haproxy and the target server (harness/deploy/fault_proxy.h), removed on
// heal. Nothing restarts. Declared and implemented in network.cc.
namespace lbchaos::faults {

extern const Family kNetworkFamily;

}  // namespace lbchaos::faults

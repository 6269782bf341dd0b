#pragma once

#include "harness/model/model.h"
#include "harness/common/toml_reader.h"

// The [traffic] keys that say what traffic looks like (the request mix, TCP traffic), read after
// the keys that say how much of it (rate, duration, ...) in loader.cc.
namespace lbchaos::scenario {

// Keys this reader handles, for the [traffic] allow-list.
inline constexpr std::array<std::string_view, 4> kTrafficShapeKeys{"request", "protocol", "send",
                                                                    "expect"};

// Reads `protocol`, `send`, `expect` and every [[traffic.request]] into `traffic`; throws
// InputError at the offending key (file:line:col).
void read_traffic_shape(const TableReader& table, TrafficSpec& traffic);

}  // namespace lbchaos::scenario

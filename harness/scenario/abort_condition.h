#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/model/model.h"

// A probe-triggered abort (`abort = true` on an [[expect]]): the scenario stops as soon as that
// expectation can no longer pass, whatever the rest of the run would bring — a halt condition
// for game days and a time saver in CI. Only expectations whose verdict is settled early qualify:
// `error_count` (at_most) and `availability` (at_least) over the whole run, both of which only
// get worse as failed requests accumulate.
namespace lbchaos::scenario {

// Whether `expectation` may carry abort = true; otherwise the reason it may not.
[[nodiscard]] std::optional<std::string> abort_not_supported(const Expectation& expectation);

// The sentence for the journal when `failed` requests (dropped included) out of the `due`
// requests of the whole run already break the expectation; nullopt while it can still pass.
[[nodiscard]] std::optional<std::string> abort_reason(const Expectation& expectation,
                                                      std::uint64_t failed, std::uint64_t due);

}  // namespace lbchaos::scenario

#include "harness/scenario/abort_condition.h"

#include <fmt/format.h>

namespace lbchaos::scenario {

std::optional<std::string> abort_not_supported(const Expectation& expectation) {
  const bool error_count = expectation.probe == "error_count" && expectation.at_most;
  const bool availability = expectation.probe == "availability" && expectation.at_least;
  if (!error_count && !availability) {
    return fmt::format("abort = true applies to error_count with at_most or availability with "
                       "at_least (their verdict is settled once enough requests fail), not {}",
                       expectation.probe);
  }
  if (expectation.during != Window::kAll) {
    return fmt::format("abort = true needs during = \"all\" (the default), not \"{}\"",
                       to_string(expectation.during));
  }
  return std::nullopt;
}

std::optional<std::string> abort_reason(const Expectation& expectation, std::uint64_t failed,
                                        std::uint64_t due) {
  if (abort_not_supported(expectation)) return std::nullopt;
  const auto failed_count = static_cast<double>(failed);
  if (expectation.probe == "error_count") {
    if (failed_count <= *expectation.at_most) return std::nullopt;
    return fmt::format("error_count: {} requests failed, more than the {:g} allowed", failed,
                       *expectation.at_most);
  }
  // Even if every remaining request succeeded, availability would stay below its threshold.
  const double best_possible =
      due == 0 ? 0.0 : 1.0 - failed_count / static_cast<double>(due);
  if (due == 0 || best_possible >= *expectation.at_least) return std::nullopt;
  return fmt::format(
      "availability: {} of the {} requests due have failed, so it can reach at most {:.2f}% "
      "(threshold {:.2f}%)",
      failed, due, best_possible * 100, *expectation.at_least * 100);
}

}  // namespace lbchaos::scenario

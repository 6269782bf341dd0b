#include "harness/traffic/tcp_answer.h"

namespace lbchaos::traffic {

void TcpAnswer::reset() {
  tail_.clear();
  received_ = 0;
}

TcpAnswer::Result TcpAnswer::feed(std::string_view data, std::string_view expect,
                                  std::size_t* consumed) {
  *consumed = data.size();
  const std::string_view end_mark = expect.empty() ? std::string_view("\n") : expect;
  // Search the carried-over tail and the new bytes together, then keep only what could still
  // begin a match.
  const std::size_t carried = tail_.size();
  tail_.append(data);
  const std::size_t at = tail_.find(end_mark);
  if (at != std::string::npos) {
    const std::size_t end_in_tail = at + end_mark.size();
    *consumed = end_in_tail - carried;
    received_ += *consumed;
    tail_.clear();
    return Result::kComplete;
  }
  received_ += data.size();
  if (received_ > kMaxAnswer) return Result::kError;
  const std::size_t keep = end_mark.size() - 1;
  if (tail_.size() > keep) tail_.erase(0, tail_.size() - keep);
  return Result::kIncomplete;
}

}  // namespace lbchaos::traffic

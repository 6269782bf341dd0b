#include "harness/backend/service_model.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

namespace lbchaos::backend {

namespace asio = boost::asio;

// A coroutine parked on its own timer (a timer that never expires is a condition variable:
// wake() cancels it). Lives in the waiting coroutine's frame.
struct ServiceModel::Waiter {
  explicit Waiter(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}

  void wake() {
    woken = true;
    timer.cancel();
  }

  asio::steady_timer timer;
  bool woken = false;
};

// Keeps a waiter in a list exactly while it waits: whoever wakes it removes it, and a frame
// destroyed mid-wait (shutdown) removes itself.
class ServiceModel::Registration {
 public:
  Registration(std::list<Waiter*>& list, Waiter& waiter)
      : list_(list), waiter_(waiter), at_(list.insert(list.end(), &waiter)) {}
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  ~Registration() {
    if (!waiter_.woken) list_.erase(at_);
  }

 private:
  std::list<Waiter*>& list_;
  Waiter& waiter_;
  std::list<Waiter*>::iterator at_;
};

// Holds one in-service slot; releasing it hands it to the oldest queued request.
class ServiceModel::SlotGuard {
 public:
  explicit SlotGuard(ServiceModel& model) : model_(model) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() { model_.release_slot(); }

 private:
  ServiceModel& model_;
};

ServiceModel::ServiceModel(BackendState& state, std::uint64_t seed, OverloadCrashHandler on_crash)
    : state_(state), rng_(seed), on_crash_(std::move(on_crash)) {}

asio::awaitable<void> ServiceModel::wait_while_hung() {
  while (state_.current.hang && !stopped_) {
    Waiter waiter(co_await asio::this_coro::executor);
    Registration registration(hang_waiters_, waiter);
    boost::system::error_code ignored;  // cancellation is the wake-up
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

bool ServiceModel::slot_free() const {
  const auto max_inflight = static_cast<std::uint64_t>(state_.current.max_inflight);
  return state_.counters.inflight < max_inflight && slot_queue_.empty();
}

unsigned ServiceModel::finish_request() {
  auto& counters = state_.counters;
  const bool failed = draw_error();
  const unsigned status =
      failed ? static_cast<unsigned>(state_.current.error_status) : kStatusOk;
  ++counters.served;
  if (status >= 500) ++counters.errors_served;
  return status;
}

std::optional<unsigned> ServiceModel::try_serve_now() {
  if (state_.current.service_time() > Duration::zero() || !slot_free()) return std::nullopt;
  ++state_.counters.inflight;
  const unsigned status = finish_request();
  release_slot();
  return status;
}

asio::awaitable<unsigned> ServiceModel::serve() {
  auto& counters = state_.counters;
  if (slot_free()) {
    ++counters.inflight;
  } else {
    switch (state_.current.overload) {
      case OverloadBehaviour::kQueue:
        co_await wait_for_slot();  // the slot is handed over already counted in `inflight`
        break;
      case OverloadBehaviour::kCrash:
        if (on_crash_) on_crash_(counters.inflight + 1, state_.current.max_inflight);
        [[fallthrough]];
      case OverloadBehaviour::kReject:
        ++counters.served;
        ++counters.errors_served;
        ++counters.rejected;
        co_return kStatusUnavailable;
    }
  }
  SlotGuard slot(*this);
  const auto service_time = state_.current.service_time();
  if (service_time > Duration::zero()) {
    asio::steady_timer timer(co_await asio::this_coro::executor, service_time);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return finish_request();
}

unsigned ServiceModel::health_status() const {
  return state_.current.health_fail ? kStatusUnavailable : kStatusOk;
}

void ServiceModel::behaviour_changed() {
  if (stopped_) return;
  if (!state_.current.hang) {
    auto waiters = std::move(hang_waiters_);
    hang_waiters_.clear();
    for (Waiter* waiter : waiters) waiter->wake();
  }
  admit_queued();
}

asio::awaitable<void> ServiceModel::wait_for_slot() {
  Waiter waiter(co_await asio::this_coro::executor);
  Registration registration(slot_queue_, waiter);
  state_.counters.queued = slot_queue_.size();
  while (!waiter.woken) {
    boost::system::error_code ignored;  // cancellation is the wake-up
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void ServiceModel::release_slot() {
  auto& counters = state_.counters;
  if (stopped_) return;
  const auto max_inflight = static_cast<std::uint64_t>(state_.current.max_inflight);
  if (!slot_queue_.empty() && counters.inflight <= max_inflight) {
    Waiter* next = slot_queue_.front();  // the slot passes on; `inflight` is unchanged
    slot_queue_.pop_front();
    counters.queued = slot_queue_.size();
    next->wake();
    return;
  }
  --counters.inflight;
  admit_queued();
}

void ServiceModel::admit_queued() {
  auto& counters = state_.counters;
  const auto max_inflight = static_cast<std::uint64_t>(state_.current.max_inflight);
  while (!slot_queue_.empty() && counters.inflight < max_inflight) {
    ++counters.inflight;
    Waiter* next = slot_queue_.front();
    slot_queue_.pop_front();
    next->wake();
  }
  counters.queued = slot_queue_.size();
}

bool ServiceModel::draw_error() {
  // One draw per request whatever the ratio, so the n-th request's fate depends only on the
  // seed and n. 53 random bits give a uniform double in [0, 1).
  const double u = std::ldexp(static_cast<double>(rng_() >> 11), -53);
  return u < state_.current.error_ratio;
}

std::uint64_t seed_from_name(std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace lbchaos::backend

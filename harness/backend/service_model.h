#pragma once

// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include <boost/asio/awaitable.hpp>
// clang-format on

#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <random>

#include "harness/backend/behaviour.h"

// The service-time model of the built-in backend, without any socket: a request waits while
// the backend hangs, takes one of max_inflight slots (queue FIFO, reject or crash beyond it),
// holds it for the service time and is then answered 200 or, with probability error_ratio,
// error_status. Coroutines run on one thread; nothing here is thread-safe.
//
// It owns no I/O object (waiters' timers live in the waiting coroutines), so it may outlive
// the io_context: declare it before the io_context and the coroutine frames the io_context
// destroys on shutdown can still unregister themselves.
namespace lbchaos::backend {

// Called when a request arrives beyond max_inflight with overload = crash. The process
// handler does not return; if a test's handler does, the request is rejected with 503.
using OverloadCrashHandler = std::function<void(std::uint64_t inflight, int max_inflight)>;

inline constexpr unsigned kStatusOk = 200;
inline constexpr unsigned kStatusUnavailable = 503;

class ServiceModel {
 public:
  ServiceModel(BackendState& state, std::uint64_t seed, OverloadCrashHandler on_crash);
  ServiceModel(const ServiceModel&) = delete;
  ServiceModel& operator=(const ServiceModel&) = delete;

  // Completes at once unless the backend hangs; then when `set hang off` is applied.
  boost::asio::awaitable<void> wait_while_hung();

  // True while wait_while_hung() would wait: callers on the hot path test this first and
  // skip the coroutine (a coroutine frame per request) when the backend does not hang.
  [[nodiscard]] bool hung() const { return state_.current.hang && !stopped_; }

  // One normal (non-health) request: admission, service time, outcome. Returns the status to
  // answer with and counts it.
  boost::asio::awaitable<unsigned> serve();

  // serve() without a coroutine, for the common case where it would not wait: a slot is free,
  // nothing is queued and the service time is zero. Returns the status (counted, exactly as
  // serve() would), or nullopt with nothing changed: then co_await serve().
  [[nodiscard]] std::optional<unsigned> try_serve_now();

  // The answer /health gets now (hang is the caller's business: wait_while_hung first).
  [[nodiscard]] unsigned health_status() const;

  // Call after every control command: wakes hung requests when hang is off and admits queued
  // requests when slots became free (max_inflight raised).
  void behaviour_changed();

  // Call once the io_context has stopped, before it is destroyed: from then on nothing is
  // woken, since waiting coroutines are about to be destroyed rather than resumed.
  void shutdown() { stopped_ = true; }

  [[nodiscard]] const BackendState& state() const { return state_; }

 private:
  struct Waiter;
  class Registration;
  class SlotGuard;

  [[nodiscard]] bool slot_free() const;
  [[nodiscard]] unsigned finish_request();  // outcome of a request in service, counted
  boost::asio::awaitable<void> wait_for_slot();
  void release_slot();
  void admit_queued();
  [[nodiscard]] bool draw_error();

  BackendState& state_;
  std::mt19937_64 rng_;
  OverloadCrashHandler on_crash_;
  std::list<Waiter*> slot_queue_;    // FIFO of requests waiting for a slot
  std::list<Waiter*> hang_waiters_;  // requests held while the backend hangs
  bool stopped_ = false;
};

// Default seed for a backend: FNV-1a of its name, stable across runs and platforms.
[[nodiscard]] std::uint64_t seed_from_name(std::string_view name);

}  // namespace lbchaos::backend

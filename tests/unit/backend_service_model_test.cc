// clang-format off
#include <utility>  // before awaitable.hpp: Boost 1.74 + GCC 12 + C++20
#include "harness/backend/service_model.h"
// clang-format on

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <vector>

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class BackendServiceModelTest : public ::testing::Test {
 protected:
  void configure(int max_inflight, OverloadBehaviour overload, Duration latency = 20ms) {
    BackendBehaviour b;
    b.latency = latency;
    b.max_inflight = max_inflight;
    b.overload = overload;
    state_ = make_backend_state("app/web1", b);
  }

  // Starts one request; its status lands in statuses_[index], its completion in order_.
  void spawn_request(std::size_t index) {
    if (statuses_.size() <= index) statuses_.resize(index + 1);
    asio::co_spawn(io_, [this, index]() -> asio::awaitable<void> {
      statuses_[index] = co_await model_.serve();
      order_.push_back(index);
    }, asio::detached);
  }

  // Runs `action` on the io_context after `delay`.
  void after(Duration delay, std::function<void()> action) {
    asio::co_spawn(io_, [this, delay, action = std::move(action)]() -> asio::awaitable<void> {
      asio::steady_timer timer(io_, delay);
      co_await timer.async_wait(asio::use_awaitable);
      action();
    }, asio::detached);
  }

  void apply(std::string_view command) {
    ASSERT_EQ(apply_control_command(state_, command), "ok") << command;
    model_.behaviour_changed();
  }

  void TearDown() override { model_.shutdown(); }

  BackendState state_ = make_backend_state("app/web1", {});
  std::vector<std::pair<std::uint64_t, int>> crashes_;
  ServiceModel model_{state_, 42, [this](std::uint64_t n, int max) { crashes_.emplace_back(n, max); }};
  asio::io_context io_;
  std::vector<std::optional<unsigned>> statuses_;
  std::vector<std::size_t> order_;
};

TEST_F(BackendServiceModelTest, AnswersOkAndCountsServedRequests) {
  configure(4, OverloadBehaviour::kQueue);
  spawn_request(0);
  spawn_request(1);
  io_.run();
  EXPECT_EQ(statuses_[0], kStatusOk);
  EXPECT_EQ(statuses_[1], kStatusOk);
  EXPECT_EQ(state_.counters.served, 2u);
  EXPECT_EQ(state_.counters.errors_served, 0u);
  EXPECT_EQ(state_.counters.inflight, 0u);
}

TEST_F(BackendServiceModelTest, QueuedRequestsAreServedOneAtATimeInArrivalOrder) {
  configure(1, OverloadBehaviour::kQueue);
  for (std::size_t i = 0; i < 4; ++i) spawn_request(i);
  std::optional<BackendCounters> while_busy;
  after(5ms, [&] { while_busy = state_.counters; });
  io_.run();
  EXPECT_EQ(order_, (std::vector<std::size_t>{0, 1, 2, 3}));
  ASSERT_TRUE(while_busy);
  EXPECT_EQ(while_busy->inflight, 1u);
  EXPECT_EQ(while_busy->queued, 3u);
  EXPECT_EQ(state_.counters.served, 4u);
  EXPECT_EQ(state_.counters.queued, 0u);
  EXPECT_EQ(state_.counters.inflight, 0u);
}

TEST_F(BackendServiceModelTest, RaisingTheLimitAdmitsQueuedRequests) {
  configure(1, OverloadBehaviour::kQueue, 200ms);
  for (std::size_t i = 0; i < 3; ++i) spawn_request(i);
  std::optional<BackendCounters> after_raise;
  after(5ms, [&] {
    apply("set overload 3 queue");
    after_raise = state_.counters;
  });
  io_.run();
  ASSERT_TRUE(after_raise);
  EXPECT_EQ(after_raise->inflight, 3u);
  EXPECT_EQ(after_raise->queued, 0u);
  EXPECT_EQ(state_.counters.served, 3u);
}

TEST_F(BackendServiceModelTest, RejectAnswers503BeyondTheLimit) {
  configure(1, OverloadBehaviour::kReject);
  for (std::size_t i = 0; i < 3; ++i) spawn_request(i);
  io_.run();
  EXPECT_EQ(statuses_[0], kStatusOk);
  EXPECT_EQ(statuses_[1], kStatusUnavailable);
  EXPECT_EQ(statuses_[2], kStatusUnavailable);
  EXPECT_EQ(order_.back(), 0u) << "rejections do not wait for the service time";
  EXPECT_EQ(state_.counters.rejected, 2u);
  EXPECT_EQ(state_.counters.errors_served, 2u);
  EXPECT_EQ(state_.counters.served, 3u);
}

TEST_F(BackendServiceModelTest, CrashCallsTheHandlerWithTheOverload) {
  configure(2, OverloadBehaviour::kCrash);
  for (std::size_t i = 0; i < 3; ++i) spawn_request(i);
  io_.run();
  ASSERT_EQ(crashes_.size(), 1u);
  EXPECT_EQ(crashes_[0].first, 3u);
  EXPECT_EQ(crashes_[0].second, 2);
}

TEST_F(BackendServiceModelTest, ErrorRatioOneAnswersTheErrorStatus) {
  configure(4, OverloadBehaviour::kQueue, 0ms);
  apply("set errors 1.0 502");
  spawn_request(0);
  io_.run();
  EXPECT_EQ(statuses_[0], 502u);
  EXPECT_EQ(state_.counters.errors_served, 1u);
}

TEST_F(BackendServiceModelTest, ErrorDrawsAreReproducibleForASeed) {
  const auto draw = [](std::uint64_t seed) {
    BackendState state = make_backend_state("app/web1", {});
    state.current.error_ratio = 0.5;
    ServiceModel model(state, seed, {});
    asio::io_context io;
    std::vector<unsigned> statuses;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 64; ++i) statuses.push_back(co_await model.serve());
    }, asio::detached);
    io.run();
    return statuses;
  };
  const auto first = draw(7);
  EXPECT_EQ(first, draw(7));
  EXPECT_NE(first, draw(8));
  const auto errors = std::count(first.begin(), first.end(), 500u);
  EXPECT_GT(errors, 10);
  EXPECT_LT(errors, 54);
}

TEST_F(BackendServiceModelTest, HungRequestsWaitUntilHangIsTurnedOff) {
  configure(4, OverloadBehaviour::kQueue, 0ms);
  apply("set hang on");
  bool released = false;
  bool hang_was_on_when_released = true;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    co_await model_.wait_while_hung();
    released = true;
    hang_was_on_when_released = state_.current.hang;
  }, asio::detached);
  bool released_while_hung = true;
  after(30ms, [&] {
    released_while_hung = released;
    apply("set hang off");
  });
  io_.run();
  EXPECT_FALSE(released_while_hung);
  EXPECT_TRUE(released);
  EXPECT_FALSE(hang_was_on_when_released);
}

TEST_F(BackendServiceModelTest, TryServeNowAnswersOnlyWhenNothingWouldWait) {
  configure(1, OverloadBehaviour::kReject, 0ms);
  EXPECT_EQ(model_.try_serve_now(), kStatusOk);
  EXPECT_EQ(state_.counters.served, 1u);
  EXPECT_EQ(state_.counters.inflight, 0u) << "the slot is released at once";

  apply("set latency 5ms");
  EXPECT_EQ(model_.try_serve_now(), std::nullopt) << "a service time means waiting";
  apply("set latency 0ms");

  state_.counters.inflight = 1;  // the only slot is taken
  EXPECT_EQ(model_.try_serve_now(), std::nullopt) << "no free slot: serve() decides";
  EXPECT_EQ(state_.counters.served, 1u) << "and nothing is counted";
  EXPECT_EQ(state_.counters.rejected, 0u);
  EXPECT_EQ(state_.counters.inflight, 1u);
}

TEST_F(BackendServiceModelTest, TryServeNowDrawsErrorsLikeServe) {
  const auto draw = [](bool at_once) {
    BackendState state = make_backend_state("app/web1", {});
    state.current.error_ratio = 0.5;
    ServiceModel model(state, 7, {});
    asio::io_context io;
    std::vector<unsigned> statuses;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 64; ++i) {
        // (if/else: GCC 12 evaluates a co_await inside ?: even when the other arm is taken)
        std::optional<unsigned> now;
        if (at_once) now = model.try_serve_now();
        if (now) {
          statuses.push_back(*now);
        } else {
          statuses.push_back(co_await model.serve());
        }
      }
    }, asio::detached);
    io.run();
    EXPECT_EQ(state.counters.served, 64u);
    EXPECT_EQ(state.counters.inflight, 0u);
    return statuses;
  };
  EXPECT_EQ(draw(true), draw(false));
}

TEST_F(BackendServiceModelTest, HealthFollowsHealthFail) {
  configure(1, OverloadBehaviour::kQueue);
  EXPECT_EQ(model_.health_status(), kStatusOk);
  apply("set health_fail on");
  EXPECT_EQ(model_.health_status(), kStatusUnavailable);
}

TEST(BackendSeed, IsStableAndDependsOnTheName) {
  EXPECT_EQ(seed_from_name("app/web1"), seed_from_name("app/web1"));
  EXPECT_NE(seed_from_name("app/web1"), seed_from_name("app/web2"));
  EXPECT_EQ(seed_from_name(""), 0xcbf29ce484222325ULL);
}

}  // namespace
}  // namespace lbchaos::backend

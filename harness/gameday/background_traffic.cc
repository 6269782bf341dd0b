#include "harness/gameday/background_traffic.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace lbchaos::gameday {

namespace asio = boost::asio;

BackgroundTraffic::BackgroundTraffic(asio::io_context& io, traffic::LoadOptions options)
    : io_(io), options_(std::move(options)), done_(io) {
  owned_ = std::make_unique<traffic::LoadGenerator>(io_, options_);  // checks the options
  generator_ = owned_.get();
}

BackgroundTraffic::BackgroundTraffic(asio::io_context& io, traffic::LoadGenerator& generator)
    : io_(io), options_(generator.options()), generator_(&generator), done_(io) {}

void BackgroundTraffic::start() {
  if (!owned_) return;  // someone else runs it
  running_ = true;
  done_.expires_at(asio::steady_timer::time_point::max());
  asio::co_spawn(io_, loop(), asio::detached);
}

namespace {

// Appends `records` to `out`, their server ids moved from `from` to `to`.
void append_records(const std::vector<traffic::RequestRecord>& records,
                    const traffic::ServerTable& from, traffic::ServerTable& to,
                    std::vector<traffic::RequestRecord>& out) {
  std::vector<std::uint16_t> ids;
  for (std::size_t i = 0; i < from.size(); ++i) {
    ids.push_back(to.id_of(from.name(static_cast<std::uint16_t>(i))));
  }
  out.reserve(out.size() + records.size());
  for (auto record : records) {
    if (record.server != traffic::kUnknownServer && record.server < ids.size()) {
      record.server = ids[record.server];
    }
    out.push_back(record);
  }
}

}  // namespace

asio::awaitable<void> BackgroundTraffic::loop() {
  MonoTime start = mono_now();
  started_at_ = start;
  while (!stop_) {
    try {
      co_await generator_->run(start);
    } catch (const std::exception& e) {
      spdlog::error("background traffic stopped: {}", e.what());
      break;
    }
    if (stop_) break;
    start += options_.duration;  // the next segment goes on with the same schedule
    completed_before_ += generator_->completed();
    failed_before_ += generator_->failed();
    if (keep_history_) {
      append_records(generator_->records(), generator_->servers(), history_servers_, history_);
    }
    owned_ = std::make_unique<traffic::LoadGenerator>(io_, options_);
    generator_ = owned_.get();
    ++segment_;
  }
  running_ = false;
  done_.cancel();
}

asio::awaitable<void> BackgroundTraffic::stop() {
  if (!owned_) co_return;
  stop_ = true;
  if (generator_) generator_->request_stop();
  boost::system::error_code ignored;
  while (running_) co_await done_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

std::vector<traffic::RequestRecord> BackgroundTraffic::all_records(
    traffic::ServerTable& servers) const {
  std::vector<traffic::RequestRecord> out;
  append_records(history_, history_servers_, servers, out);
  if (generator_ != nullptr) {
    append_records(generator_->records(), generator_->servers(), servers, out);
  }
  return out;
}

std::uint64_t BackgroundTraffic::completed() const {
  return completed_before_ + (generator_ ? generator_->completed() : 0);
}

std::uint64_t BackgroundTraffic::failed() const {
  return failed_before_ + (generator_ ? generator_->failed() : 0);
}

}  // namespace lbchaos::gameday

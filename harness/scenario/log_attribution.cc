#include "harness/scenario/log_attribution.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness/deploy/deployment.h"
#include "harness/traffic/load_generator.h"

namespace lbchaos::scenario {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// haproxy logs a request as its response ends, so its line is normally in before the generator
// has even finished; these only bound the wait for lines that were lost.
constexpr auto kQuiet = 300ms;   // no new request line for this long: the rest are not coming
constexpr auto kMaxWait = 3s;    // whatever happens
constexpr auto kPoll = 20ms;

// What the log lines of every haproxy instance say about each request id.
class LoggedRequests {
 public:
  LoggedRequests(deploy::Deployment& deployment, std::size_t requests)
      : deployment_(deployment), slots_(requests) {}

  // Takes in the lines received since the last call.
  void absorb() {
    auto& instances = deployment_.instances();
    offsets_.resize(instances.size(), 0);
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const auto& receiver = instances[i]->syslog();
      const auto& lines = receiver.request_lines();
      for (; offsets_[i] < lines.size(); ++offsets_[i]) {
        const auto& line = lines[offsets_[i]];
        if (line.request >= slots_.size()) continue;  // not this run's traffic
        auto& slot = slots_[line.request];
        slot.logged = true;
        if (line.server != observe::RequestLogEntry::kNoServer) {
          slot.server = &receiver.server_name(line.server);  // a retried request: one served
        }
      }
      last_line_ = std::max(last_line_, receiver.last_request_line_at());
    }
  }

  [[nodiscard]] bool logged(std::size_t request) const { return slots_[request].logged; }
  // "app/web1", or nullptr when no line names a server that answered.
  [[nodiscard]] const std::string* server(std::size_t request) const {
    return slots_[request].server;
  }
  [[nodiscard]] MonoTime last_line() const { return last_line_; }

 private:
  struct Slot {
    bool logged = false;
    const std::string* server = nullptr;  // owned by the receiver (stable)
  };

  deploy::Deployment& deployment_;
  std::vector<Slot> slots_;
  std::vector<std::size_t> offsets_;
  MonoTime last_line_{};
};

}  // namespace

asio::awaitable<LogAttribution> attribute_servers_from_logs(deploy::Deployment* deployment,
                                                            traffic::LoadGenerator* generator) {
  LogAttribution result;
  if (deployment == nullptr || generator == nullptr) co_return result;
  const auto& records = generator->records();
  std::vector<std::size_t> unnamed;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (r.error == traffic::ErrorClass::kNone && r.status > 0 &&
        r.server == traffic::kUnknownServer) {
      unnamed.push_back(i);
    }
  }
  result.unnamed = unnamed.size();
  if (unnamed.empty()) co_return result;

  LoggedRequests logged(*deployment, records.size());
  std::vector<std::size_t> waiting = unnamed;
  const MonoTime start = mono_now();
  asio::steady_timer timer(deployment->io());
  for (;;) {
    logged.absorb();
    std::erase_if(waiting, [&](std::size_t i) { return logged.logged(records[i].seq); });
    const MonoTime now = mono_now();
    if (waiting.empty() || now - std::max(logged.last_line(), start) >= kQuiet ||
        now - start >= kMaxWait) {
      break;
    }
    timer.expires_after(kPoll);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  for (const std::size_t i : unnamed) {
    const std::uint32_t seq = generator->records()[i].seq;
    if (const std::string* server = logged.server(seq)) {
      generator->attribute_server(i, *server);
      ++result.attributed;
    } else if (!logged.logged(seq)) {
      ++result.no_line;
    }
  }
  const double waited = std::chrono::duration<double>(mono_now() - start).count();
  if (result.no_line > 0) {
    spdlog::warn(
        "haproxy's log named the server of {} of {} responses without X-Lbchaos-Server; the log "
        "lines of {} never arrived (UDP syslog drops lines under load; waited {:.2f} s): they "
        "count as served by an unknown server",
        result.attributed, result.unnamed, result.no_line, waited);
  } else {
    spdlog::info("haproxy's log named the server of {} of {} responses without X-Lbchaos-Server",
                 result.attributed, result.unnamed);
  }
  co_return result;
}

}  // namespace lbchaos::scenario

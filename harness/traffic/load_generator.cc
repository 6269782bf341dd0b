#include "harness/traffic/load_generator.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cmath>
#include <exception>
#include <stdexcept>

#include "harness/common/errors.h"
#include "harness/common/loopback.h"
#include "harness/common/request_id.h"
#include "harness/traffic/client_addresses.h"

namespace lbchaos::traffic {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Result = HttpResponseParser::Result;

constexpr Duration kMinSweepInterval = std::chrono::milliseconds(1);
constexpr Duration kMaxSweepInterval = std::chrono::milliseconds(20);
constexpr std::size_t kMaxInstances = 255;
constexpr std::size_t kClosedLoopReserve = 1 << 16;
constexpr std::size_t kMaxTemplates = 0xffff;

// What a spawned coroutine throws leaves io_context::run(): nothing is swallowed.
void rethrow(std::exception_ptr error) {
  if (error) std::rethrow_exception(error);
}

ErrorClass classify(const boost::system::error_code& ec, bool timed_out) {
  if (timed_out) return ErrorClass::kTimeout;
  if (ec == asio::error::connection_refused) return ErrorClass::kRefused;
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == asio::error::connection_aborted) {
    return ErrorClass::kReset;
  }
  return ErrorClass::kOther;
}

LoadOptions validated(LoadOptions options) {
  const auto invalid = [](const std::string& message) { return InputError("traffic: " + message); };
  if (options.targets.empty()) throw invalid("no target to send requests to");
  if (options.targets.size() > kMaxInstances) {
    throw invalid(fmt::format("at most {} targets, got {}", kMaxInstances, options.targets.size()));
  }
  for (const auto& target : options.targets) {
    if (!is_loopback_address(target.host) || target.port < 1 || target.port > 65535) {
      throw invalid(
          fmt::format("target {} is not a loopback IP address and port", target.to_string()));
    }
  }
  if (!options.closed_loop && !(options.rate > 0 && std::isfinite(options.rate))) {
    throw invalid(fmt::format("rate must be > 0 requests/s, got {}", options.rate));
  }
  if (options.duration <= Duration::zero()) throw invalid("duration must be > 0");
  if (options.timeout <= Duration::zero()) throw invalid("timeout must be > 0");
  if (options.clients < 1 || options.clients > kMaxClients) {
    throw invalid(
        fmt::format("clients must be within 1..{}, got {}", kMaxClients, options.clients));
  }
  if (options.max_connections < 1) throw invalid("max_connections must be >= 1");
  if (options.closed_loop && options.closed_loop_concurrency < 1) {
    throw invalid("closed_loop_concurrency must be >= 1");
  }
  if (options.paths.empty()) options.paths.emplace_back("/");
  if (options.requests.size() > kMaxTemplates) {
    throw invalid(fmt::format("at most {} requests in the mix, got {}", kMaxTemplates,
                              options.requests.size()));
  }
  if (options.protocol == Protocol::kTcp && options.tcp_send.empty()) {
    throw invalid("send must not be empty: each TCP request writes it and waits for the answer");
  }
  if (options.tcp_expect.size() > TcpAnswer::kMaxAnswer) throw invalid("expect is too long");
  return options;
}

std::vector<tcp::endpoint> resolve(const std::vector<topology::Endpoint>& targets) {
  std::vector<tcp::endpoint> endpoints;
  for (const auto& target : targets) {
    endpoints.emplace_back(asio::ip::make_address(target.host),
                           static_cast<std::uint16_t>(target.port));
  }
  return endpoints;
}

// The mix: the scenario's requests, or one GET per path taken in turn.
RequestMix make_mix(const LoadOptions& options) {
  if (!options.requests.empty()) return RequestMix(options.requests, options.seed, true);
  std::vector<RequestTemplate> gets;
  for (const auto& path : options.paths) {
    RequestTemplate get;
    get.path = path;
    gets.push_back(std::move(get));
  }
  return RequestMix(std::move(gets), options.seed, false);
}

// Each request up to the value of its id header, which compose_request() appends.
std::vector<std::vector<std::string>> build_request_heads(const LoadOptions& options,
                                                          const RequestMix& mix) {
  std::vector<std::vector<std::string>> heads;
  for (const auto& target : options.targets) {
    auto& per_template = heads.emplace_back();
    for (const auto& request : mix.templates()) {
      std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: lbchaos\r\n",
                                     request.method, request.path,
                                     request.host.empty() ? target.to_string() : request.host);
      bool accept = false;
      for (const auto& [name, value] : request.headers) {
        head += fmt::format("{}: {}\r\n", name, value);
        accept = accept || (name.size() == 6 && ::strncasecmp(name.c_str(), "accept", 6) == 0);
      }
      if (!accept) head += "Accept: */*\r\n";
      if (!request.body.empty()) head += fmt::format("Content-Length: {}\r\n", request.body.size());
      head += fmt::format("{}: ", kRequestIdHeader);
      per_template.push_back(std::move(head));
    }
  }
  return heads;
}

// Request i of the open-loop schedule is due this long after the start.
Duration due_offset(std::size_t i, double rate) {
  return Duration(std::llround(static_cast<double>(i) * 1e9 / rate));
}

// How many requests are due within `duration`.
std::size_t schedule_size(double rate, Duration duration) {
  auto n =
      static_cast<std::size_t>(std::ceil(rate * std::chrono::duration<double>(duration).count()));
  while (n > 0 && due_offset(n - 1, rate) >= duration) --n;
  while (due_offset(n, rate) < duration) ++n;
  return n;
}

}  // namespace

LoadGenerator::LoadGenerator(asio::io_context& io, LoadOptions options)
    : executor_(io.get_executor()),
      options_(validated(std::move(options))),
      targets_(resolve(options_.targets)),
      client_addresses_(client_addresses(options_.clients)),
      mix_(make_mix(options_)),
      request_heads_(build_request_heads(options_, mix_)),
      pool_(executor_, options_.max_connections, options_.clients,
            static_cast<int>(options_.targets.size())),
      wake_(executor_),
      sweep_interval_(std::clamp(options_.timeout / 20, kMinSweepInterval, kMaxSweepInterval)) {
  if (options_.closed_loop) {
    const double hint = options_.rate * std::chrono::duration<double>(options_.duration).count();
    records_.reserve(hint > 0 ? static_cast<std::size_t>(hint) : kClosedLoopReserve);
  } else {
    scheduled_ = schedule_size(options_.rate, options_.duration);
    records_.reserve(scheduled_);
  }
}

void LoadGenerator::request_stop() {
  stop_ = true;
  wake_.cancel();
}

asio::awaitable<void> LoadGenerator::run(MonoTime start) {
  if (started_) throw std::logic_error("LoadGenerator::run may be called only once");
  started_ = true;
  start_ = start;
  end_ = start + options_.duration;
  next_sweep_ = mono_now() + sweep_interval_;
  if (options_.closed_loop) {
    co_await run_closed_loop();
  } else {
    co_await run_open_loop();
  }
  co_await drain();
}

asio::awaitable<void> LoadGenerator::run_open_loop() {
  std::size_t i = 0;
  while (!stop_ && i < scheduled_) {
    const MonoTime due = start_ + due_offset(i, options_.rate);
    if (mono_now() < due) {
      co_await wait_until(due);
      continue;
    }
    issue_open_loop(add_record(to_ns(due)));
    ++i;
  }
}

asio::awaitable<void> LoadGenerator::run_closed_loop() {
  while (!stop_ && mono_now() < start_) co_await wait_until(start_);
  workers_ = std::min(options_.closed_loop_concurrency, options_.max_connections);
  for (int worker = 0; worker < workers_; ++worker) {
    asio::co_spawn(executor_, closed_loop_worker(worker), rethrow);
  }
  while (workers_ > 0) co_await wait_until(MonoTime::max());
}

// A worker keeps one request in flight: the next one leaves as soon as the previous is done.
asio::awaitable<void> LoadGenerator::closed_loop_worker(int worker) {
  const int client = worker % options_.clients;
  while (!stop_ && mono_now() < end_) {
    const std::size_t index = add_record(0);
    Connection* connection = pool_.acquire(records_[index].instance, client);
    if (connection == nullptr) {  // not expected: workers never outnumber connections
      records_[index].error = ErrorClass::kDropped;
      ++failed_;
      break;
    }
    ++in_flight_;
    co_await serve(*connection, index);
  }
  if (--workers_ == 0) wake_.cancel();
}

asio::awaitable<void> LoadGenerator::wait_until(MonoTime until) {
  if (const auto now = mono_now(); now >= next_sweep_) sweep(now);
  wake_.expires_at(std::min(until, next_sweep_));
  boost::system::error_code ec;  // operation_aborted: woken early (stop, last request done)
  co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (const auto now = mono_now(); now >= next_sweep_) sweep(now);
}

void LoadGenerator::sweep(MonoTime now) {
  pool_.expire(to_ns(now));
  next_sweep_ = now + sweep_interval_;
}

asio::awaitable<void> LoadGenerator::drain() {
  draining_ = true;
  while (in_flight_ > 0) co_await wait_until(MonoTime::max());
  draining_ = false;
  pool_.close_idle();
}

// Request seq goes to instance seq % T, from client (seq / T) % C, with the mix's draw for
// seq / T (in turn for a plain path list: (seq / T) % P): every instance sees every client and
// every request alike.
std::size_t LoadGenerator::add_record(std::int64_t intended_ns) {
  const std::size_t index = records_.size();
  RequestRecord& record = records_.emplace_back();
  record.seq = static_cast<std::uint32_t>(index);
  record.intended_ns = intended_ns;
  record.instance = static_cast<std::uint8_t>(index % targets_.size());
  record.request = static_cast<std::uint16_t>(mix_.draw(index / targets_.size()));
  return index;
}

void LoadGenerator::issue_open_loop(std::size_t index) {
  RequestRecord& record = records_[index];
  Connection* connection = pool_.acquire(
      record.instance, static_cast<int>(index / targets_.size() % client_addresses_.size()));
  if (connection == nullptr) {
    record.error = ErrorClass::kDropped;
    ++failed_;
    return;
  }
  ++in_flight_;
  asio::co_spawn(executor_, serve(*connection, index), rethrow);
}

// `records_` may grow while this is suspended (closed loop): it is indexed, never referenced,
// across a co_await.
asio::awaitable<void> LoadGenerator::serve(Connection& connection, std::size_t index) {
  const std::int64_t begin_ns = to_ns(mono_now());
  {
    RequestRecord& record = records_[index];
    record.sent_ns = begin_ns;
    if (options_.closed_loop) record.intended_ns = begin_ns;
  }
  ++sent_;
  connection.deadline_ns = begin_ns + options_.timeout.count();
  const std::size_t request = records_[index].request;
  const bool reused = connection.socket.is_open();
  ErrorClass error = ErrorClass::kNone;
  if (!reused) error = co_await connect_with_failover(connection);
  if (error == ErrorClass::kNone) {
    compose_request(connection, request, records_[index].seq);
    error = co_await exchange(connection, connection.request);
    const bool answered = options_.protocol == Protocol::kTcp ? connection.tcp_answer.started()
                                                              : connection.parser.started();
    if (reused && error == ErrorClass::kReset && !answered) {
      // The server had closed this kept-alive connection before it read the request (its idle
      // timeout, a reloading haproxy): like any HTTP client, send it again on a new one.
      error = co_await connect_with_failover(connection);
      if (error == ErrorClass::kNone) {
        compose_request(connection, request, records_[index].seq);
        error = co_await exchange(connection, connection.request);
      }
    }
  }
  finish(connection, index, error);
}

// In the connection's own buffer, which stops growing once it has held the longest request:
// sending allocates nothing. After connecting, as a failover changes the instance (Host).
void LoadGenerator::compose_request(Connection& connection, std::size_t index,
                                    std::uint32_t seq) {
  auto& request = connection.request;
  if (options_.protocol == Protocol::kTcp) {
    request.assign(options_.tcp_send);
    return;
  }
  std::array<char, 10> digits{};  // 4294967295
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), seq).ptr;
  request.assign(request_heads_[connection.instance][index]);
  request.append(digits.data(), end);
  request.append("\r\n\r\n");
  request.append(mix_.templates()[index].body);
}

// A DNS round-robin client: when the first address refuses, it tries the next one once.
asio::awaitable<ErrorClass> LoadGenerator::connect_with_failover(Connection& connection) {
  const int first = connection.instance;
  ErrorClass error = co_await connect(connection, first);
  if (error == ErrorClass::kRefused && targets_.size() > 1) {
    error = co_await connect(
        connection, static_cast<int>((static_cast<std::size_t>(first) + 1) % targets_.size()));
  }
  co_return error;
}

asio::awaitable<ErrorClass> LoadGenerator::connect(Connection& connection, int instance) {
  boost::system::error_code ec;
  auto& socket = connection.socket;
  socket.close(ec);
  connection.instance = static_cast<std::uint8_t>(instance);
  connection.id = next_connection_id_++;
  if (connection.timed_out) co_return ErrorClass::kTimeout;
  const tcp::endpoint& target = targets_[static_cast<std::size_t>(instance)];
  socket.open(target.protocol(), ec);
  if (!ec && target.address().is_v4()) {
    // The port is chosen at connect(), per destination: many connections per client address.
    const int on = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket.bind(tcp::endpoint(client_addresses_[connection.client], 0), ec);
  }
  if (!ec) socket.set_option(tcp::no_delay(true), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (!ec) co_await socket.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return ErrorClass::kNone;
  const ErrorClass error = classify(ec, connection.timed_out);
  if (error == ErrorClass::kOther) {
    last_local_error_ = fmt::format(
        "cannot connect from {} to {}: {}", client_addresses_[connection.client].to_string(),
        options_.targets[static_cast<std::size_t>(instance)].to_string(), ec.message());
  }
  co_return error;
}

asio::awaitable<ErrorClass> LoadGenerator::exchange(Connection& connection,
                                                    const std::string& request) {
  auto& socket = connection.socket;
  auto& parser = connection.parser;
  parser.reset();
  connection.keep_alive = false;
  boost::system::error_code ec;
  // A request fits an empty socket buffer: written at once, without a trip through the reactor.
  std::size_t written = socket.write_some(asio::buffer(request), ec);
  if (ec == asio::error::would_block) {
    ec.clear();
    written = 0;
  }
  if (!ec && written < request.size()) {
    co_await asio::async_write(socket,
                               asio::buffer(request.data() + written, request.size() - written),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) co_return classify(ec, connection.timed_out);
  if (options_.protocol == Protocol::kTcp) co_return co_await read_tcp_answer(connection);
  for (;;) {
    const std::size_t n = co_await socket.async_read_some(
        asio::buffer(connection.buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof && parser.finish() == Result::kComplete) co_return ErrorClass::kNone;
    if (ec) co_return classify(ec, connection.timed_out);
    std::size_t consumed = 0;
    switch (parser.feed({connection.buffer.data(), n}, &consumed)) {
      case Result::kComplete:
        // Bytes beyond the response were never asked for: do not trust the connection again.
        connection.keep_alive = parser.keep_alive() && consumed == n;
        co_return ErrorClass::kNone;
      case Result::kError:
        co_return ErrorClass::kProtocol;
      case Result::kIncomplete:
        break;
    }
  }
}

asio::awaitable<ErrorClass> LoadGenerator::read_tcp_answer(Connection& connection) {
  auto& answer = connection.tcp_answer;
  answer.reset();
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n = co_await connection.socket.async_read_some(
        asio::buffer(connection.buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return classify(ec, connection.timed_out);
    std::size_t consumed = 0;
    switch (answer.feed({connection.buffer.data(), n}, options_.tcp_expect, &consumed)) {
      case TcpAnswer::Result::kComplete:
        connection.keep_alive = consumed == n;
        co_return ErrorClass::kNone;
      case TcpAnswer::Result::kError:
        co_return ErrorClass::kProtocol;
      case TcpAnswer::Result::kIncomplete:
        break;
    }
  }
}

void LoadGenerator::finish(Connection& connection, std::size_t index, ErrorClass error) {
  RequestRecord& record = records_[index];
  // A connection that failed over belongs to another instance than the requests of its client
  // and pool list: kept idle, such connections would pile up while an instance refuses.
  const bool failed_over = connection.instance != record.instance;
  record.done_ns = to_ns(mono_now());
  record.error = error;
  record.connection = connection.id;
  record.instance = connection.instance;
  if (error == ErrorClass::kNone && options_.protocol == Protocol::kHttp) {
    record.status = static_cast<std::uint16_t>(connection.parser.status());
    const auto server = connection.parser.server();
    record.server = server.empty() ? kUnknownServer : servers_.id_of(server);
  }
  if (record.ok()) {
    ++completed_;
  } else {
    ++failed_;
  }
  if (error == ErrorClass::kNone && connection.keep_alive && !failed_over &&
      connection.socket.is_open()) {
    pool_.release_idle(connection);
  } else {
    pool_.release_closed(connection);
  }
  --in_flight_;
  if (draining_ && in_flight_ == 0) wake_.cancel();
}

void LoadGenerator::attribute_server(std::size_t index, std::string_view server) {
  RequestRecord& record = records_.at(index);
  if (record.server == kUnknownServer) record.server = servers_.id_of(server);
}

}  // namespace lbchaos::traffic

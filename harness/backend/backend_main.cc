#include "harness/backend/backend_main.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "harness/backend/control_server.h"
#include "harness/backend/http_server.h"
#include "harness/backend/service_model.h"
#include "harness/backend/tcp_persona_server.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/common/loopback.h"

namespace lbchaos::backend {
namespace {

namespace asio = boost::asio;

void validate(const BackendOptions& options) {
  if (options.name.empty()) throw InputError("backend: --name must not be empty");
  if (!is_loopback_address(options.listen.host)) {
    throw InputError(fmt::format(
        "backend {}: refusing to listen on {}: lbchaos only uses loopback addresses "
        "(127.0.0.0/8, ::1)",
        options.name, options.listen.host));
  }
  if (options.max_inflight < 1) {
    throw InputError(fmt::format("backend {}: max_inflight must be >= 1", options.name));
  }
  if (!options.health_path.starts_with('/')) {
    throw InputError(fmt::format("backend {}: health path must start with '/', got '{}'",
                                 options.name, options.health_path));
  }
  if (options.control.empty()) throw InputError("backend: --control must not be empty");
}

// The process ends at once, as a crash would; only the control socket file is cleaned up.
OverloadCrashHandler make_crash_handler(std::filesystem::path control) {
  return [control = std::move(control)](std::uint64_t inflight, int max_inflight) {
    fmt::print(stderr, "overloaded: {} in flight > max {}, crashing as configured\n", inflight,
               max_inflight);
    std::fflush(nullptr);
    std::error_code ignored;
    std::filesystem::remove(control, ignored);
    std::_Exit(kExitOverloadCrash);
  };
}

// Declared after the io_context: runs before it is destroyed, so the coroutine frames it
// destroys do not wake each other.
struct ShutdownModelOnExit {
  ServiceModel& model;
  ~ShutdownModelOnExit() { model.shutdown(); }
};

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
  const auto usage = [&] {
    return InputError(fmt::format(
        "listen address '{}' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", text));
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) throw usage();
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) throw usage();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw usage();  // a bare IPv6 address needs brackets
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    throw InputError(fmt::format("listen address '{}': port must be 1..65535", text));
  }
  boost::system::error_code address_error;
  asio::ip::make_address(std::string(host), address_error);
  if (address_error) {
    throw InputError(fmt::format("listen address '{}': '{}' is not an IP address", text, host));
  }
  return ListenAddress{.host = std::string(host), .port = static_cast<std::uint16_t>(port)};
}

int run_backend(const BackendOptions& options) {
  try {
    validate(options);
  } catch (const InputError& e) {
    spdlog::error("{}", e.what());
    return kExitBadInput;
  }
  // Writes to a closed connection must fail with EPIPE, not kill the node.
  std::signal(SIGPIPE, SIG_IGN);

  BackendBehaviour initial;
  initial.latency = options.latency;
  initial.max_inflight = options.max_inflight;
  initial.overload = options.overload;
  BackendState state = make_backend_state(options.name, initial);
  // Outlives the io_context (see service_model.h).
  ServiceModel model(state, options.seed.value_or(seed_from_name(options.name)),
                     make_crash_handler(options.control));
  try {
    asio::io_context io(1);
    ShutdownModelOnExit shutdown_model{model};
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options.listen.host),
                                           options.listen.port);
    std::optional<HttpServer> http;
    std::optional<TcpPersonaServer> persona;
    if (options.protocol == "http") {
      http.emplace(io, endpoint, model, options.name, options.health_path);
      http->set_health_answer(static_cast<unsigned>(options.health_status), options.health_body);
    } else {
      persona.emplace(io, endpoint, model, options.name, options.protocol, options.tcp_script);
    }
    ControlServer control(io, options.control, state, model);
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
      if (ec) return;
      spdlog::info("backend {}: signal {}, stopping", options.name, signal_number);
      io.stop();
    });
    if (http) http->start();
    if (persona) persona->start();
    control.start();
    spdlog::info("backend {}: {} on {}:{}, control {}", options.name, options.protocol,
                 options.listen.host,
                 http ? http->local_endpoint().port() : persona->local_endpoint().port(),
                 options.control.string());
    io.run();
  } catch (const EnvironmentError& e) {
    spdlog::error("{}", e.what());
    return kExitEnvironment;
  } catch (const std::exception& e) {
    spdlog::error("backend {}: {}", options.name, e.what());
    return kExitEnvironment;
  }
  return kExitOk;
}

}  // namespace lbchaos::backend

#include "harness/deploy/server_node.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "harness/common/errors.h"
#include "harness/deploy/log_tail.h"
#include "harness/observe/readiness.h"

namespace lbchaos::deploy {

namespace {

std::string substitute(std::string text, const std::string& name, const std::string& value) {
  for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
    text.replace(at, name.size(), value);
  }
  return text;
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

// The small `lbchaos-backend` next to this executable (what a build and an install put there);
// without it, this executable's own `backend` command.
std::pair<std::filesystem::path, std::vector<std::string>> builtin_backend_command() {
  static const auto self = process::self_executable();
  static const auto lean = self.parent_path() / "lbchaos-backend";
  std::error_code ec;
  static const bool has_lean = std::filesystem::is_regular_file(lean, ec);
  if (has_lean) return {lean, {}};
  return {self, {"backend"}};
}

std::string file_safe(const std::string& key) {
  std::string out = key;
  for (char& c : out) {
    if (c == '/') c = '.';
  }
  return out;
}

}  // namespace

ServerNode::ServerNode(ServerNodeSpec spec, const RunLayout& layout, int index)
    : spec_(std::move(spec)),
      reservation_(spec_.settings.address),
      endpoint_{spec_.settings.address, reservation_.port()},
      control_socket_(layout.nodes_dir / fmt::format("n{}.ctl", index)),
      log_file_(layout.logs_dir / (file_safe(key()) + ".log")),
      environment_(layout.environment()) {}

process::SpawnSpec ServerNode::spawn_spec() const {
  process::SpawnSpec spawn;
  spawn.log_file = log_file_;
  spawn.working_dir = spec_.working_dir;
  spawn.extra_env = environment_;
  if (is_builtin()) {
    const auto& s = spec_.settings;
    auto [executable, args] = builtin_backend_command();
    spawn.executable = std::move(executable);
    spawn.args = std::move(args);
    spawn.args.insert(spawn.args.end(), {
                  "--name", key(),
                  "--listen", endpoint_.to_string(),
                  "--control", control_socket_.string(),
                  "--latency", fmt::format("{}us", std::chrono::duration_cast<std::chrono::microseconds>(s.latency).count()),
                  "--max-inflight", std::to_string(s.max_inflight),
                  "--overload", std::string(topology::to_string(s.overload)),
                  "--health-path", spec_.health_path});
    if (spec_.health_status != 200 || spec_.health_body != "ok\n") {
      spawn.args.insert(spawn.args.end(), {"--health-status", std::to_string(spec_.health_status),
                                           "--health-body", spec_.health_body});
    }
    if (spec_.protocol != "http") {
      spawn.args.insert(spawn.args.end(), {"--protocol", spec_.protocol});
      for (const auto& [sent, answered] : spec_.tcp_script) {
        spawn.args.push_back("--tcp-reply");
        spawn.args.push_back(hex(sent) + ":" + hex(answered));
      }
    }
    return spawn;
  }
  std::vector<std::string> argv;
  for (const auto& arg : spec_.settings.command) {
    argv.push_back(substitute(substitute(arg, "{port}", std::to_string(endpoint_.port)),
                              "{address}", endpoint_.host));
  }
  spawn.executable = process::find_executable(argv.front());
  spawn.args.assign(argv.begin() + 1, argv.end());
  return spawn;
}

void ServerNode::start(boost::asio::io_context& io) {
  // A command backend may not set SO_REUSEPORT, so it needs the port truly free.
  if (!is_builtin()) reservation_.release();
  stopping_ = false;
  child_ = std::make_unique<process::ChildProcess>(io, spawn_spec());
  child_->on_exit([this](const process::ExitStatus& status) {
    if (!stopping_) spdlog::warn("node {} (pid {}) exited: {}", key(), pid(), status.to_string());
  });
}

boost::asio::awaitable<bool> ServerNode::wait_listening(MonoTime deadline,
                                                        std::function<bool()> give_up) {
  co_return co_await observe::wait_until_accepting(
      endpoint_, deadline, [this, give_up = std::move(give_up)] { return !running() || give_up(); });
}

boost::asio::awaitable<void> ServerNode::stop(std::chrono::nanoseconds grace) {
  if (!child_) co_return;
  stopping_ = true;
  co_await child_->stop(grace);
}

std::string ServerNode::log_tail(std::size_t max_lines) const {
  return read_log_tail(log_file_, max_lines);
}

}  // namespace lbchaos::deploy

#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lbchaos::observe {

// What `show proc` on haproxy's master CLI says.
struct ProcessList {
  int master_pid = 0;
  int reloads = 0;
  int failed_reloads = 0;        // "[failed: N]" — a refused config leaves the old worker serving
  std::vector<int> worker_pids;  // current and old workers
};

[[nodiscard]] ProcessList parse_show_proc(std::string_view text);

// The master CLI of one haproxy instance (run with -W -S <socket>).
class MasterCli {
 public:
  explicit MasterCli(std::filesystem::path socket) : socket_(std::move(socket)) {}

  boost::asio::awaitable<ProcessList> show_proc() const;
  // Asks the master to reload its configuration file. haproxy 2.6 answers nothing: compare
  // show_proc() before and after to learn whether the new config was loaded or refused.
  boost::asio::awaitable<void> reload() const;

  [[nodiscard]] const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
};

}  // namespace lbchaos::observe

#include "harness/observe/master_cli.h"

#include <charconv>
#include <sstream>

#include "harness/observe/unix_cli.h"

namespace lbchaos::observe {

namespace {

int leading_int(std::string_view text) {
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

ProcessList parse_show_proc(std::string_view text) {
  // #<PID>  <type>  <reloads>  <uptime>  <version>
  // 3625    master  0 [failed: 0]  0d00h00m00s  2.6.12
  // 3628    worker  0  ...
  ProcessList list;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string pid, type, reloads;
    fields >> pid >> type >> reloads;
    if (type == "master") {
      list.master_pid = leading_int(pid);
      list.reloads = leading_int(reloads);
      if (const auto failed = line.find("[failed: "); failed != std::string::npos) {
        list.failed_reloads = leading_int(std::string_view(line).substr(failed + 9));
      }
    } else if (type == "worker") {
      list.worker_pids.push_back(leading_int(pid));
    }
  }
  return list;
}

boost::asio::awaitable<ProcessList> MasterCli::show_proc() const {
  co_return parse_show_proc(co_await cli_request(socket_, "show proc"));
}

boost::asio::awaitable<void> MasterCli::reload() const {
  co_await cli_request(socket_, "reload");
}

}  // namespace lbchaos::observe

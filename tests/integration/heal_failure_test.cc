// A heal that fails is reported as failed: web1 (python's http.server) is killed, and before
// its heal another listener takes its port, so starting it again cannot work. The journal must
// say heal_failed with the error and no healed_at_s, the console must name it, the run is an
// error (exit 1, a JUnit <error>), and nothing of the run is left.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>

#include "tests/integration/support/lbchaos_process.h"
#include "tests/integration/support/scenario_run.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::HasSubstr;

const std::string kData = std::string(LBCHAOS_TEST_DATA) + "/integration/heal_failure/";

// The run's process whose command line contains `needle`, once it exists.
std::optional<pid_t> wait_for_process(const std::filesystem::path& run_dir,
                                      const std::string& needle) {
  std::optional<pid_t> found;
  eventually([&] {
    for (const pid_t pid : processes_of_run(run_dir.string())) {
      std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (cmdline.find(needle) != std::string::npos) found = pid;
    }
    return found.has_value();
  }, 20s);
  return found;
}

// The loopback port `pid` listens on, read from its /proc entries.
std::optional<int> listening_port(pid_t pid) {
  const std::string net = read_file("/proc/" + std::to_string(pid) + "/net/tcp");
  std::istringstream lines(net);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state != "0A") continue;
    const int port = std::stoi(local.substr(local.rfind(':') + 1), nullptr, 16);
    // Only a socket of this process (its fd table names the inode).
    std::string rest, inode;
    for (int i = 0; i < 6 && fields >> rest; ++i) inode = rest;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) +
                                                              "/fd")) {
      std::error_code ec;
      if (std::filesystem::read_symlink(fd.path(), ec).string() == "socket:[" + inode + "]") {
        return port;
      }
    }
  }
  return std::nullopt;
}

// A listener on 127.0.0.1:`port`, as another program that took the port would hold it.
class PortSquatter {
 public:
  explicit PortSquatter(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listening_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                 ::listen(fd_, 16) == 0;
  }
  ~PortSquatter() { ::close(fd_); }
  PortSquatter(const PortSquatter&) = delete;
  PortSquatter& operator=(const PortSquatter&) = delete;
  [[nodiscard]] bool listening() const { return listening_; }

 private:
  int fd_;
  bool listening_ = false;
};

TEST(HealFailure, APortTakenBeforeTheHealIsAFailedHealNotAHealedFault) {
  const TempDir out;
  const auto junit = out / "junit.xml";
  RunningScenario running({.scenario = kData + "kill_port_taken.toml",
                           // The test takes web1's port from its own network namespace.
                           .extra_args = {"--junit", junit.string(), "--no-isolate"}});
  const auto web1 = wait_for_process(running.dir(), "http.server");
  ASSERT_TRUE(web1) << running.process().output();
  // Nodes start concurrently: wait until web1 listens, then take its port.
  std::optional<int> port;
  eventually([&] { return (port = listening_port(*web1)).has_value(); }, 10s);
  ASSERT_TRUE(port) << "web1 (pid " << *web1 << ") listens on no port";
  // The kill at 1s; the heal comes 2s later.
  ASSERT_TRUE(eventually([&] { return !process_running(*web1); }, 20s));
  const PortSquatter squatter(*port);
  ASSERT_TRUE(squatter.listening()) << "cannot take port " << *port;

  const ScenarioRun run = running.finish();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(run.clean());
  ASSERT_TRUE(run.scenario.is_object()) << run.output;

  const auto events = fault_events(run.scenario, "kill", "app/web1");
  ASSERT_EQ(events.size(), 1U) << run.scenario.at("fault_events").dump(1);
  const auto& kill = events[0];
  EXPECT_EQ(kill.value("heal_failed", false), true) << kill.dump(1);
  EXPECT_FALSE(kill.contains("healed_at_s")) << kill.dump(1);
  // Whether the wait met the other listener first or saw web1 exit, unable to bind.
  EXPECT_THAT(kill.value("heal_error", ""), HasSubstr("did not listen again after a restart"));
  EXPECT_EQ(run.scenario.at("outcome"), "error");

  EXPECT_THAT(run.output, HasSubstr("HEAL FAILED: kill app/web1"));
  const std::string xml = read_file(junit);
  EXPECT_THAT(xml, HasSubstr("<error message=\"heal failed, the fault may still be in place: "
                             "kill app/web1"));
}

}  // namespace
}  // namespace lbchaos

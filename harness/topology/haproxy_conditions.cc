#include "harness/topology/haproxy_conditions.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <string_view>

extern char** environ;

namespace lbchaos::topology {
namespace {

constexpr std::string_view kMarker = "lbchaos-active-";

std::string_view first_word(const std::string& line) {
  const auto begin = line.find_first_not_of(" \t");
  if (begin == std::string::npos) return {};
  const auto end = line.find_first_of(" \t#", begin);
  return std::string_view(line).substr(begin, end == std::string::npos ? end : end - begin);
}

bool is_environment_line(std::string_view word) {
  return word == "setenv" || word == "presetenv" || word == "resetenv" || word == "unsetenv";
}

// The probe config described in the header.
std::string probe_text(const std::vector<std::string>& lines) {
  std::string text;
  bool in_global = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto word = first_word(lines[i]);
    if (word == "global") in_global = true;
    else if (!word.empty() && word.front() != '.' && word != "global" &&
             (word == "defaults" || word == "frontend" || word == "backend" || word == "listen" ||
              word == "peers" || word == "resolvers" || word == "userlist" || word == "cache" ||
              word == "program" || word == "http-errors" || word == "ring" || word == "mailers" ||
              word == "log-forward" || word == "fcgi-app")) {
      in_global = false;
    }
    if (is_condition_directive(lines[i]) || word == "global" ||
        (in_global && is_environment_line(word))) {
      text += lines[i];
    } else if (!word.empty()) {
      text += fmt::format(".notice \"{}{}\"", kMarker, i + 1);
    }
    text += '\n';
  }
  return text;
}

struct ProbeOutput {
  bool ran = false;
  int status = -1;
  std::string output;
};

ProbeOutput run_probe(const std::string& binary, const std::filesystem::path& file,
                      const std::map<std::string, std::string>& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (!env.contains(std::string(name))) env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args{binary, "-c", "-f", file.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int spawned =
      ::posix_spawnp(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  ProbeOutput result;
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return result;
  }
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.ran = WIFEXITED(status) && WEXITSTATUS(status) != 127;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class ProbeFile {
 public:
  ProbeFile() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = fmt::format("{}/lbchaos-if-XXXXXX", base != nullptr ? base : "/tmp");
    if (::mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~ProbeFile() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  ProbeFile(const ProbeFile&) = delete;
  ProbeFile& operator=(const ProbeFile&) = delete;

  [[nodiscard]] bool ok() const { return !dir_.empty(); }
  [[nodiscard]] std::filesystem::path path() const { return dir_ / "conditions.cfg"; }

 private:
  std::filesystem::path dir_;
};

}  // namespace

bool is_condition_directive(const std::string& line) {
  const auto word = first_word(line);
  return word == ".if" || word == ".elif" || word == ".else" || word == ".endif";
}

ConditionalLines evaluate_conditions(const std::vector<std::string>& lines,
                                     const std::string& haproxy_binary,
                                     const std::map<std::string, std::string>& env) {
  ConditionalLines result;
  result.active.assign(lines.size(), true);
  result.directive.assign(lines.size(), false);
  bool any = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_condition_directive(lines[i])) {
      result.directive[i] = true;
      result.active[i] = false;
      any = true;
    }
  }
  if (!any) return result;

  const auto unevaluated = [&] {
    result.evaluated = false;
    for (std::size_t i = 0; i < lines.size(); ++i) result.active[i] = true;
    return result;
  };
  ProbeFile probe;
  if (!probe.ok()) return unevaluated();
  {
    std::ofstream out(probe.path());
    out << probe_text(lines);
    if (!out) return unevaluated();
  }
  const auto output = run_probe(haproxy_binary, probe.path(), env);
  if (!output.ran || output.output.find("[ALERT]") != std::string::npos) return unevaluated();

  std::vector<bool> seen(lines.size(), false);
  const std::regex marker(std::string(kMarker) + "([0-9]+)");
  for (auto it = std::sregex_iterator(output.output.begin(), output.output.end(), marker);
       it != std::sregex_iterator(); ++it) {
    const auto line = std::stoul((*it)[1].str());
    if (line >= 1 && line <= lines.size()) seen[line - 1] = true;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!result.directive[i] && !first_word(lines[i]).empty()) result.active[i] = seen[i];
  }
  return result;
}

}  // namespace lbchaos::topology

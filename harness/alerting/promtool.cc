#include "harness/alerting/promtool.h"

#include <fmt/format.h>

#include "harness/process/run_command.h"

namespace lbchaos::alerting {

using namespace std::chrono_literals;

std::vector<RulesFile> copy_rules_files(const std::vector<std::filesystem::path>& user_files,
                                        const std::vector<SourcePosition>& where,
                                        const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<RulesFile> files;
  for (std::size_t i = 0; i < user_files.size(); ++i) {
    RulesFile file{user_files[i], {}, i < where.size() ? where[i] : SourcePosition{}};
    // One folder per file: two teams' "alerts.yml" must not overwrite each other.
    const auto folder = dir / std::to_string(i + 1);
    std::error_code ec;
    fs::create_directories(folder, ec);
    file.copy = folder / file.user.filename();
    if (!ec) fs::copy_file(file.user, file.copy, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      throw InputError(file.where, fmt::format("cannot read Prometheus rules file {}: {}",
                                               file.user.string(), ec.message()));
    }
    files.push_back(std::move(file));
  }
  return files;
}

std::string in_user_terms(std::string output, const std::vector<RulesFile>& files) {
  for (const auto& file : files) {
    const auto copy = file.copy.string();
    const auto user = file.user.string();
    for (auto at = output.find(copy); at != std::string::npos;
         at = output.find(copy, at + user.size())) {
      output.replace(at, copy.size(), user);
    }
  }
  return output;
}

boost::asio::awaitable<void> check_rules(const std::filesystem::path& promtool,
                                         const std::vector<RulesFile>& files,
                                         const std::filesystem::path& dir) {
  std::vector<std::string> args{"check", "rules"};
  for (const auto& file : files) args.push_back(file.copy.string());
  const auto result = co_await process::run_to_completion(promtool, std::move(args), dir,
                                                          dir / "promtool.log", 30s);
  if (result.status.clean()) co_return;
  auto message = in_user_terms(result.output, files);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  throw InputError(fmt::format("promtool check rules rejected the Prometheus rules ({}):\n{}",
                               result.status.to_string(), message));
}

}  // namespace lbchaos::alerting

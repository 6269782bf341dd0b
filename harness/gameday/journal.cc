#include "harness/gameday/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "harness/common/errors.h"

namespace lbchaos::gameday {

std::string utc_timestamp(std::chrono::system_clock::time_point wall) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", utc, ms.count() % 1000);
}

nlohmann::json journal_entry(std::string_view event, std::chrono::system_clock::time_point wall,
                             double run_seconds, nlohmann::json fields) {
  nlohmann::json entry = nlohmann::json::object();
  entry["wall"] = utc_timestamp(wall);
  entry["t"] = std::round(run_seconds * 1000) / 1000;
  entry["event"] = std::string(event);
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) entry[key] = std::move(value);
  }
  return entry;
}

std::filesystem::path default_journal_path(const std::filesystem::path& base,
                                           std::string_view topology,
                                           std::chrono::system_clock::time_point now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  // A name ("live kill") may hold what a file name should not: kept to [A-Za-z0-9._-].
  std::string name(topology);
  for (char& c : name) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                       c == '-';
    if (!plain) c = '_';
  }
  return std::filesystem::absolute(base /
                                   fmt::format("gameday-{}-{:%Y%m%d-%H%M%S}.jsonl", name, utc));
}

Journal::Journal(std::filesystem::path path, MonoTime start)
    : path_(std::filesystem::absolute(std::move(path))), start_(start) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw EnvironmentError(
        fmt::format("cannot open journal {}: {}", path_.string(), std::strerror(errno)));
  }
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

double Journal::run_seconds(MonoTime at) const {
  return std::chrono::duration<double>(at - start_).count();
}

void Journal::write(std::string_view event, nlohmann::json fields) {
  const auto entry =
      journal_entry(event, std::chrono::system_clock::now(), run_seconds(mono_now()), std::move(fields));
  const std::string line =
      entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error("cannot write to journal {}: {}", path_.string(), std::strerror(errno));
      return;
    }
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace lbchaos::gameday

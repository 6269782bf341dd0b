#include "harness/observe/server_stats.h"

#include <charconv>

namespace lbchaos::observe {

namespace {

// 0-based columns of `show stat` (haproxy management guide, section 9.1).
constexpr std::size_t kPxName = 0;
constexpr std::size_t kSvName = 1;
constexpr std::size_t kStot = 7;
constexpr std::size_t kStatus = 17;
constexpr std::size_t kWeight = 18;
constexpr std::size_t kLbTot = 30;
constexpr std::size_t kCheckStatus = 36;
constexpr std::size_t kCheckDesc = 65;

std::vector<std::string_view> split_csv_line(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

long long to_number(std::string_view text) {
  long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

bool ServerStat::up_and_checked() const {
  if (status == "no check") return true;
  if (status != "UP") return false;  // "UP 1/2" is still transitioning
  std::string_view check = check_status;
  if (check.rfind("* ", 0) == 0) check.remove_prefix(2);
  return check == "L4OK" || check == "L6OK" || check == "L7OK" || check == "L7OKC";
}

std::vector<ServerStat> parse_show_stat(std::string_view csv) {
  std::vector<ServerStat> rows;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto end = csv.find('\n', start);
    if (end == std::string_view::npos) end = csv.size();
    const auto line = csv.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split_csv_line(line);
    if (fields.size() <= kCheckDesc) continue;
    if (fields[kSvName] == "FRONTEND" || fields[kSvName] == "BACKEND") continue;
    ServerStat row;
    row.backend = fields[kPxName];
    row.server = fields[kSvName];
    row.status = fields[kStatus];
    row.weight = static_cast<int>(to_number(fields[kWeight]));
    row.sessions_total = to_number(fields[kStot]);
    row.lb_total = to_number(fields[kLbTot]);
    row.check_status = fields[kCheckStatus];
    row.check_desc = fields[kCheckDesc];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace lbchaos::observe

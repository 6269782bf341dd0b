#include "faults/config_corruption.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <vector>

namespace lbchaos::faults {
namespace {

constexpr std::string_view kIndent = "    ";
// Nothing listens on tcpmux on a loopback test machine, and no run ever reserves it.
constexpr std::string_view kClosedPort = "1";

constexpr std::array<std::string_view, 14> kSectionKeywords{
    "global", "defaults", "frontend", "backend",     "listen", "peers", "resolvers",
    "userlist", "mailers", "program", "http-errors", "ring",   "cache", "fcgi-app"};

// One config line split the way haproxy reads it: words up to an unquoted '#'.
struct Line {
  std::string indent;
  std::vector<std::string> words;
  std::string comment;  // "# ..." (empty when none)

  [[nodiscard]] std::string render() const {
    std::string out = indent + fmt::format("{}", fmt::join(words, " "));
    if (!comment.empty()) out += (words.empty() ? "" : " ") + comment;
    return out;
  }
  [[nodiscard]] bool is(std::string_view keyword) const {
    return !words.empty() && words.front() == keyword;
  }
};

Line parse_line(std::string_view text) {
  Line line;
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  line.indent = std::string(text.substr(0, i));
  std::string word;
  char quote = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      word += c;
      word += text[++i];
    } else if (quote != 0) {
      word += c;
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      word += c;
      quote = c;
    } else if (c == '#') {
      line.comment = std::string(text.substr(i));
      break;
    } else if (c == ' ' || c == '\t') {
      if (!word.empty()) line.words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) line.words.push_back(std::move(word));
  return line;
}

// A section and the `server` lines in it (indices into Config::lines).
struct Section {
  std::string keyword;  // backend, listen, ...
  std::string name;
  std::size_t header = 0;
  std::vector<std::size_t> servers;

  [[nodiscard]] bool is_proxy_with_servers() const {
    return (keyword == "backend" || keyword == "listen") && !servers.empty();
  }
};

struct Config {
  std::vector<std::string> lines;
  bool final_newline = false;
  std::vector<Section> sections;

  explicit Config(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto end = text.find('\n', start);
      if (end == std::string_view::npos) {
        if (start < text.size()) lines.emplace_back(text.substr(start));
        break;
      }
      lines.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    final_newline = !text.empty() && text.back() == '\n';
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const Line line = parse_line(lines[i]);
      if (line.words.empty()) continue;
      const auto& first = line.words.front();
      if (std::find(kSectionKeywords.begin(), kSectionKeywords.end(), first) !=
          kSectionKeywords.end()) {
        sections.push_back(Section{first, line.words.size() > 1 ? line.words[1] : "", i, {}});
      } else if (first == "server" && !sections.empty() && line.words.size() > 1) {
        sections.back().servers.push_back(i);
      }
    }
  }

  [[nodiscard]] std::string text() const {
    std::string out = fmt::format("{}", fmt::join(lines, "\n"));
    if (final_newline) out += '\n';
    return out;
  }

  // The first backend or listen section with a server line: where a change would be made.
  [[nodiscard]] const Section& first_pool() const {
    for (const auto& section : sections) {
      if (section.is_proxy_with_servers()) return section;
    }
    throw std::invalid_argument(
        "the config has no server line in a backend or listen section: nothing to corrupt");
  }

  // Inserts a line after line `index`, keeping the sections' line numbers right.
  void insert_after(std::size_t index, std::string text) {
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(index) + 1, std::move(text));
    for (auto& section : sections) {
      if (section.header > index) ++section.header;
      for (auto& server : section.servers) {
        if (server > index) ++server;
      }
    }
  }
};

std::string server_name(const Config& config, std::size_t line) {
  return parse_line(config.lines[line]).words[1];
}

// "web3" -> "web4" (the next free number); "api" -> "api2".
std::string next_server_name(const Config& config, const Section& pool, const std::string& last) {
  std::set<std::string> taken;
  for (const auto index : pool.servers) taken.insert(server_name(config, index));
  auto digits = last.size();
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(last[digits - 1])) != 0) --digits;
  const std::string stem = last.substr(0, digits);
  int number = digits < last.size() ? std::stoi(last.substr(digits)) + 1 : 2;
  while (taken.count(stem + std::to_string(number)) != 0) ++number;
  return stem + std::to_string(number);
}

std::string indent_of(const Config& config, const Section& pool) {
  const Line first = parse_line(config.lines[pool.servers.front()]);
  return first.indent.empty() ? std::string(kIndent) : first.indent;
}

Corruption syntax_error_new_server(Config config) {
  const Section pool = config.first_pool();
  Line added = parse_line(config.lines[pool.servers.back()]);
  const std::string name = next_server_name(config, pool, added.words[1]);
  added.words[1] = name;
  added.comment.clear();
  const auto check = std::find(added.words.begin() + 2, added.words.end(), "check");
  if (check != added.words.end()) {
    *check = "chekc";
  } else {
    added.words.insert(added.words.begin() + std::min<std::ptrdiff_t>(3, std::ssize(added.words)),
                       "chekc");
  }
  config.insert_after(pool.servers.back(), added.render());
  return {config.text(), fmt::format("added server {} to {} {} with a typo: 'chekc' for 'check' "
                                     "(line {})",
                                     name, pool.keyword, pool.name, pool.servers.back() + 2)};
}

Corruption unknown_keyword(Config config) {
  const Section pool = config.first_pool();
  for (std::size_t i = pool.header + 1; i < pool.servers.front(); ++i) {
    Line line = parse_line(config.lines[i]);
    if (!line.is("balance")) continue;
    line.words.front() = "balanse";
    config.lines[i] = line.render();
    return {config.text(), fmt::format("misspelled 'balance' as 'balanse' in {} {} (line {})",
                                       pool.keyword, pool.name, i + 1)};
  }
  config.insert_after(pool.header, indent_of(config, pool) + "balanse roundrobin");
  return {config.text(), fmt::format("added the misspelled keyword 'balanse roundrobin' to {} {} "
                                     "(line {})",
                                     pool.keyword, pool.name, pool.header + 2)};
}

Corruption truncated(const Config& config) {
  const Section& pool = config.first_pool();
  const std::size_t cut_line = pool.servers[pool.servers.size() / 2];
  const Line line = parse_line(config.lines[cut_line]);
  std::string text;
  for (std::size_t i = 0; i < cut_line; ++i) text += config.lines[i] + "\n";
  // A write cut short: the last line has no address and no final newline.
  text += line.indent + "server " + line.words[1];
  return {std::move(text),
          fmt::format("cut the file in {} {} after 'server {}' on line {} of {}, without a final "
                      "newline",
                      pool.keyword, pool.name, line.words[1], cut_line + 1, config.lines.size())};
}

Corruption checks_removed(Config config) {
  int changed = 0;
  for (auto& text : config.lines) {
    Line line = parse_line(text);
    if (!line.is("server") && !line.is("default-server")) continue;
    const auto before = line.words.size();
    std::erase(line.words, "check");
    if (line.words.size() == before) continue;
    text = line.render();
    ++changed;
  }
  if (changed == 0) {
    throw std::invalid_argument(
        "no server line has 'check': there are no health checks to remove");
  }
  return {config.text(), fmt::format("removed 'check' from {} server line{}: haproxy no longer "
                                     "notices a dead server",
                                     changed, changed == 1 ? "" : "s")};
}

void set_weight(Line& line, std::string_view weight) {
  const auto it = std::find(line.words.begin() + 2, line.words.end(), "weight");
  if (it != line.words.end() && it + 1 != line.words.end()) {
    *(it + 1) = std::string(weight);
  } else {
    if (it != line.words.end()) line.words.erase(it);
    line.words.emplace_back("weight");
    line.words.emplace_back(weight);
  }
}

Corruption all_weights_but_one_zero(Config config) {
  std::vector<std::string> changes;
  for (const auto& section : config.sections) {
    if (!section.is_proxy_with_servers()) continue;
    std::vector<std::string> zeroed;
    std::string kept;
    for (const auto index : section.servers) {
      Line line = parse_line(config.lines[index]);
      if (std::find(line.words.begin(), line.words.end(), "backup") != line.words.end()) continue;
      if (kept.empty()) {
        kept = line.words[1];
        continue;
      }
      set_weight(line, "0");
      line.comment.clear();
      config.lines[index] = line.render();
      zeroed.push_back(line.words[1]);
    }
    if (!zeroed.empty()) {
      changes.push_back(fmt::format("{} {}: weight 0 on {}, so {} takes all the traffic",
                                    section.keyword, section.name, fmt::join(zeroed, ", "), kept));
    }
  }
  if (changes.empty()) {
    throw std::invalid_argument(
        "no backend has two servers that are not backups: there is no weight to set to 0");
  }
  return {config.text(), fmt::format("{}", fmt::join(changes, "; "))};
}

Corruption wrong_server_port(Config config) {
  const Section& pool = config.first_pool();
  const std::size_t index = pool.servers.front();
  Line line = parse_line(config.lines[index]);
  if (line.words.size() < 3) {
    throw std::invalid_argument(
        fmt::format("server {} on line {} has no address", line.words[1], index + 1));
  }
  std::string& address = line.words[2];
  const std::string before = address;
  const auto colon = address.rfind(':');
  const bool has_port =
      colon != std::string::npos && colon + 1 < address.size() &&
      std::all_of(address.begin() + static_cast<std::ptrdiff_t>(colon) + 1, address.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  address = has_port ? address.substr(0, colon + 1) + std::string(kClosedPort)
                     : address + ":" + std::string(kClosedPort);
  config.lines[index] = line.render();
  return {config.text(), fmt::format("pointed server {} of {} {} at {} (was {}), where nothing "
                                     "listens",
                                     line.words[1], pool.keyword, pool.name, address, before)};
}

}  // namespace

Corruption corrupt(std::string_view good, std::string_view mode) {
  if (mode == kUnchangedMode) {
    return {std::string(good), "the running config, unchanged (a graceful reload)"};
  }
  Config config(good);
  if (mode == "syntax_error_new_server") return syntax_error_new_server(std::move(config));
  if (mode == "unknown_keyword") return unknown_keyword(std::move(config));
  if (mode == "truncated") return truncated(config);
  if (mode == "checks_removed") return checks_removed(std::move(config));
  if (mode == "all_weights_but_one_zero") return all_weights_but_one_zero(std::move(config));
  if (mode == "wrong_server_port") return wrong_server_port(std::move(config));
  throw std::invalid_argument(fmt::format("unknown config_corrupt mode '{}' (modes: {})", mode,
                                          fmt::join(kCorruptionModes, ", ")));
}

}  // namespace lbchaos::faults

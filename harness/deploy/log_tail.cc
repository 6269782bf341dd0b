#include "harness/deploy/log_tail.h"

#include <deque>
#include <fstream>

namespace lbchaos::deploy {

std::string read_log_tail(const std::filesystem::path& file, std::size_t max_lines) {
  std::ifstream in(file);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string text;
  for (const auto& l : lines) text += "\n    | " + l;
  return text;
}

}  // namespace lbchaos::deploy

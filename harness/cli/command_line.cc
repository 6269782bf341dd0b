#include "harness/cli/command_line.h"

#include <filesystem>
#include <string_view>

namespace lbchaos::cli {

namespace {

std::string& stored() {
  static std::string line;
  return line;
}

std::string shell_quoted(std::string_view arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") ==
      std::string_view::npos;
  if (plain) return std::string(arg);
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void remember_command_line(int argc, const char* const* argv) {
  std::string line = "lbchaos";
  for (int i = 1; i < argc; ++i) line += " " + shell_quoted(argv[i]);
  stored() = line;
}

const std::string& command_line() { return stored(); }

}  // namespace lbchaos::cli

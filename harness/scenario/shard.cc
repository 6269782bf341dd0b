#include "harness/scenario/shard.h"

#include <fmt/format.h>

#include <charconv>

#include "harness/common/errors.h"

namespace lbchaos::scenario {

namespace {

bool parse_int(std::string_view text, int& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  Shard shard;
  if (slash == std::string_view::npos || !parse_int(text.substr(0, slash), shard.index) ||
      !parse_int(text.substr(slash + 1), shard.total) || shard.total < 1 || shard.index < 1 ||
      shard.index > shard.total) {
    throw InputError(fmt::format(
        "--shard {}: expected I/N with 1 <= I <= N (e.g. 2/3: the second of three shards)", text));
  }
  return shard;
}

std::uint64_t fnv1a_64(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

int shard_of(const std::string& relative_path, std::uint64_t seed, int total) {
  if (total <= 1) return 1;
  const auto hash = fnv1a_64(fmt::format("{}\n{}", relative_path, seed));
  return static_cast<int>(hash % static_cast<std::uint64_t>(total)) + 1;
}

std::string suite_relative_path(const std::filesystem::path& file,
                                const std::vector<std::string>& roots) {
  const auto normal = file.lexically_normal();
  for (const auto& root : roots) {
    std::filesystem::path r = std::filesystem::path(root).lexically_normal();
    if (!r.has_filename()) r = r.parent_path();  // "suite/" -> "suite"
    if (normal == r) return normal.filename().generic_string();
    const auto relative = normal.lexically_relative(r);
    if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
  }
  return normal.filename().generic_string();
}

}  // namespace lbchaos::scenario

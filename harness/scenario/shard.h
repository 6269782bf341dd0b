#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

// `run --shard I/N`: a deterministic 1/N of a suite, so CI runners split it without talking to
// each other. A scenario's shard is a stable hash (64-bit FNV-1a) of its path relative to the
// folder or file it was named by, and of its seed: the same suite and seeds split the same way on
// every machine, and every scenario falls in exactly one shard.
namespace lbchaos::scenario {

struct Shard {
  int index = 1;  // 1..total
  int total = 1;
};

// "2/3" -> {2, 3}. Throws InputError for anything else ("0/3", "4/3", "a/b", "3").
[[nodiscard]] Shard parse_shard(std::string_view text);

[[nodiscard]] std::uint64_t fnv1a_64(std::string_view bytes);

// The shard (1..total) of the scenario with this relative path and seed.
[[nodiscard]] int shard_of(const std::string& relative_path, std::uint64_t seed, int total);

// `file` relative to the first of `roots` (folders or files given on the command line) that
// holds it, with '/' separators: "lb-host-lost/single-lb.toml" for a file found under
// topologies/incidents; a file named directly is its file name.
[[nodiscard]] std::string suite_relative_path(const std::filesystem::path& file,
                                              const std::vector<std::string>& roots);

}  // namespace lbchaos::scenario

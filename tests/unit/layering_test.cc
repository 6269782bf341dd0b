// The folders of the harness are layers (docs/architecture.md): a folder may include its own
// headers and those of any folder in a layer below it, never one beside or above it. This test
// reads every `#include "..."` line of harness/ and faults/ and names each one that climbs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace lbchaos {
namespace {

namespace fs = std::filesystem;

// The one written order, bottom to top. Folders in the same layer may not include each other.
// A folder that does not exist yet (validate/, gameday/) still has its place.
const std::vector<std::vector<std::string_view>> kLayers{
    {"harness/common"},
    {"harness/topology", "harness/process"},
    {"harness/backend", "harness/traffic", "harness/observe"},
    {"harness/deploy"},
    {"harness/alerting"},  // the alert engines run beside the deployment; the model records them
    {"harness/model"},     // the scenario model, run events, the recording and its timeline
    {"faults", "harness/probes"},
    {"harness/scenario"},  // loader, pre-flight, random schedule, runner, result
    {"harness/validate", "harness/gameday"},
    {"harness/report"},
    {"harness/cli"},
    {"harness/backend_binary"},  // lbchaos-backend's main: the backend command alone
};

// The layer of a folder ("harness/deploy", "faults"), or nullopt for one the order lacks.
std::optional<std::size_t> layer_of(std::string_view folder) {
  for (std::size_t i = 0; i < kLayers.size(); ++i) {
    for (const std::string_view name : kLayers[i]) {
      if (name == folder) return i;
    }
  }
  return std::nullopt;
}

// "harness/deploy/deployment.h" -> "harness/deploy"; "faults/process.h" -> "faults".
std::string folder_of(std::string_view path) {
  if (path.starts_with("faults/")) return "faults";
  const auto first = path.find('/');
  if (first == std::string_view::npos) return std::string(path);
  const auto second = path.find('/', first + 1);
  return std::string(path.substr(0, second));
}

struct Include {
  std::string file;  // relative to the source tree
  int line = 0;
  std::string target;  // the quoted path
};

std::vector<Include> includes_under(const fs::path& root, std::string_view top) {
  static const std::regex kInclude(R"re(^\s*#\s*include\s+"([^"]+)")re");
  std::vector<Include> out;
  for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
    std::ifstream in(entry.path());
    int number = 0;
    for (std::string text; std::getline(in, text);) {
      ++number;
      std::smatch match;
      if (std::regex_search(text, match, kInclude)) {
        out.push_back(Include{fs::relative(entry.path(), root).string(), number, match[1].str()});
      }
    }
  }
  return out;
}

// What is wrong with one include line, or nullopt when it keeps to the layers.
std::optional<std::string> climbs(const Include& include) {
  const std::string from = folder_of(include.file);
  const std::string to = folder_of(include.target);
  if (from == to) return std::nullopt;
  const auto from_layer = layer_of(from);
  const auto to_layer = layer_of(to);
  const std::string where = include.file + ":" + std::to_string(include.line);
  if (!from_layer) return where + ": folder " + from + " has no place in the layer order";
  if (!to_layer) return where + ": includes " + include.target + " from a folder with no layer";
  if (*to_layer < *from_layer) return std::nullopt;
  return where + ": " + from + " includes " + include.target + ", which is " +
         (*to_layer == *from_layer ? "in the same layer" : "in a layer above it");
}

TEST(Layering, FolderOfAnIncludedPath) {
  EXPECT_EQ(folder_of("harness/deploy/deployment.h"), "harness/deploy");
  EXPECT_EQ(folder_of("faults/process.h"), "faults");
}

TEST(Layering, AClimbingIncludeIsNamedWithItsFileAndLine) {
  EXPECT_EQ(climbs(Include{"harness/model/model.h", 7, "harness/scenario/result.h"}),
            "harness/model/model.h:7: harness/model includes harness/scenario/result.h, which is "
            "in a layer above it");
  EXPECT_EQ(climbs(Include{"faults/process.cc", 3, "harness/probes/probe.h"}),
            "faults/process.cc:3: faults includes harness/probes/probe.h, which is in the same "
            "layer");
  EXPECT_EQ(climbs(Include{"harness/cli/main.cc", 1, "harness/report/format.h"}), std::nullopt);
  EXPECT_EQ(climbs(Include{"faults/process.cc", 1, "faults/catalogue.h"}), std::nullopt);
}

TEST(Layering, NoFolderIncludesAFolderAboveIt) {
  const fs::path root = LBCHAOS_SOURCE_DIR;
  std::vector<std::string> problems;
  std::size_t checked = 0;
  for (const std::string_view top : {"harness", "faults"}) {
    for (const auto& include : includes_under(root, top)) {
      ++checked;
      if (auto problem = climbs(include)) problems.push_back(std::move(*problem));
    }
  }
  EXPECT_GT(checked, 100U) << "the include lines were not found under " << root;
  EXPECT_THAT(problems, ::testing::IsEmpty());
}

}  // namespace
}  // namespace lbchaos

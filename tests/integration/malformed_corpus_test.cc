// Every malformed topology in the corpus, through the real binary: exit 2, file:line:col, and
// nothing started (no run directory is even created).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "tests/integration/support/lbchaos_process.h"

namespace lbchaos {
namespace {

using namespace test_support;
using ::testing::HasSubstr;

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(LBCHAOS_TEST_DATA) + "/malformed")) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The corpus header: "# expect: 7:11 substring".
struct Expectation {
  std::string position;
  std::string substring;
};

Expectation expectation_of(const std::string& file) {
  const std::string first_line = read_file(file).substr(0, read_file(file).find('\n'));
  const std::regex header(R"(# expect: (\d+:\d+) (.*))");
  std::smatch match;
  if (!std::regex_match(first_line, match, header)) return {};
  return {match[1], match[2]};
}

class MalformedTopology : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedTopology, UpExitsTwoWithFileLineColumnAndStartsNothing) {
  const std::string file = GetParam();
  const auto expected = expectation_of(file);
  ASSERT_FALSE(expected.position.empty()) << file << " has no '# expect: L:C text' header";
  TempDir dir;
  LbchaosProcess lbchaos({"up", file}, dir.path());
  EXPECT_EQ(lbchaos.exit_code(), 2) << lbchaos.output();
  EXPECT_THAT(lbchaos.err(), HasSubstr(file + ":" + expected.position + ": "));
  EXPECT_THAT(lbchaos.err(), HasSubstr(expected.substring));
  EXPECT_TRUE(run_directories_in(dir.path()).empty()) << "a run directory was created";
  EXPECT_TRUE(processes_of_run(dir.path().string()).empty());
}

INSTANTIATE_TEST_SUITE_P(Corpus, MalformedTopology, ::testing::ValuesIn(corpus_files()),
                         [](const auto& param_info) {
                           auto name = std::filesystem::path(param_info.param).stem().string();
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(MalformedCorpus, HasAtLeastFifteenFiles) { EXPECT_GE(corpus_files().size(), 15u); }

}  // namespace
}  // namespace lbchaos

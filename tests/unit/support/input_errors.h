#pragma once

// What the loader tests share: catching the InputError a bad file must raise, and the
// malformed-file corpora (tests/data/malformed*, tests/data/rules/bad), whose every file starts
// with "# expect: LINE:COL message fragment". Header-only (tests/unit/*_test.cc is globbed).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "harness/common/errors.h"

namespace lbchaos::test_support {

// Runs `load` and returns the InputError it throws; fails the test when nothing is thrown.
template <typename Load>
InputError expect_input_error(Load load) {
  try {
    load();
  } catch (const InputError& error) {
    return error;
  }
  ADD_FAILURE() << "expected an InputError";
  return InputError("nothing thrown");
}

// One corpus file and the error it must produce.
struct CorpusCase {
  std::filesystem::path file;
  int line = 0;  // 0: the header is missing or malformed
  int column = 0;
  std::string substring;
  std::filesystem::path error_file;  // where the mistake is: the file, or what "# in:" names
};

// Every *.toml directly in `dir`, sorted (so test names are stable).
inline std::vector<std::filesystem::path> corpus_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".toml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The first line of a corpus file: "# expect: 7:11 not loopback". An optional second line
// "# in: support/broken.toml.in" says the error is in that file (relative to this one).
inline CorpusCase read_case(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string header;
  std::string second;
  std::getline(in, header);
  std::getline(in, second);
  static const std::regex kHeader(R"(^# expect: (\d+):(\d+) (.+)$)");
  static const std::regex kIn(R"(^# in: (.+)$)");
  std::smatch match;
  CorpusCase c;
  c.file = file;
  c.error_file = file;
  if (std::regex_match(header, match, kHeader)) {
    c.line = std::stoi(match[1]);
    c.column = std::stoi(match[2]);
    c.substring = match[3];
  }
  if (std::regex_match(second, match, kIn)) {
    c.error_file = (file.parent_path() / match[1].str()).lexically_normal();
  }
  return c;
}

}  // namespace lbchaos::test_support

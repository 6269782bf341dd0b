#include "harness/common/toml_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

namespace lbchaos {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses `text` as "t.toml" and reads its top level.
struct Doc {
  explicit Doc(std::string_view text) : toml(parse_toml(text, "t.toml")) {}
  [[nodiscard]] TableReader root() const { return TableReader(toml.root, toml.file, "[t]"); }
  TomlFile toml;
};

template <typename Read>
std::string error_of(Read read) {
  try {
    read();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(TomlReader, SyntaxErrorsCarryTheirPosition) {
  EXPECT_THAT(error_of([] { (void)parse_toml("a = 1\nb = \n", "x.toml"); }),
              StartsWith("x.toml:2:5: TOML syntax error: "));
}

TEST(TomlReader, ReadsTypedValues) {
  const Doc doc(R"(
s = "text"
i = 42
f = 0.25
b = true
d = "1.5s"
p1 = "99.9%"
p2 = 0.999
p3 = 1
a = ["x", "y"]
t = { k = 1 }
)");
  const TableReader r = doc.root();
  EXPECT_EQ(r.string("s"), "text");
  EXPECT_EQ(r.integer("i"), 42);
  EXPECT_EQ(r.integer_in("i", 0, 100), 42);
  EXPECT_EQ(r.number("i"), 42.0);
  EXPECT_EQ(r.number("f"), 0.25);
  EXPECT_EQ(r.boolean("b"), true);
  EXPECT_EQ(r.duration("d"), Duration(1500ms));
  EXPECT_NEAR(*r.percentage("p1"), 0.999, 1e-12);
  EXPECT_NEAR(*r.percentage("p2"), 0.999, 1e-12);
  EXPECT_EQ(r.percentage("p3"), 1.0);
  EXPECT_EQ(r.string_array("a"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r.table("t", "[t.t]")->integer("k"), 1);
  EXPECT_EQ(r.string("absent"), std::nullopt);
  EXPECT_EQ(r.duration("absent"), std::nullopt);
  EXPECT_TRUE(r.table_array("absent", "[x]").empty());
}

TEST(TomlReader, WrongTypesSayWhatWasExpectedAndFound) {
  const Doc doc("d = 500\ns = 5\nb = \"yes\"\nt = 1.5\n");
  const TableReader r = doc.root();
  EXPECT_EQ(error_of([&] { (void)r.duration("d"); }),
            "t.toml:1:5: d: expected a duration string like \"500ms\", found integer 500");
  EXPECT_EQ(error_of([&] { (void)r.string("s"); }),
            "t.toml:2:5: s: expected a string, found integer 5");
  EXPECT_EQ(error_of([&] { (void)r.boolean("b"); }),
            "t.toml:3:5: b: expected true or false, found string \"yes\"");
  EXPECT_EQ(error_of([&] { (void)r.table("t", "[t]"); }),
            "t.toml:4:5: t: expected a table, found float 1.5");
}

TEST(TomlReader, BadDurationsExplainTheUnits) {
  const Doc doc("a = \"500\"\nb = \"5 sec\"\nc = \"0s\"\n");
  const TableReader r = doc.root();
  EXPECT_THAT(error_of([&] { (void)r.duration("a"); }),
              StartsWith("t.toml:1:5: a: duration \"500\" has no unit;"));
  EXPECT_THAT(error_of([&] { (void)r.duration("b"); }),
              StartsWith("t.toml:2:5: b: \"5 sec\" is not a duration;"));
  EXPECT_EQ(r.duration("c"), Duration(0));
  EXPECT_EQ(error_of([&] { (void)r.positive_duration("c"); }),
            "t.toml:3:5: c must be greater than 0, found \"0s\"");
}

TEST(TomlReader, PercentagesMustBeRatiosOrPercentStrings) {
  const Doc doc("a = 99.9\nb = \"120%\"\nc = \"abc%\"\n");
  const TableReader r = doc.root();
  for (const auto* key : {"a", "b", "c"}) {
    EXPECT_THAT(error_of([&] { (void)r.percentage(key); }),
                HasSubstr("expected a percentage like \"99.9%\" or a ratio between 0 and 1"))
        << key;
  }
}

TEST(TomlReader, IntegerRangesAndChoices) {
  const Doc doc("w = 300\nm = 0\nbal = \"rr\"\n");
  const TableReader r = doc.root();
  EXPECT_EQ(error_of([&] { (void)r.integer_in("w", 0, 256); }),
            "t.toml:1:5: w must be between 0 and 256, found 300");
  EXPECT_EQ(error_of([&] { (void)r.integer_in("m", 1); }),
            "t.toml:2:5: m must be at least 1, found 0");
  constexpr std::array<std::string_view, 2> kChoices{"roundrobin", "leastconn"};
  EXPECT_EQ(error_of([&] { (void)r.one_of("bal", kChoices); }),
            "t.toml:3:7: bal must be one of: roundrobin, leastconn (found \"rr\")");
}

TEST(TomlReader, StringArrayPointsAtTheBadElement) {
  const Doc doc("a = [\"x\",\n  7]\n");
  EXPECT_EQ(error_of([&] { (void)doc.root().string_array("a"); }),
            "t.toml:2:3: a: expected an array of strings, found integer 7 at index 1");
}

TEST(TomlReader, UnknownKeysAreReportedInFileOrderAtTheKey) {
  // "zeta" sorts after "alpha" but comes first in the file.
  const Doc doc("name = \"n\"\n  zeta = 1\nalpha = 2\n");
  constexpr std::array<std::string_view, 2> kAllowed{"name", "balance"};
  EXPECT_EQ(error_of([&] { doc.root().allow_only(kAllowed); }),
            "t.toml:2:3: unknown key 'zeta' in [t] (expected one of: name, balance)");
}

TEST(TomlReader, KeysComeInFileOrder) {
  const Doc doc("b = 1\na = 2\nc = 3\n");
  EXPECT_EQ(doc.root().keys(), (std::vector<std::string_view>{"b", "a", "c"}));
}

TEST(TomlReader, MissingRequiredKeyPointsAtTheTable) {
  const Doc doc("x = 1\n\n[backend]\nbalance = \"first\"\n");
  const auto backend = doc.root().table("backend", "[backend]");
  EXPECT_EQ(error_of([&] { (void)backend->required_string("name"); }),
            "t.toml:3:1: missing required key 'name' in [backend]");
}

TEST(TomlReader, ArrayOfTablesMustBeOne) {
  const Doc doc("[backend]\nname = \"a\"\n");
  EXPECT_EQ(error_of([&] { (void)doc.root().table_array("backend", "[backend]"); }),
            "t.toml:1:1: backend: expected an array of tables ([[backend]]), found a table");
  const Doc nested("server = \"web1\"\n");
  EXPECT_EQ(error_of([&] { (void)nested.root().table_array("server", "[backend.server]"); }),
            "t.toml:1:10: server: expected an array of tables ([[backend.server]]), found "
            "string \"web1\"");
}

}  // namespace
}  // namespace lbchaos

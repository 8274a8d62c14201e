// Reading files: size, encoding and I/O errors, ScenarioInfo, overrides.
#include <gtest/gtest.h>

#include "model/variants.h"
#include "tests/lang/test_util.h"

namespace fl::lang::test {
namespace {

const char* kSmall =
    "scenario s \"a small one\"\nparam N = 2 in 1..4 \"n\"\nparam B = false\n"
    "variants linux-6.18\nvar x[N] : bool\ninvariant ok : !x[0]\n";

TEST(Frontend, InfoIsFilledAtParseTime) {
  Scenario s = Scenario::parse("s.fl", kSmall);
  const ScenarioInfo& i = s.info();
  EXPECT_EQ(i.name, "s");
  EXPECT_EQ(i.file, "s.fl");
  EXPECT_EQ(i.description, "a small one");
  EXPECT_EQ(i.variants, std::vector<std::string>{"linux-6.18"});
  ASSERT_EQ(i.params.size(), 2u);
  EXPECT_EQ(i.params[0].name, "N");
  EXPECT_EQ(i.params[0].default_value, 2);
  EXPECT_TRUE(i.params[0].has_range);
  EXPECT_EQ(i.params[0].max, 4);
  EXPECT_EQ(i.params[0].description, "n");
  EXPECT_TRUE(i.params[1].is_bool);
  EXPECT_EQ(i.properties, std::vector<std::string>{"ok"});
}

TEST(Frontend, DefaultVariantIsTheBaseline) {
  EXPECT_EQ(Scenario::parse("s.fl", "scenario s").info().variants,
            std::vector<std::string>{"linux-6.18"});
}

TEST(Frontend, ParamOverrides) {
  Scenario s = Scenario::parse("s.fl", kSmall);
  model::Model m = s.elaborate("linux-6.18", {{"N", "0x3"}, {"B", "1"}});
  EXPECT_EQ(m.params, (std::vector<std::pair<std::string, model::Value>>{{"N", 3}, {"B", 1}}));
  EXPECT_EQ(m.vars[0].length, 3u);
  auto err = [&](const std::string& k, const std::string& v) {
    try {
      s.elaborate("linux-6.18", {{k, v}});
    } catch (const ScenarioError& e) {
      return e.render();
    }
    return std::string();
  };
  EXPECT_EQ(err("N", "-1"), "--param N=-1: error: value -1 of parameter 'N' is outside 1..4");
  EXPECT_EQ(err("N", "99999999999999999999"),
            "--param N=99999999999999999999: error: bad value '99999999999999999999' for integer "
            "parameter 'N' (use a decimal or 0x hexadecimal integer)");
  EXPECT_EQ(err("B", "true"), "");
  EXPECT_EQ(err("B", "0"), "");
  try {
    s.elaborate("linux-6.18", {{"N", "1"}, {"N", "2"}});
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(), "--param N=2: error: parameter 'N' is given twice");
  }
}

TEST(Frontend, UnmodelledVariantIsAnErrorAtItsDeclaration) {
  const model::VariantInfo* unmodelled = nullptr;
  for (const auto& v : model::all_variants()) {
    if (!v.implemented) unmodelled = &v;
  }
  if (unmodelled == nullptr) GTEST_SKIP() << "every variant is modelled";
  std::string text = "scenario s\nvariants linux-6.18, " + unmodelled->name + "\n";
  EXPECT_EQ(error_of("s.fl", text, unmodelled->name),
            "s.fl:2:22: error: variant '" + unmodelled->name + "' is not modelled yet\n  " +
                "variants linux-6.18, " + unmodelled->name + "\n                       ^");
}

TEST(Frontend, RejectsBinaryAndNonUtf8Files) {
  EXPECT_EQ(error_of("b.fl", std::string("scenario s\nvar x\0 : bool", 20)),
            "b.fl:2:6: error: the file contains a NUL byte: it is not text");
  EXPECT_EQ(error_of("b.fl", "scenario s # caf\xe9\n"),
            "b.fl:1:17: error: the file is not UTF-8 text (byte 0xe9)");
  EXPECT_EQ(error_of("b.fl", "scenario s # \xc0\xaf overlong\n"),
            "b.fl:1:14: error: the file is not UTF-8 text (byte 0xc0)");
  EXPECT_EQ(error_of("b.fl", "scenario s # \xed\xa0\x80 surrogate\n"),
            "b.fl:1:14: error: the file is not UTF-8 text (byte 0xed)");
  // UTF-8 in comments and strings is fine.
  EXPECT_EQ(error_of("b.fl", "scenario s \"caf\xc3\xa9\" # \xe2\x9c\x93\n"), "");
}

TEST(Frontend, RejectsFilesLargerThanFourMiB) {
  std::string big = "scenario s\n" + std::string((4u << 20) - 10, ' ');
  EXPECT_EQ(error_of("big.fl", big),
            "big.fl: error: the file is larger than 4 MiB (4194305 bytes)");
  big.pop_back();
  EXPECT_EQ(error_of("big.fl", big), "");
}

TEST(Frontend, LoadReportsMissingFilesAndDirectories) {
  try {
    Scenario::load("/nonexistent/x.fl");
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(), "/nonexistent/x.fl: error: cannot open: No such file or directory");
  }
  try {
    Scenario::load(source_dir() + "/scenarios");
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(), source_dir() + "/scenarios: error: is a directory, not a file");
  }
}

TEST(Frontend, ScenarioIsMovable) {
  Scenario a = Scenario::parse("s.fl", kSmall);
  Scenario b = std::move(a);
  EXPECT_EQ(b.info().name, "s");
}

}  // namespace
}  // namespace fl::lang::test

// Golden tests for malformed scenarios: each tests/lang/errors/NAME.fl must
// fail with exactly the rendered error in NAME.expected (the one-line
// `file:line:col: error: message`, the quoted line and the caret).
//
// A file may set the command line it is checked with, in comment lines:
//   # test-variant: NAME          elaborate for this variant
//   # test-param: NAME=VALUE      a --param override (repeatable)
// Run with FL_UPDATE_GOLDEN=1 to rewrite the .expected files after a
// deliberate change of wording (then review the diff).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "tests/lang/test_util.h"

namespace fl::lang::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> error_files() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(source_dir() + "/tests/lang/errors")) {
    if (entry.path().extension() == ".fl") out.push_back(entry.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Directives {
  std::string variant = "linux-6.18";
  std::vector<std::pair<std::string, std::string>> params;
};

Directives directives(const std::string& text) {
  Directives d;
  std::istringstream lines(text);
  const std::string variant = "# test-variant: ", param = "# test-param: ";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(variant, 0) == 0) d.variant = line.substr(variant.size());
    if (line.rfind(param, 0) == 0) {
      std::string kv = line.substr(param.size());
      size_t eq = kv.find('=');
      d.params.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  return d;
}

class ErrorFile : public ::testing::TestWithParam<std::string> {};

TEST_P(ErrorFile, RendersTheExpectedError) {
  const std::string dir = source_dir() + "/tests/lang/errors/";
  const std::string text = read_file(dir + GetParam() + ".fl");
  Directives d = directives(text);
  std::string got = error_of(GetParam() + ".fl", text, d.variant, d.params);
  ASSERT_NE(got, "") << GetParam() << ".fl elaborated without an error";
  got += "\n";
  if (std::getenv("FL_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(dir + GetParam() + ".expected", std::ios::binary) << got;
  }
  EXPECT_EQ(got, read_file(dir + GetParam() + ".expected"));
}

INSTANTIATE_TEST_SUITE_P(Lang, ErrorFile, ::testing::ValuesIn(error_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ErrorFiles, AtLeastThirty) {
  EXPECT_GE(error_files().size(), 30u);
}

}  // namespace
}  // namespace fl::lang::test

// The kernel declarations: syntax, constant expressions and the errors a
// scenario author gets.

#include <gtest/gtest.h>

#include "model/lang/diag.h"
#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

std::string error_of(const std::string& text) {
  try {
    lang::Scenario sc =
        lang::Scenario::parse("t.fl", "scenario t \"t\"\n" + text, kernel_extensions());
    sc.elaborate("linux-6.18", {});
  } catch (const lang::ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(MmParse, ConstantExpressions) {
  Model m = build(
      "param P = 3 in 1..4 \"pages\"\nconst LAST = P - 1\nuffd ctx\n"
      "region g anon pages P uffd ctx missing\nthread t { c = copy g[LAST - 1] len 2 }");
  EXPECT_EQ(m.vars[m.find_var("pte")].length, 3u);
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"c", "c_out"}), Labels{"c=OK c_out=2"});
}

TEST(MmParse, OutcomeConstantsAreVisible) {
  Model m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\ninit g[0] = poisoned\n"
      "thread t { r = read g[0] }\nobserve r\nexpect forall r == SIGBUS_ADRERR");
  Explored x = explore(m);
  EXPECT_TRUE(unmet_expectations(m, x).empty());
}

TEST(MmParse, Errors) {
  EXPECT_NE(error_of("uffd ctx\nregion g anon pages 1 uffd ctx minor").find("MINOR"),
            std::string::npos);
  EXPECT_NE(error_of("uffd ctx features bogus").find("bogus"), std::string::npos);
  EXPECT_NE(error_of("region g anon pages 2\nthread t { r = read g[2] }").find("outside"),
            std::string::npos);
  EXPECT_NE(error_of("region g anon pages 2\nthread t { r = read g[0] len 2 }").find("one page"),
            std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { r = punch-hole g[0] }").find("file"),
            std::string::npos);
  EXPECT_NE(
      error_of("region g anon pages 1\nthread t { r = frobnicate g[0] }").find("unknown operation"),
      std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { r = read h[0] }").find("no region"),
            std::string::npos);
  EXPECT_NE(
      error_of("uffd ctx\nmonitor a on ctx { serve }\nmonitor b on ctx { serve }").find("already"),
      std::string::npos);
  EXPECT_NE(
      error_of("region g anon pages 1\nthread t { r = copy g[0] len 2 }").find("past the end"),
      std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\ninit g[0] = cached").find("page cache"),
            std::string::npos);
  EXPECT_NE(error_of("kconfig frobs = on").find("unknown kconfig"), std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { r = read g[0] dontwake }").find("DONTWAKE"),
            std::string::npos);
}

}  // namespace
}  // namespace fl::model::mm::test

namespace fl::model::mm::test {
namespace {

// The example of docs/scenario-language.md, "Kernel declarations (mm)".
TEST(MmParse, DocumentedExample) {
  Model m = build(R"(
uffd ctx
region guest anon pages 2 uffd ctx missing
source guest[1] = poison
thread vcpu { r1 = read guest[0]; r2 = read guest[1] }
thread prefetch { c1 = copy guest[0] }
monitor m on ctx { serve wake-after-eexist }
observe r1, r2, c1
check poison-sticky, no-lost-wakeup, data-integrity, no-stuck-thread
expect forall r1 == DATA_SRC && r2 == SIGBUS_ADRERR
)");
  Explored x = explore(m);
  EXPECT_TRUE(x.errors.empty());
  EXPECT_TRUE(x.violated.empty());
  EXPECT_TRUE(unmet_expectations(m, x).empty());
}

}  // namespace
}  // namespace fl::model::mm::test

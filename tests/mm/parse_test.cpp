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

// The declarations of fork, mremap, munmap, UNREGISTER, MOVE, guard
// regions, child threads and the new monitor options, and their errors.
TEST(MmParse, AddressSpaceOperations) {
  Model m = build(
      "uffd ctx features event-fork, event-remap, event-remove, event-unmap\n"
      "region a anon pages 2\nregion g anon pages 2 uffd ctx missing\n"
      "thread t { f = fork; c = move g[0] from a[0] len 2 allow-src-holes dontwake; "
      "gi = guard-install g[0] len 2; gr = guard-remove g[1]; m = mremap g; u = unregister g; "
      "x = munmap a }\nthread kid child { r = read g[0] }\n"
      "monitor mon on ctx { serve forget-eagain wake-on-remove }");
  EXPECT_NE(m.find_var("ctx.mmap_changing"), kNoId);
  EXPECT_NE(m.find_var("child.pte"), kNoId);
  EXPECT_NE(m.find_var("c_out"), kNoId);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { f = fork g[0] }").find("unknown operation"),
            std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { m = mremap g[0] }").find("whole region"),
            std::string::npos);
  EXPECT_NE(error_of("uffd ctx\nregion g anon pages 3 uffd ctx missing\n"
                     "thread t { m = move g[0] from g[1] len 2 }")
                .find("overlapping"),
            std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { r = read g[0] allow-src-holes }")
                .find("ALLOW_SRC_HOLES"),
            std::string::npos);
  EXPECT_NE(
      error_of("region g anon pages 1\nthread k child { r = read g[0] }").find("needs a fork"),
      std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { f = fork }\n"
                     "thread k child { d = dontneed g[0] }")
                .find("only accesses"),
            std::string::npos);
  EXPECT_NE(error_of("region g anon pages 1\nthread t { f = fork; f2 = fork }").find("at most one"),
            std::string::npos);
  EXPECT_NE(error_of("uffd a features event-fork\nuffd b features event-fork\n"
                     "region g anon pages 1 uffd a missing\nregion h anon pages 1 uffd b missing\n"
                     "thread t { f = fork }")
                .find("more than one userfaultfd"),
            std::string::npos);
  EXPECT_NE(error_of("uffd a\nuffd b\nregion g anon pages 1 uffd a missing\n"
                     "thread t { u = unregister g via b }")
                .find("another userfaultfd"),
            std::string::npos);
  EXPECT_NE(error_of("uffd ctx\nmonitor m on ctx { serve frob }").find("forget-eagain"),
            std::string::npos);
}

}  // namespace
}  // namespace fl::model::mm::test

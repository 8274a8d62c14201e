// The built-in monitor loop and the read(2) of the userfaultfd.

#include <gtest/gtest.h>

#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

// userfaultfd_ctx_read takes the oldest message and moves the waiter to
// fault_wqh: it stays asleep until the resolution wakes it.
TEST(MmMonitor, ReadIsFifo) {
  Model m = build(
      "uffd ctx\nregion g anon pages 2 uffd ctx missing\n"
      "thread a { r0 = read g[0] }\nthread b { r1 = read g[1] }\nmonitor m on ctx { serve }");
  State s = initial_state(m);
  s = fire(m, s, "b", "missing");
  s = fire(m, s, "b", "link");
  s = fire(m, s, "a", "missing");
  s = fire(m, s, "a", "link");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "2");
  s = fire(m, s, "m", "read msg");
  EXPECT_EQ(value(m, s, "m.page"), "1");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "1");
  s = fire(m, s, "b", "must_wait");
  EXPECT_EQ(value(m, s, "r1"), "BLOCKED");
  s = fire(m, s, "m", "copy g[1]");
  s = fire(m, s, "m", "wake g[1]");
  EXPECT_EQ(value(m, s, "r1"), "PENDING");
  EXPECT_NE(kernel_function(m, "m", "read msg").find("userfaultfd_ctx_read"), std::string::npos);
}

// Resolution per message kind and source.
TEST(MmMonitor, ServesEachKind) {
  EXPECT_EQ(outcomes("uffd ctx\nregion g anon pages 1 uffd ctx missing\nsource g[0] = zero\n"
                     "thread t { r = read g[0] }\nmonitor m on ctx { serve }",
                     "r"),
            Labels{"DATA_ZERO"});
  EXPECT_EQ(outcomes("uffd ctx\nregion h hugetlb pages 1 uffd ctx missing\nsource h[0] = zero\n"
                     "thread t { r = read h[0] }\nmonitor m on ctx { serve }",
                     "r"),
            Labels{"DATA_ZERO"});
  EXPECT_EQ(outcomes("uffd ctx\nregion s shmem pages 1 uffd ctx minor\ninit s[0] = stale\nsource "
                     "s[0] = poison\n"
                     "thread t { r = read s[0] }\nmonitor m on ctx { serve }",
                     "r"),
            Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(outcomes("uffd ctx\nregion g anon pages 1 uffd ctx wp\ninit g[0] = mapped-wp\n"
                     "thread t { r = write g[0] }\nmonitor m on ctx { serve }",
                     "r"),
            Labels{"OK"});
}

// After -EEXIST the monitor goes back to read(2) unless wake-after-eexist.
TEST(MmMonitor, EexistWithAndWithoutWake) {
  std::string base =
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\nthread t { r = read g[0] }\n"
      "thread v { c = copy g[0] dontwake }\n";
  EXPECT_EQ(outcomes(base + "monitor m on ctx { serve }", "r"), (Labels{"BLOCKED", "DATA_SRC"}));
  EXPECT_EQ(outcomes(base + "monitor m on ctx { serve wake-after-eexist }", "r"),
            Labels{"DATA_SRC"});
}

// Properties: S12 strands a thread on a page must_wait still calls
// unresolved (no-stuck-thread only); DONTWAKE without a wake strands one on
// a resolved page (no-lost-wakeup too).
TEST(MmProperties, StuckVersusLostWakeup) {
  Model m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\nsource g[0] = poison\n"
      "thread a { r1 = read g[0] }\nthread b { r2 = read g[0] }\nmonitor m on ctx { serve }\n"
      "check no-stuck-thread, no-lost-wakeup, poison-sticky, data-integrity");
  Explored x = explore(m);
  EXPECT_EQ(x.violated, (std::set<std::string>{"no-stuck-thread"}));
  m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\nthread a { r = read g[0] }\n"
      "thread v { c = copy g[0] dontwake }\ncheck no-stuck-thread, no-lost-wakeup");
  x = explore(m);
  EXPECT_EQ(x.violated, (std::set<std::string>{"no-lost-wakeup", "no-stuck-thread"}));
}

}  // namespace
}  // namespace fl::model::mm::test

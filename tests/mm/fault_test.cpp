// The fault paths (kernel-semantics.md 2.6, 3.1-3.3): one test per leaf
// kind and accessor, each naming the kernel function it pins.

#include <gtest/gtest.h>

#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

const char* kAnonMissing = "uffd ctx\nregion guest anon pages 1 uffd ctx missing\n";

// mm/memory.c: do_anonymous_page, unregistered: a read maps the zero page,
// a write allocates a zeroed page; a write to the zero page copies it
// (do_wp_page -> wp_page_copy).
TEST(MmFault, AnonUnregistered) {
  Model m =
      build("region g anon pages 1\nthread t { r1 = read g[0]; r2 = write g[0]; r3 = read g[0] }");
  State s = initial_state(m);
  EXPECT_NE(kernel_function(m, "t", "map zero page").find("do_anonymous_page"), std::string::npos);
  s = fire(m, s, "t", "0:read g[0] / map zero page");
  EXPECT_EQ(value(m, s, "r1"), "DATA_ZERO");
  EXPECT_EQ(value(m, s, "pte", 0), "zero");
  s = fire(m, s, "t", "1:write g[0] / cow zero page");
  EXPECT_EQ(value(m, s, "r2"), "OK");
  EXPECT_EQ(value(m, s, "pte", 0), "present");
  s = fire(m, s, "t", "2:read g[0] / present");
  EXPECT_EQ(value(m, s, "r3"), "DATA_ZERO");
  EXPECT_EQ(outcomes("region g anon pages 1\nthread t { r1 = write g[0] }", "r1"), Labels{"OK"});
}

// A present PTE: no fault, the page's contents.
TEST(MmFault, PresentPage) {
  EXPECT_EQ(outcomes(std::string(kAnonMissing) +
                         "init guest[0] = mapped\nthread t { r1 = read guest[0] }",
                     "r1"),
            Labels{"DATA_SRC"});
  EXPECT_EQ(outcomes(std::string(kAnonMissing) +
                         "init guest[0] = mapped\nthread t { r1 = syscall-read guest[0] }",
                     "r1"),
            Labels{"DATA_SRC"});
  EXPECT_EQ(outcomes(std::string(kAnonMissing) +
                         "init guest[0] = mapped\nthread t { r1 = populate-write guest[0] }",
                     "r1"),
            Labels{"OK"});
}

// mm/memory.c: handle_pte_marker: POISONED -> VM_FAULT_HWPOISON; x86
// do_sigbus gives BUS_MCEERR_AR only with CONFIG_MEMORY_FAILURE; a
// kernel-mode uaccess gets -EFAULT; GUP with FOLL_HWPOISON -EHWPOISON.
TEST(MmFault, PoisonMarkerPerAccessor) {
  std::string base = std::string(kAnonMissing) + "init guest[0] = poisoned\n";
  EXPECT_EQ(outcomes(base + "thread t { r = read guest[0] }", "r"), Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(outcomes(base + "thread t { r = write guest[0] }", "r"), Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(
      outcomes("kconfig memory-failure = on\n" + base + "thread t { r = read guest[0] }", "r"),
      Labels{"SIGBUS_MCEERR"});
  EXPECT_EQ(outcomes(base + "thread t { r = syscall-write guest[0] }", "r"), Labels{"EFAULT"});
  EXPECT_EQ(outcomes(base + "thread t { r = populate-read guest[0] }", "r"), Labels{"EHWPOISON"});
  Model m = build(base + "thread t { r = read guest[0] }");
  EXPECT_NE(kernel_function(m, "t", "poison marker").find("handle_pte_marker"), std::string::npos);
}

// uffdio-sigbus-v1: the marker returns plain VM_FAULT_SIGBUS.
TEST(MmFault, PoisonMarkerSigbusV1) {
  std::string base =
      "kconfig memory-failure = on\n" + std::string(kAnonMissing) + "init guest[0] = poisoned\n";
  EXPECT_EQ(outcomes(base + "thread t { r = read guest[0] }", "r", "uffdio-sigbus-v1"),
            Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(outcomes(base + "thread t { r = populate-read guest[0] }", "r", "uffdio-sigbus-v1"),
            Labels{"EFAULT"});
}

// mm/hugetlb.c: hugetlb_fault: POISONED -> VM_FAULT_HWPOISON_LARGE.
TEST(MmFault, HugetlbPoison) {
  std::string text =
      "uffd ctx\nregion h hugetlb pages 1 uffd ctx missing\ninit h[0] = poisoned\nthread t { r = "
      "read h[0] }";
  EXPECT_EQ(outcomes(text, "r"), Labels{"SIGBUS_ADRERR"});
  EXPECT_NE(kernel_function(build(text), "t", "poison marker").find("hugetlb_fault"),
            std::string::npos);
}

// handle_pte_marker: GUARD -> VM_FAULT_SIGSEGV.
TEST(MmFault, GuardMarker) {
  std::string base = "region g anon pages 1\ninit g[0] = guard\n";
  EXPECT_EQ(outcomes(base + "thread t { r = read g[0] }", "r"), Labels{"SIGSEGV"});
  EXPECT_EQ(outcomes(base + "thread t { r = syscall-read g[0] }", "r"), Labels{"EFAULT"});
  EXPECT_EQ(outcomes(base + "thread t { r = populate-read g[0] }", "r"), Labels{"EFAULT"});
}

// do_anonymous_page -> handle_userfault(VM_UFFD_MISSING): link on
// fault_pending_wqh, must_wait true on a none PTE, sleep.  Without a
// monitor the thread stays blocked.
TEST(MmFault, MissingBlocksAndQueues) {
  Model m = build(std::string(kAnonMissing) + "thread t { r = read guest[0] }");
  State s = initial_state(m);
  s = fire(m, s, "t", "missing");
  EXPECT_EQ(value(m, s, "t.reason"), "missing");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "0");  // not linked yet: PTL dropped, lock held
  s = fire(m, s, "t", "link");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "1");
  s = fire(m, s, "t", "must_wait");
  EXPECT_EQ(value(m, s, "r"), "BLOCKED");
  EXPECT_TRUE(enabled_names(m, s).empty());
  EXPECT_NE(kernel_function(m, "t", "must_wait").find("userfaultfd_must_wait"), std::string::npos);
}

// handle_userfault step 3: UFFD_FEATURE_SIGBUS -> VM_FAULT_SIGBUS.
TEST(MmFault, FeatureSigbus) {
  std::string base = "uffd ctx features sigbus\nregion g anon pages 1 uffd ctx missing\n";
  EXPECT_EQ(outcomes(base + "thread t { r = read g[0] }", "r"), Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(outcomes(base + "thread t { r = write g[0] }", "r"), Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(outcomes(base + "thread t { r = syscall-read g[0] }", "r"), Labels{"EFAULT"});
  EXPECT_EQ(outcomes(base + "thread t { r = populate-write g[0] }", "r"), Labels{"EFAULT"});
}

// handle_userfault step 4: a kernel-mode fault on a UFFD_USER_MODE_ONLY
// context -> VM_FAULT_SIGBUS; user-mode faults queue as usual.
TEST(MmFault, UserModeOnly) {
  std::string base = "uffd ctx user-mode-only\nregion g anon pages 1 uffd ctx missing\n";
  EXPECT_EQ(outcomes(base + "thread t { r = syscall-read g[0] }", "r"), Labels{"EFAULT"});
  EXPECT_EQ(outcomes(base + "thread t { r = populate-read g[0] }", "r"), Labels{"EFAULT"});
  EXPECT_EQ(outcomes(base + "thread t { r = read g[0] }", "r"), Labels{"BLOCKED"});
}

// mm/shmem.c: shmem_get_folio_gfp: page cache hit + MINOR -> MINOR
// userfault; hit without MINOR -> mapped; miss + MISSING -> MISSING
// userfault; miss unregistered -> a zeroed folio.
TEST(MmFault, ShmemPaths) {
  Model m = build(
      "uffd ctx\nregion s shmem pages 1 uffd ctx minor\ninit s[0] = stale\nthread t { r = read "
      "s[0] }");
  State st = fire(m, initial_state(m), "t", "minor");
  EXPECT_EQ(value(m, st, "t.reason"), "minor");
  EXPECT_EQ(
      outcomes("uffd ctx\nregion s shmem pages 1 uffd ctx minor\nthread t { r = read s[0] }", "r"),
      Labels{"DATA_ZERO"});
  EXPECT_EQ(outcomes("uffd ctx\nregion s shmem pages 1 uffd ctx missing\ninit s[0] = "
                     "cached\nthread t { r = read s[0] }",
                     "r"),
            Labels{"DATA_SRC"});
  EXPECT_EQ(
      outcomes("uffd ctx\nregion s shmem pages 1 uffd ctx missing\nthread t { r = read s[0] }",
               "r"),
      Labels{"BLOCKED"});
  EXPECT_EQ(outcomes("region s shmem pages 1\nthread t { r = write s[0]; q = read s[0] }", "q"),
            Labels{"DATA_ZERO"});
  EXPECT_EQ(
      outcomes("uffd ctx\nregion h hugetlb pages 1 uffd ctx missing\nthread t { r = read h[0] }",
               "r"),
      Labels{"BLOCKED"});
}

// mm/memory.c: do_wp_page: a write to a uffd-wp entry in a WP-registered
// VMA -> handle_userfault(VM_UFFD_WP); reads are not affected; without
// the registration the page is reused (wp_page_reuse).
TEST(MmFault, WriteProtectFaults) {
  std::string base = "uffd ctx\nregion g anon pages 1 uffd ctx wp\ninit g[0] = mapped-wp\n";
  EXPECT_EQ(outcomes(base + "thread t { r = read g[0] }", "r"), Labels{"DATA_SRC"});
  Model m = build(base + "thread t { r = write g[0] }");
  State s = fire(m, initial_state(m), "t", "wp fault");
  EXPECT_EQ(value(m, s, "t.reason"), "wp");
  EXPECT_EQ(outcomes(base + "thread t { r = write g[0] }", "r"), Labels{"BLOCKED"});
  EXPECT_EQ(
      outcomes("region g anon pages 1\ninit g[0] = mapped-wp\nthread t { r = write g[0] }", "r"),
      Labels{"OK"});
}

// handle_pte_marker -> pte_marker_handle_uffd_wp: a uffd-wp marker in a VMA
// that is no longer wp-registered is cleared (VM_FAULT_NOPAGE) and the
// access retried as an ordinary fault.
TEST(MmFault, StaleWpMarker) {
  Model m = build("region g shmem pages 1\ninit g[0] = wp-marker\nthread t { r = read g[0] }");
  State s = fire(m, initial_state(m), "t", "stale wp marker");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  EXPECT_EQ(value(m, s, "r"), "PENDING");
  s = fire(m, s, "t", "new page");
  EXPECT_EQ(value(m, s, "r"), "DATA_ZERO");
}

// handle_userfault step 11: must_wait false (the page was installed
// between the fault and the check): no sleep, unlink, VM_FAULT_RETRY, and
// the retried fault finds the page.
TEST(MmFault, MustWaitFalseRetries) {
  Model m = build(std::string(kAnonMissing) +
                  "thread t { r = read guest[0] }\nthread v { c = copy guest[0] dontwake }");
  State s = initial_state(m);
  s = fire(m, s, "t", "missing");
  s = fire(m, s, "t", "link");
  s = fire(m, s, "v", "install");
  s = fire(m, s, "t", "must_wait");
  EXPECT_EQ(value(m, s, "t.ph"), "0");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "0");
  s = fire(m, s, "t", "present");
  EXPECT_EQ(value(m, s, "r"), "DATA_SRC");
}

// A wake that arrives after linking but before schedule(): the task is
// already runnable, so it does not sleep even though must_wait is true.
TEST(MmFault, WokenBeforeSleep) {
  Model m = build(std::string(kAnonMissing) +
                  "thread t { r = read guest[0] }\nthread v { w = wake guest[0] }");
  State s = initial_state(m);
  s = fire(m, s, "t", "missing");
  s = fire(m, s, "t", "link");
  s = fire(m, s, "v", "wake");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "0");
  s = fire(m, s, "t", "must_wait");
  EXPECT_EQ(value(m, s, "r"), "PENDING");
  EXPECT_EQ(value(m, s, "t.ph"), "0");
}

// handle_userfault step 7: a released context returns VM_FAULT_RETRY with
// no message; after release_all the retry is an ordinary fault.
TEST(MmFault, ReleasedContextRetries) {
  Model m = build(std::string(kAnonMissing) +
                  "thread c { x = close ctx }\nthread t { r = read guest[0] }");
  State s = initial_state(m);
  s = fire(m, s, "t", "missing");
  s = fire(m, s, "c", "released");
  s = fire(m, s, "t", "link");
  EXPECT_EQ(value(m, s, "ctx.pending", 0), "0");
  EXPECT_EQ(value(m, s, "t.ph"), "0");
  s = fire(m, s, "c", "unregister");
  s = fire(m, s, "t", "map zero page");
  EXPECT_EQ(value(m, s, "r"), "DATA_ZERO");
}

// Every action names the kernel function it models.
TEST(MmFault, EveryActionNamesAKernelFunction) {
  Model m = build(std::string(kAnonMissing) +
                  "thread t { r = read guest[0]; w = write guest[0]; c = copy guest[0]; d = "
                  "dontneed guest[0] }\n"
                  "monitor m on ctx { serve wake-after-eexist }");
  for (const Action& a : m.actions) EXPECT_FALSE(a.kernel_function.empty()) << a.name;
}

}  // namespace
}  // namespace fl::model::mm::test

// fork, mremap, munmap, UFFDIO_UNREGISTER, UFFDIO_MOVE and guard regions
// (kernel-semantics.md 3.5, 3.8, 3.12, 3.14; docs/kernel-facts.md): every
// transition and return path with its exact outcome.

#include <gtest/gtest.h>

#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

// kernel/fork.c -> mm/mmap.c: dup_mmap -> mm/memory.c: copy_page_range.
// Without EVENT_FORK (dup_userfaultfd -> userfaultfd_reset_ctx) the child
// is unregistered.  The anonymous table is copied (anon_vma): poison and
// guard markers always (copy_pte_marker), present pages with their
// contents; the shared shmem table is not (vma_needs_copy), so the child
// refaults from the page cache.
TEST(MmFork, WithoutEventFork) {
  Model m = build(
      "uffd ctx\nregion a anon pages 3 uffd ctx missing\nregion sh shmem pages 2 uffd ctx missing\n"
      "init a[0] = poisoned\ninit a[1] = guard\ninit a[2] = mapped\ninit sh[0] = poisoned\n"
      "init sh[1] = mapped\nthread vmm { f = fork }\n"
      "thread kid child { r0 = read a[0]; r1 = read a[1]; r2 = read a[2]; s0 = read sh[0]; "
      "s1 = read sh[1] }");
  EXPECT_EQ(kernel_function(m, "vmm", "dup_mmap"),
            "kernel/fork.c: dup_mm -> mm/mmap.c: dup_mmap -> fs/userfaultfd.c: dup_userfaultfd, "
            "mm/memory.c: copy_page_range (vma_needs_copy, copy_pte_marker)");
  // The child does not run before fork returned.
  EXPECT_EQ(enabled_names(m, initial_state(m)), std::vector<std::string>{"vmm.0:fork / dup_mmap"});
  State s = fire(m, initial_state(m), "vmm", "dup_mmap");
  EXPECT_EQ(value(m, s, "f"), "OK");
  EXPECT_EQ(value(m, s, "child.pte", 0), "marker-poison");
  EXPECT_EQ(value(m, s, "child.pte", 1), "marker-guard");
  EXPECT_EQ(value(m, s, "child.pte", 2), "present");
  EXPECT_EQ(value(m, s, "child.page", 2), "src");
  EXPECT_EQ(value(m, s, "child.pte", 3), "none");
  EXPECT_EQ(value(m, s, "child.pte", 4), "none");
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"r0", "r1", "r2", "s0", "s1"}),
            Labels{"r0=SIGBUS_ADRERR r1=SIGSEGV r2=DATA_SRC s0=DATA_ZERO s1=DATA_SRC"});
}

// With EVENT_FORK the child keeps the registration (a new context) and a
// WP-registered shared shmem VMA is copied (VM_UFFD_WP is in
// VM_COPY_ON_FORK), with its uffd-wp marker; without it the marker is not
// copied into the unregistered child (Peter Xu, "fix pte marker when fork()
// without fork event").  The child's userfault goes to a context nobody
// reads in the model: the child sleeps.
TEST(MmFork, EventForkKeepsRegistrationAndWpMarkers) {
  const std::string decls =
      "region sh shmem pages 1 uffd ctx missing wp\ninit sh[0] = wp-marker\n"
      "thread vmm { f = fork }\nthread kid child { r = read sh[0] }\n";
  Model m = build("uffd ctx features event-fork\n" + decls);
  State s = fire(m, initial_state(m), "vmm", "dup_mmap");
  EXPECT_EQ(value(m, s, "child.pte", 0), "marker-wp");
  EXPECT_EQ(value(m, s, "child.sh.registered"), "1");
  EXPECT_EQ(value(m, s, "ctx.mmap_changing"), "1");
  EXPECT_EQ(value(m, s, "f"), "BLOCKED");  // until the FORK event is read
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "f"), Labels{"BLOCKED"});  // no monitor reads it
  m = build("uffd ctx features event-fork\n" + decls + "monitor mon on ctx { serve }");
  x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"f", "r"}), Labels{"f=OK r=BLOCKED"});
  m = build("uffd ctx\n" + decls);
  s = fire(m, initial_state(m), "vmm", "dup_mmap");
  EXPECT_EQ(value(m, s, "child.pte", 0), "none");
  x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"f", "r"}), Labels{"f=OK r=DATA_ZERO"});
}

// copy_present_pte drops the uffd-wp bit when the child is not
// wp-registered; anonymous pages are copied with their contents.
TEST(MmFork, PresentWpBit) {
  const std::string decls =
      "region g anon pages 1 uffd ctx wp\ninit g[0] = mapped-wp\nthread vmm { f = fork }\n";
  Model m = build("uffd ctx\n" + decls);
  State s = fire(m, initial_state(m), "vmm", "dup_mmap");
  EXPECT_EQ(value(m, s, "child.pte", 0), "present");
  m = build("uffd ctx features event-fork\n" + decls);
  s = fire(m, initial_state(m), "vmm", "dup_mmap");
  EXPECT_EQ(value(m, s, "child.pte", 0), "present-wp");
}

// mm/mremap.c: move_ptes moves markers; without EVENT_REMAP the uffd-wp
// state is cleared (vma_has_uffd_without_event_remap) and the VMA is
// unregistered (mremap_userfaultfd_prep -> userfaultfd_reset_ctx).
TEST(MmMremap, WithoutEventRemap) {
  Model m = build(
      "uffd ctx\nregion g anon pages 3 uffd ctx missing wp\ninit g[0] = poisoned\n"
      "init g[1] = mapped-wp\nthread t { m = mremap g; r0 = read g[0]; w = write g[1]; "
      "r2 = read g[2] }");
  State s = fire(m, initial_state(m), "t", "move_vma");
  EXPECT_EQ(value(m, s, "m"), "OK");
  EXPECT_EQ(value(m, s, "pte", 0), "marker-poison");
  EXPECT_EQ(value(m, s, "pte", 1), "present");
  EXPECT_EQ(value(m, s, "g.registered"), "0");
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"r0", "w", "r2"}), Labels{"r0=SIGBUS_ADRERR w=OK r2=DATA_ZERO"});
}

// With EVENT_REMAP the counter goes up and the REMAP event is queued (the
// monitor reads the sleeper's fault message first, and its COPY meets the
// counter).  The sleeper on the old address is woken neither by the
// monitor's wake of the moved page nor by UFFDIO_WAKE of the region's new
// range, only by release, and then finds no VMA (SIGSEGV).
TEST(MmMremap, EventRemapAndTheOldAddress) {
  Model m = build(
      "uffd ctx features event-remap\nregion g anon pages 1 uffd ctx missing\n"
      "thread v { r = read g[0] }\nthread vmm { m = mremap g; w = wake g[0] }\n"
      "thread closer { x = close ctx }\nmonitor mon on ctx { serve }");
  State s = fire(m, initial_state(m), "v", "missing");
  s = fire(m, s, "v", "link");
  s = fire(m, s, "v", "must_wait");
  s = fire(m, s, "vmm", "move_vma");
  EXPECT_EQ(value(m, s, "v.ph"), "32");  // asleep, address gone
  EXPECT_EQ(value(m, s, "ctx.mmap_changing"), "1");
  EXPECT_EQ(value(m, s, "ctx.events", 0), "2");  // thread vmm (id 1) + 1
  EXPECT_EQ(value(m, s, "m"), "BLOCKED");
  s = fire(m, s, "mon", "read msg");
  s = fire(m, s, "mon", "copy g[0]");
  EXPECT_EQ(value(m, s, "mon.st"), "deferred");
  s = fire(m, s, "mon", "read REMAP event");
  s = fire(m, s, "vmm", "event done");
  EXPECT_EQ(value(m, s, "m"), "OK");
  s = fire(m, s, "mon", "retry deferred");
  s = fire(m, s, "mon", "copy g[0]");
  s = fire(m, s, "mon", "wake g[0]");
  s = fire(m, s, "vmm", "1:wake");
  EXPECT_EQ(value(m, s, "v.ph"), "32");  // the new range does not match
  s = fire(m, s, "closer", "released");
  s = fire(m, s, "closer", "unregister");
  s = fire(m, s, "closer", "wake all");
  s = fire(m, s, "v", "no vma");
  EXPECT_EQ(value(m, s, "r"), "SIGSEGV");
}

// mm/vma.c: do_vmi_align_munmap -> unmap_vmas drops every entry and marker
// and wakes nobody (S14).  Afterwards: accesses SIGSEGV / -EFAULT / -ENOMEM,
// fills -ENOENT (no VMA in uffd_mfill_lock), UNREGISTER -EINVAL, mremap
// -EFAULT, madvise -ENOMEM, a second munmap 0.
TEST(MmMunmap, EverythingAfterwards) {
  Model m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\ninit g[0] = poisoned\n"
      "thread t { u = munmap g; r = read g[0]; sr = syscall-read g[0]; pr = populate-read g[0]; "
      "c = copy g[0]; d = dontneed g[0]; gi = guard-install g[0]; un = unregister g; "
      "mr = mremap g; u2 = munmap g }");
  State s = fire(m, initial_state(m), "t", "unmap");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  EXPECT_EQ(value(m, s, "g.mapped"), "0");
  EXPECT_EQ(value(m, s, "poisoned", 0), "0");
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"r", "sr", "pr", "c", "c_out", "d", "gi", "un", "mr", "u2"}),
            Labels{"r=SIGSEGV sr=EFAULT pr=ENOMEM c=ENOENT c_out=-ENOENT d=ENOMEM gi=ENOMEM "
                   "un=EINVAL mr=EFAULT u2=OK"});
}

// fs/userfaultfd.c: userfaultfd_unregister wakes MISSING waiters (they
// retry as ordinary faults: zeroes), clears the uffd-wp state
// (userfaultfd_clear_vma -> uffd_wp_range), and wakes no WP waiter (S15).
TEST(MmUnregister, WakesOnlyMissingWaiters) {
  Model m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\nregion p anon pages 1 uffd ctx wp\n"
      "init p[0] = mapped-wp\nthread r { x = read g[0] }\nthread w { y = write p[0] }\n"
      "thread vmm { u1 = unregister g; u2 = unregister p; x2 = close ctx; u3 = unregister g }");
  State s = initial_state(m);
  s = fire(m, s, "r", "missing");
  s = fire(m, s, "r", "link");
  s = fire(m, s, "r", "must_wait");
  s = fire(m, s, "w", "wp fault");
  s = fire(m, s, "w", "link");
  s = fire(m, s, "w", "must_wait");
  s = fire(m, s, "vmm", "0:unregister");
  EXPECT_EQ(value(m, s, "r.ph"), "0");  // woken: retries
  s = fire(m, s, "vmm", "1:unregister");
  EXPECT_EQ(value(m, s, "pte", 1), "present");
  EXPECT_EQ(value(m, s, "w.ph"), "3");  // still asleep
  s = fire(m, s, "r", "map zero page");
  EXPECT_EQ(value(m, s, "x"), "DATA_ZERO");
  s = fire(m, s, "vmm", "released");
  s = fire(m, s, "vmm", "2:close ctx / unregister");
  s = fire(m, s, "vmm", "wake all");
  s = fire(m, s, "vmm", "3:unregister");
  EXPECT_EQ(value(m, s, "u3"), "EBADF");
}

// mm/userfaultfd.c: move_pages: -EINVAL for a shared or unregistered
// destination (validate_move_areas), -EFAULT for a marker at the source
// (move_pages_pte: non-swap entry), the zero page moves as the zero page,
// DONTWAKE partial progress.
TEST(MmMove, ReturnPaths) {
  EXPECT_EQ(outcomes("uffd ctx\nregion a anon pages 1\nregion s shmem pages 1 uffd ctx missing\n"
                     "init a[0] = mapped\nthread t { m = move s[0] from a[0] }",
                     "m"),
            Labels{"EINVAL"});
  EXPECT_EQ(outcomes("uffd ctx\nregion a anon pages 1\nregion d anon pages 1\n"
                     "init a[0] = mapped\nthread t { m = move d[0] from a[0] via ctx }",
                     "m"),
            Labels{"EINVAL"});
  EXPECT_EQ(outcomes("uffd ctx\nregion a anon pages 1\nregion d anon pages 1 uffd ctx missing\n"
                     "init a[0] = poisoned\nthread t { m = move d[0] from a[0] }",
                     "m"),
            Labels{"EFAULT"});
  EXPECT_EQ(outcomes("uffd ctx\nregion a anon pages 1\nregion d anon pages 1 uffd ctx missing\n"
                     "thread t { z = read a[0]; m = move d[0] from a[0]; r = read d[0] }",
                     "r"),
            Labels{"DATA_ZERO"});
  Model m = build(
      "uffd ctx\nregion a anon pages 2\nregion d anon pages 2 uffd ctx missing\n"
      "init a[0] = mapped\ninit d[1] = mapped\nthread t { m = move d[0] from a[0] len 2 dontwake "
      "}");
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"m", "m_out"}), Labels{"m=EAGAIN m_out=1"});
}

// The done prefix of a MOVE is woken like a fill's (userfaultfd_move ->
// wake_userfault of the destination range).
TEST(MmMove, WakesTheDestination) {
  Model m = build(
      "uffd ctx\nregion a anon pages 1\nregion d anon pages 1 uffd ctx missing\n"
      "init a[0] = mapped\nthread v { r = read d[0] }\nthread t { m = move d[0] from a[0] }\n"
      "check no-stuck-thread, no-lost-wakeup");
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"r", "m"}), Labels{"r=DATA_SRC m=OK"});
  EXPECT_TRUE(x.violated.empty());
}

// mm/madvise.c: madvise_guard_install zaps what is there (present pages,
// poison markers: zap_page_range_single without details) and installs
// guard markers; madvise_guard_remove clears guard markers only.  Over a
// uffd-wp marker the kernel's retry loop is not modelled: a model error.
TEST(MmGuard, InstallAndRemove) {
  Model m = build(
      "uffd ctx\nregion g anon pages 3 uffd ctx missing wp\ninit g[0] = mapped\n"
      "init g[1] = poisoned\nthread t { gi = guard-install g[0] len 3; gr = guard-remove g[0] }");
  State s = fire(m, initial_state(m), "t", "guard-install");
  EXPECT_EQ(value(m, s, "pte", 0), "marker-guard");
  EXPECT_EQ(value(m, s, "page", 0), "absent");
  EXPECT_EQ(value(m, s, "pte", 1), "marker-guard");
  EXPECT_EQ(value(m, s, "poisoned", 1), "0");
  EXPECT_EQ(value(m, s, "pte", 2), "marker-guard");
  s = fire(m, s, "t", "guard-remove");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  EXPECT_EQ(value(m, s, "pte", 1), "marker-guard");
  m = build(
      "uffd ctx\nregion s shmem pages 1 uffd ctx wp\ninit s[0] = wp-marker\n"
      "thread t { gi = guard-install s[0] }");
  Explored x = explore(m);
  ASSERT_EQ(x.errors.size(), 1u);
  EXPECT_NE(x.errors[0].find("uffd-wp marker is not modelled"), std::string::npos);
}

}  // namespace
}  // namespace fl::model::mm::test

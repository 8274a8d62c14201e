// The non-cooperative events and mmap_changing (kernel-semantics.md 3.10,
// 3.4): the counter, the event queue and its reading order, the generator's
// wait, the early and the locked -EAGAIN checks of every fill / move / wp
// ioctl, release with an event pending, and the S19 window.

#include <gtest/gtest.h>

#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

// A balloon thread's MADV_DONTNEED with EVENT_REMOVE and a prefetcher's
// ioctl `op` on the same page.
Model remove_vs(const std::string& op, const std::string& modes = "missing",
                const std::string& monitor = "monitor m on ctx { serve }") {
  return build("uffd ctx features event-remove\nregion g anon pages 1 uffd ctx " + modes +
               "\nthread balloon { d = dontneed g[0] }\nthread prefetch { c = " + op + " }\n" +
               monitor);
}

// fs/userfaultfd.c: userfaultfd_copy reads mmap_changing before taking any
// lock and fails -EAGAIN with -EAGAIN in the `copy` field (95567729173e);
// nothing changes.
TEST(MmEvent, EarlyEagain) {
  Model m = remove_vs("copy g[0]");
  State s = fire(m, initial_state(m), "balloon", "userfaultfd_remove");
  EXPECT_EQ(value(m, s, "ctx.mmap_changing"), "1");
  EXPECT_EQ(value(m, s, "d"), "BLOCKED");
  EXPECT_EQ(kernel_function(m, "prefetch", "early checks"),
            "fs/userfaultfd.c: userfaultfd_copy (atomic_read(&ctx->mmap_changing), no lock)");
  s = fire(m, s, "prefetch", "early checks");
  EXPECT_EQ(value(m, s, "c"), "EAGAIN");
  EXPECT_EQ(value(m, s, "c_out"), "-EAGAIN");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
}

// mm/userfaultfd.c: mfill_atomic re-checks the counter under
// map_changing_lock for read: an event raised after the early check still
// stops the fill, with the same result.
TEST(MmEvent, LockedEagain) {
  Model m = remove_vs("copy g[0]");
  State s = fire(m, initial_state(m), "prefetch", "early checks");
  EXPECT_EQ(value(m, s, "prefetch.ph"), "8");  // passed the early check
  s = fire(m, s, "balloon", "userfaultfd_remove");
  s = fire(m, s, "prefetch", "install");
  EXPECT_EQ(value(m, s, "c"), "EAGAIN");
  EXPECT_EQ(value(m, s, "c_out"), "-EAGAIN");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
}

// Every fill, MOVE and WRITEPROTECT has both checks; WRITEPROTECT has no
// output field (userfaultfd_writeprotect returns -EAGAIN directly, and
// mwriteprotect_range re-checks under the lock).
TEST(MmEvent, EveryIoctlChecks) {
  for (const char* op : {"zeropage g[0]", "poison g[0]"}) {
    SCOPED_TRACE(op);
    Model m = remove_vs(op);
    State s = fire(m, initial_state(m), "balloon", "userfaultfd_remove");
    s = fire(m, s, "prefetch", "early checks");
    EXPECT_EQ(value(m, s, "c"), "EAGAIN");
    EXPECT_EQ(value(m, s, "c_out"), "-EAGAIN");
  }
  Model m = remove_vs("writeprotect g[0]", "missing wp");
  EXPECT_EQ(m.find_var("c_out"), kNoId);
  State s = fire(m, initial_state(m), "prefetch", "early checks");
  s = fire(m, s, "balloon", "userfaultfd_remove");
  s = fire(m, s, "prefetch", "writeprotect");
  EXPECT_EQ(value(m, s, "c"), "EAGAIN");
  m = build(
      "uffd ctx features event-remove\nregion s shmem pages 1 uffd ctx minor\ninit s[0] = cached\n"
      "thread balloon { d = dontneed s[0] }\nthread p { c = continue s[0] }");
  s = fire(m, initial_state(m), "balloon", "userfaultfd_remove");
  s = fire(m, s, "p", "early checks");
  EXPECT_EQ(value(m, s, "c_out"), "-EAGAIN");
  m = build(
      "uffd ctx features event-remove\nregion a anon pages 1\nregion g anon pages 1 uffd ctx "
      "missing\ninit a[0] = mapped\nthread balloon { d = dontneed g[0] }\n"
      "thread p { c = move g[0] from a[0] }");
  s = fire(m, initial_state(m), "p", "early checks");
  s = fire(m, s, "balloon", "userfaultfd_remove");
  EXPECT_EQ(kernel_function(m, "p", "install"),
            "fs/userfaultfd.c: userfaultfd_move -> mm/userfaultfd.c: move_pages -> "
            "mm/userfaultfd.c: move_pages_pte");
  s = fire(m, s, "p", "install");
  EXPECT_EQ(value(m, s, "c"), "EAGAIN");
  EXPECT_EQ(value(m, s, "c_out"), "-EAGAIN");
  EXPECT_EQ(value(m, s, "pte", 0), "present");  // the source a[0] did not move
}

// userfaultfd_ctx_read: pending fault messages first (fault_pending_wqh),
// then events (event_wqh).  The monitor's COPY meets the raised counter and
// keeps the message; it reads the event, the generator runs again
// (userfaultfd_event_wait_completion: atomic_dec), and the retry succeeds.
TEST(MmEvent, FaultsBeforeEventsAndDeferredRetry) {
  Model m = build(
      "uffd ctx features event-remove\nregion g anon pages 2 uffd ctx missing\n"
      "thread vcpu { r = read g[0] }\nthread balloon { d = dontneed g[1] }\n"
      "monitor m on ctx { serve }");
  State s = fire(m, initial_state(m), "vcpu", "missing");
  s = fire(m, s, "vcpu", "link");
  s = fire(m, s, "vcpu", "must_wait");
  s = fire(m, s, "balloon", "userfaultfd_remove");
  std::vector<std::string> en = enabled_names(m, s);
  EXPECT_NE(std::find(en.begin(), en.end(), "m.read msg vcpu:0 g[0]"), en.end());
  EXPECT_EQ(std::find(en.begin(), en.end(), "m.read REMOVE event balloon:0"), en.end());
  s = fire(m, s, "m", "read msg");
  s = fire(m, s, "m", "copy g[0]");
  EXPECT_EQ(value(m, s, "m.st"), "deferred");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  en = enabled_names(m, s);
  EXPECT_EQ(std::find(en.begin(), en.end(), "m.retry deferred"), en.end());
  s = fire(m, s, "m", "read REMOVE event");
  EXPECT_EQ(value(m, s, "balloon.ph"), "30");  // event complete, generator runnable
  EXPECT_EQ(value(m, s, "ctx.mmap_changing"), "1");
  s = fire(m, s, "balloon", "event done");
  EXPECT_EQ(value(m, s, "ctx.mmap_changing"), "0");
  s = fire(m, s, "m", "retry deferred");
  s = fire(m, s, "m", "copy g[0]");
  s = fire(m, s, "m", "wake g[0]");
  s = fire(m, s, "vcpu", "present");
  EXPECT_EQ(value(m, s, "r"), "DATA_SRC");
}

// S16: with forget-eagain the -EAGAIN drops the message; once the event is
// drained nothing will serve the sleeper.
TEST(MmEvent, ForgetEagainStrands) {
  Model m = build(
      "uffd ctx features event-remove\nregion g anon pages 2 uffd ctx missing\n"
      "thread vcpu { r = read g[0] }\nthread balloon { d = dontneed g[1] }\n"
      "monitor m on ctx { serve forget-eagain }");
  State s = fire(m, initial_state(m), "vcpu", "missing");
  s = fire(m, s, "vcpu", "link");
  s = fire(m, s, "vcpu", "must_wait");
  s = fire(m, s, "balloon", "userfaultfd_remove");
  s = fire(m, s, "m", "read msg");
  s = fire(m, s, "m", "copy g[0]");
  EXPECT_EQ(value(m, s, "m.st"), "idle");
  s = fire(m, s, "m", "read REMOVE event");
  s = fire(m, s, "balloon", "event done");
  s = fire(m, s, "balloon", "zap");
  EXPECT_TRUE(enabled_names(m, s).empty());
  EXPECT_EQ(value(m, s, "r"), "BLOCKED");
}

// S19: the REMOVE generator drops the counter before it re-takes mmap_lock
// and zaps (madvise_dontneed_free after userfaultfd_remove returned false):
// a COPY in between succeeds, wakes, and its page is then zapped.
TEST(MmEvent, RemoveBeforeZapWindow) {
  Model m = remove_vs("copy g[0]");
  State s = fire(m, initial_state(m), "balloon", "userfaultfd_remove");
  s = fire(m, s, "m", "read REMOVE event");
  s = fire(m, s, "balloon", "event done");
  EXPECT_EQ(kernel_function(m, "balloon", "zap"),
            "mm/madvise.c: madvise_dontneed_single_vma -> mm/memory.c: zap_page_range_single "
            "(after mmap_read_lock, vma_lookup again)");
  s = fire(m, s, "prefetch", "early checks");
  s = fire(m, s, "prefetch", "install");
  s = fire(m, s, "prefetch", "wake 1");
  EXPECT_EQ(value(m, s, "c"), "OK");
  EXPECT_EQ(value(m, s, "pte", 0), "present");
  s = fire(m, s, "balloon", "zap");
  EXPECT_EQ(value(m, s, "d"), "OK");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  EXPECT_EQ(value(m, s, "page", 0), "absent");
}

// Without EVENT_REMOVE, or on an unregistered VMA, userfaultfd_remove does
// nothing: one step, no counter.  A DONTNEED of a range without a VMA is
// -ENOMEM (madvise_walk_vmas).
TEST(MmEvent, RemoveOnlyWithTheFeature) {
  Model m =
      build("uffd ctx\nregion g anon pages 1 uffd ctx missing\nthread b { d = dontneed g[0] }");
  EXPECT_EQ(m.find_var("ctx.mmap_changing"), kNoId);
  EXPECT_EQ(outcomes("uffd ctx\nregion g anon pages 1 uffd ctx missing\n"
                     "thread b { u = munmap g; d = dontneed g[0] }",
                     "d"),
            Labels{"ENOMEM"});
}

// userfaultfd_release wakes event_wqh; the generator sees ctx->released,
// unlinks its own event and decrements the counter.
TEST(MmEvent, ReleaseEndsTheEventWait) {
  Model m = build(
      "uffd ctx features event-remove\nregion g anon pages 1 uffd ctx missing\n"
      "thread balloon { d = dontneed g[0] }\nthread vmm { x = close ctx }");
  State s = fire(m, initial_state(m), "balloon", "userfaultfd_remove");
  EXPECT_EQ(value(m, s, "ctx.events", 0), "1");
  s = fire(m, s, "vmm", "released");
  s = fire(m, s, "balloon", "event done");
  EXPECT_EQ(value(m, s, "ctx.events", 0), "0");
  EXPECT_EQ(value(m, s, "ctx.mmap_changing"), "0");
  s = fire(m, s, "balloon", "zap");
  EXPECT_EQ(value(m, s, "d"), "OK");
}

// Without a reader the generator waits for good: no-stuck-thread counts it.
TEST(MmEvent, UnreadEventIsAStuckThread) {
  Model m = build(
      "uffd ctx features event-remove\nregion g anon pages 1 uffd ctx missing\n"
      "thread balloon { d = dontneed g[0] }\ncheck no-stuck-thread");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "d"), Labels{"BLOCKED"});
  EXPECT_TRUE(x.violated.count("no-stuck-thread"));
}

}  // namespace
}  // namespace fl::model::mm::test

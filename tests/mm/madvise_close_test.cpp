// Zaps (kernel-semantics.md 3.12, 3.13, 3.15) and userfaultfd_release (3.11).

#include <gtest/gtest.h>

#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

std::string leaf_after(const std::string& mem, const std::string& modes, const std::string& init,
                       const std::string& op) {
  Model m = build("uffd ctx\nregion g " + mem + " pages 1 uffd ctx " + modes +
                  "\ninit g[0] = " + init + "\nthread t { x = " + op + " g[0] }");
  State s = fire(m, initial_state(m), "t", op);
  EXPECT_EQ(value(m, s, "x"), "OK");
  return value(m, s, "pte", 0) + "/" + value(m, s, "page", 0);
}

// mm/madvise.c: madvise_dontneed_single_vma -> zap_page_range_single with
// even_cows: pages and poison markers go, uffd-wp and guard markers stay,
// file pages stay in the page cache, a wp-protected file page becomes a
// uffd-wp marker.
TEST(MmMadvise, DontneedZapRules) {
  EXPECT_EQ(leaf_after("anon", "missing", "mapped", "dontneed"), "none/absent");
  EXPECT_EQ(leaf_after("anon", "missing", "poisoned", "dontneed"), "none/absent");
  EXPECT_EQ(leaf_after("anon", "missing", "guard", "dontneed"), "marker-guard/absent");
  EXPECT_EQ(leaf_after("shmem", "missing", "mapped", "dontneed"), "none/src");
  EXPECT_EQ(leaf_after("shmem", "missing wp", "mapped-wp", "dontneed"), "marker-wp/src");
  EXPECT_EQ(leaf_after("shmem", "missing", "mapped-wp", "dontneed"), "none/src");
  EXPECT_EQ(leaf_after("shmem", "missing wp", "wp-marker", "dontneed"), "marker-wp/absent");
  EXPECT_EQ(leaf_after("shmem", "missing", "poisoned", "dontneed"), "none/absent");
  EXPECT_EQ(leaf_after("hugetlb", "missing", "poisoned", "dontneed"), "none/absent");
}

// After DONTNEED a shmem page is re-mapped from the page cache without a
// MISSING fault; an anon page faults to userfaultfd again.
TEST(MmMadvise, DontneedNextAccess) {
  EXPECT_EQ(outcomes("uffd ctx\nregion s shmem pages 1 uffd ctx missing\ninit s[0] = mapped\n"
                     "thread t { d = dontneed s[0]; r = read s[0] }",
                     "r"),
            Labels{"DATA_SRC"});
  EXPECT_EQ(outcomes("uffd ctx\nregion g anon pages 1 uffd ctx missing\ninit g[0] = mapped\n"
                     "thread t { d = dontneed g[0]; r = read g[0] }",
                     "r"),
            Labels{"BLOCKED"});
}

// A zap wakes nobody: a thread asleep on the page stays asleep (S14).
TEST(MmMadvise, DontneedDoesNotWake) {
  Model m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\n"
      "thread t { r = read g[0] }\nthread v { c = copy g[0] dontwake; d = dontneed g[0] }");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r"), (Labels{"BLOCKED", "DATA_SRC"}));
}

// shmem_fallocate(PUNCH_HOLE): even_cows = 0 keeps poison and uffd-wp
// markers; the folio leaves the page cache.  hugetlbfs_punch_hole drops
// poison.
TEST(MmMadvise, PunchHole) {
  EXPECT_EQ(leaf_after("shmem", "missing", "mapped", "punch-hole"), "none/absent");
  EXPECT_EQ(leaf_after("shmem", "missing", "poisoned", "punch-hole"), "marker-poison/absent");
  EXPECT_EQ(leaf_after("shmem", "missing wp", "mapped-wp", "punch-hole"), "marker-wp/absent");
  EXPECT_EQ(leaf_after("hugetlb", "missing", "poisoned", "punch-hole"), "none/absent");
  EXPECT_EQ(leaf_after("hugetlb", "missing", "mapped", "punch-hole"), "none/absent");
  // The next access to a punched shmem page is a MISSING fault.
  EXPECT_EQ(outcomes("uffd ctx\nregion s shmem pages 1 uffd ctx missing\ninit s[0] = mapped\n"
                     "thread t { h = punch-hole s[0]; r = read s[0] }",
                     "r"),
            Labels{"BLOCKED"});
}

// fs/userfaultfd.c: userfaultfd_release: released, then (mmap write lock)
// unregister and resolve wp state, then wake every waiter, which retries
// as an ordinary fault.
TEST(MmClose, ReleaseSteps) {
  Model m = build(
      "uffd ctx\nregion g shmem pages 1 uffd ctx missing wp\ninit g[0] = wp-marker\n"
      "thread t { r = read g[0] }\nthread c { x = close ctx }");
  State s = initial_state(m);
  s = fire(m, s, "t", "missing");
  s = fire(m, s, "t", "link");
  s = fire(m, s, "c", "released");
  // The faulter holds the mmap lock until must_wait: release_all waits.
  for (const std::string& n : enabled_names(m, s))
    EXPECT_EQ(n.find("unregister"), std::string::npos) << n;
  s = fire(m, s, "t", "must_wait");
  EXPECT_EQ(value(m, s, "t.ph"), "0");  // released: no sleep, VM_FAULT_RETRY
  s = fire(m, s, "c", "unregister");
  EXPECT_EQ(value(m, s, "g.registered"), "0");
  EXPECT_EQ(value(m, s, "pte", 0), "none");  // wp state resolved
  s = fire(m, s, "c", "wake all");
  s = fire(m, s, "t", "new page");
  EXPECT_EQ(value(m, s, "r"), "DATA_ZERO");
}

TEST(MmClose, WakesSleepers) {
  Model m = build(
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\n"
      "thread t { r = read g[0] }\nthread u { q = write g[0] }\nthread c { x = close ctx }");
  Explored x = explore(m);
  EXPECT_TRUE(x.errors.empty());
  EXPECT_EQ(finals_of(m, x, "r"), Labels{"DATA_ZERO"});
  EXPECT_EQ(finals_of(m, x, "q"), Labels{"OK"});
}

}  // namespace
}  // namespace fl::model::mm::test

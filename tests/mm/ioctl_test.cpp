// The userfaultfd ioctls (kernel-semantics.md 3.6, 3.7, 3.9): every
// return path of COPY / ZEROPAGE / CONTINUE / POISON / WAKE / WRITEPROTECT.

#include <gtest/gtest.h>

#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

std::string anon(const std::string& init, const std::string& ops) {
  return "uffd ctx\nregion g anon pages 2 uffd ctx missing wp\n" + init + "\nthread t { " + ops +
         " }";
}
std::string shmem(const std::string& init, const std::string& ops,
                  const std::string& modes = "missing") {
  return "uffd ctx\nregion s shmem pages 2 uffd ctx " + modes + "\n" + init + "\nthread t { " +
         ops + " }";
}

// mm/userfaultfd.c: mfill_atomic_pte_copy via mfill_atomic_install_pte:
// the destination must be none or a uffd marker (pte_none_mostly in 6.18).
TEST(MmIoctl, CopyAnonDestinations) {
  EXPECT_EQ(outcomes(anon("", "c = copy g[0]; r = read g[0]"), "r"), Labels{"DATA_SRC"});
  EXPECT_EQ(outcomes(anon("", "c = copy g[0]"), "c"), Labels{"OK"});
  EXPECT_EQ(outcomes(anon("init g[0] = mapped", "c = copy g[0]"), "c"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(anon("init g[0] = poisoned", "c = copy g[0]"), "c"), Labels{"OK"});
  EXPECT_EQ(outcomes(anon("init g[0] = wp-marker", "c = copy g[0]"), "c"), Labels{"OK"});
  // 6.18's pte_none_mostly accepts any marker, the guard marker too; the
  // ~6.19 is_uffd_pte_marker check refuses it.
  EXPECT_EQ(outcomes(anon("init g[0] = guard", "c = copy g[0]"), "c"), Labels{"OK"});
  EXPECT_EQ(
      outcomes("kconfig none-mostly = off\n" + anon("init g[0] = guard", "c = copy g[0]"), "c"),
      Labels{"EEXIST"});
}

// mm/shmem.c: shmem_mfill_atomic_pte: the page-cache slot must be empty.
TEST(MmIoctl, CopyShmem) {
  EXPECT_EQ(outcomes(shmem("init s[0] = cached", "c = copy s[0]"), "c"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(shmem("", "c = copy s[0]; r = read s[0]"), "r"), Labels{"DATA_SRC"});
}

// mfill_atomic: the checks before the first page.
TEST(MmIoctl, CopyPrologue) {
  // WP mode needs a WP-registered VMA (-EINVAL).
  EXPECT_EQ(outcomes(shmem("", "c = copy s[0] wp"), "c"), Labels{"EINVAL"});
  Model m = build(anon("", "c = copy g[0] wp"));
  State s = fire(m, initial_state(m), "t", "install");
  EXPECT_EQ(value(m, s, "pte", 0), "present-wp");
  // A VMA not registered to this context (-ENOENT).
  EXPECT_EQ(outcomes("uffd ctx\nregion g anon pages 1\nthread t { c = copy g[0] }", "c"),
            Labels{"ENOENT"});
  // The fd is closed (-EBADF).
  EXPECT_EQ(outcomes(anon("", "x = close ctx; c = copy g[0]"), "c"), Labels{"EBADF"});
}

// mfill_atomic_pte_zeropage: strictly pte_none; shmem as COPY; hugetlb
// refuses ZEROPAGE (-EINVAL).
TEST(MmIoctl, Zeropage) {
  Model m = build(anon("", "z = zeropage g[0]; r = read g[0]"));
  State s = fire(m, initial_state(m), "t", "install");
  EXPECT_EQ(value(m, s, "pte", 0), "zero");
  EXPECT_EQ(outcomes(anon("", "z = zeropage g[0]; r = read g[0]"), "r"), Labels{"DATA_ZERO"});
  EXPECT_EQ(outcomes(anon("init g[0] = poisoned", "z = zeropage g[0]"), "z"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(anon("init g[0] = wp-marker", "z = zeropage g[0]"), "z"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(shmem("", "z = zeropage s[0]; r = read s[0]"), "r"), Labels{"DATA_ZERO"});
  EXPECT_EQ(
      outcomes(
          "uffd ctx\nregion h hugetlb pages 1 uffd ctx missing\nthread t { z = zeropage h[0] }",
          "z"),
      Labels{"EINVAL"});
}

// mfill_atomic_pte_continue: anon -EINVAL; no page-cache folio -EFAULT;
// an occupied PTE -EEXIST; otherwise map the cached page.
TEST(MmIoctl, Continue) {
  EXPECT_EQ(outcomes(anon("", "k = continue g[0]"), "k"), Labels{"EINVAL"});
  EXPECT_EQ(outcomes(shmem("", "k = continue s[0]", "minor"), "k"), Labels{"EFAULT"});
  EXPECT_EQ(outcomes(shmem("init s[0] = mapped", "k = continue s[0]", "minor"), "k"),
            Labels{"EEXIST"});
  EXPECT_EQ(outcomes(shmem("init s[0] = cached", "k = continue s[0]; r = read s[0]", "minor"), "r"),
            Labels{"DATA_SRC"});
  EXPECT_EQ(outcomes(shmem("init s[0] = stale", "k = continue s[0]; r = read s[0]", "minor"), "r"),
            Labels{"DATA_STALE"});
}

// mfill_atomic_pte_poison: strictly none -> POISONED marker; -EEXIST on a
// present page or any marker.  hugetlb is supported (v6.6).
TEST(MmIoctl, Poison) {
  Model m = build(anon("", "p = poison g[0]"));
  State s = fire(m, initial_state(m), "t", "install");
  EXPECT_EQ(value(m, s, "pte", 0), "marker-poison");
  EXPECT_EQ(outcomes(anon("init g[0] = mapped", "p = poison g[0]"), "p"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(anon("init g[0] = poisoned", "p = poison g[0]"), "p"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(anon("init g[0] = wp-marker", "p = poison g[0]"), "p"), Labels{"EEXIST"});
  EXPECT_EQ(outcomes(shmem("init s[0] = cached", "p = poison s[0]; r = read s[0]"), "r"),
            Labels{"SIGBUS_ADRERR"});
  EXPECT_EQ(outcomes("uffd ctx\nregion h hugetlb pages 1 uffd ctx missing\nthread t { p = poison "
                     "h[0]; r = read h[0] }",
                     "r"),
            Labels{"SIGBUS_ADRERR"});
}

// Partial progress: output = bytes done, -EAGAIN, wake of the done prefix
// only; an error on the first page returns that error, writes it into the
// output field (userfaultfd_copy: put_user(ret, &copy)) and wakes nobody.
TEST(MmIoctl, PartialProgress) {
  Model m = build(anon("init g[1] = mapped", "c = copy g[0] len 2"));
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"c", "c_out"}), Labels{"c=EAGAIN c_out=1"});
  m = build(anon("init g[0] = mapped", "c = copy g[0] len 2"));
  x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"c", "c_out"}), Labels{"c=EEXIST c_out=-EEXIST"});
  m = build(anon("", "c = copy g[0] len 2"));
  x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"c", "c_out"}), Labels{"c=OK c_out=2"});
  m = build(anon("init g[1] = mapped", "c = copy g[0] len 2 dontwake"));
  x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"c", "c_out"}), Labels{"c=EAGAIN c_out=1"});
}

// The epilogue wakes [start, start + done): a WP waiter on the page that
// failed is not woken, a waiter on the done page is.
TEST(MmIoctl, PartialWakesOnlyDonePrefix) {
  std::string text =
      "uffd ctx\nregion g anon pages 2 uffd ctx missing wp\ninit g[1] = mapped-wp\n"
      "thread a { r0 = read g[0] }\nthread b { r1 = write g[1] }\n";
  Model m = build(text + "thread v { c = copy g[0] len 2 }");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r1"), Labels{"BLOCKED"});
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_SRC"});
  EXPECT_NE(kernel_function(m, "v", "wake 1").find("wake_userfault"), std::string::npos);
}

// fs/userfaultfd.c: userfaultfd_wake -> wake_userfault: no page-table
// check; a woken thread whose page is unresolved re-queues.
TEST(MmIoctl, Wake) {
  std::string base =
      "uffd ctx\nregion g anon pages 1 uffd ctx missing\nthread t { r = read g[0] }\n";
  Model m = build(base + "thread v { w = wake g[0] }");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r"), Labels{"BLOCKED"});
  EXPECT_EQ(finals_of(m, x, "w"), Labels{"OK"});
  EXPECT_EQ(outcomes(base + "thread v { c = copy g[0] dontwake; w = wake g[0] }", "r"),
            Labels{"DATA_SRC"});
  EXPECT_EQ(outcomes(base + "thread v { x = close ctx; w = wake g[0] }", "w"), Labels{"EBADF"});
}

// UFFDIO_WRITEPROTECT: WP|DONTWAKE -EINVAL; a VMA without WP -ENOENT;
// uffd_wp_range: present -> wp bit, file hole -> uffd-wp marker, anon hole
// untouched; un-protect clears them and wakes unless DONTWAKE.
TEST(MmIoctl, Writeprotect) {
  EXPECT_EQ(outcomes(anon("", "p = writeprotect g[0] dontwake"), "p"), Labels{"EINVAL"});
  EXPECT_EQ(outcomes(shmem("", "p = writeprotect s[0]"), "p"), Labels{"ENOENT"});
  Model m = build(
      shmem("init s[1] = mapped", "p = writeprotect s[0] len 2; u = unprotect s[0]", "missing wp"));
  State s = fire(m, initial_state(m), "t", "writeprotect");
  EXPECT_EQ(value(m, s, "pte", 0), "marker-wp");
  EXPECT_EQ(value(m, s, "pte", 1), "present-wp");
  s = fire(m, s, "t", "1:unprotect s[0]");
  s = fire(m, s, "t", "1:unprotect s[0] / wake");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  EXPECT_EQ(value(m, s, "pte", 1), "present-wp");
  m = build(anon("", "p = writeprotect g[0]"));
  s = fire(m, initial_state(m), "t", "writeprotect");
  EXPECT_EQ(value(m, s, "pte", 0), "none");
  // Un-protect wakes a WP waiter, DONTWAKE does not.
  std::string wp =
      "uffd ctx\nregion g anon pages 1 uffd ctx wp\ninit g[0] = mapped-wp\nthread a { r = write "
      "g[0] }\n";
  EXPECT_EQ(outcomes(wp + "thread v { u = unprotect g[0] }", "r"), Labels{"OK"});
  EXPECT_EQ(outcomes(wp + "thread v { u = unprotect g[0] dontwake }", "r"),
            (Labels{"BLOCKED", "OK"}));
}

}  // namespace
}  // namespace fl::model::mm::test

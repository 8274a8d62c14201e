// UFFDIO_POISON and the POISONED PTE marker on the running kernel. Each test names the kernel
// function whose behaviour it pins; docs/kernel-facts.md tabulates the observed values.

#include <sys/mman.h>

#include "tests/shim/shim_test_util.h"

namespace fl::shim::test {
namespace {

class PoisonTest : public ShimTest {
 protected:
  void SetUp() override {
    ShimTest::SetUp();
    FL_REQUIRE_UFFD(UFFD_FEATURE_POISON);
  }

  // The signal a user access to a POISONED marker raises. handle_pte_marker returns
  // VM_FAULT_HWPOISON; arch/x86/mm/fault.c:do_sigbus turns that into BUS_MCEERR_AR with
  // si_addr_lsb = PAGE_SHIFT only under CONFIG_MEMORY_FAILURE, and into a plain BUS_ADRERR
  // (lsb 0) otherwise. This machine's kernel is built without CONFIG_MEMORY_FAILURE.
  static int expected_poison_code() {
    return machine().memory_failure_enabled() ? BUS_MCEERR_AR : BUS_ADRERR;
  }
  static int expected_poison_lsb() { return machine().memory_failure_enabled() ? 12 : 0; }

  // An anon mapping of `pages` pages registered MISSING on a fresh context.
  struct Armed {
    Userfaultfd uffd;
    Mapping m;
  };
  static Armed anon_registered(std::size_t pages, std::uint64_t features = 0) {
    Userfaultfd uffd = open_uffd(features);
    auto m = Mapping::anon(pages * ps());
    EXPECT_TRUE(m.ok());
    auto reg = uffd.register_range(m->data(), m->size_bytes(), UFFDIO_REGISTER_MODE_MISSING);
    EXPECT_TRUE(reg.ok()) << reg.error();
    return Armed{std::move(uffd), std::move(*m)};
  }
};

// mm/userfaultfd.c:mfill_atomic_pte_poison on a none PTE installs the marker; the ioctl epilogue
// (fs/userfaultfd.c:userfaultfd_poison) writes updated = len.
TEST_F(PoisonTest, PoisonOnNoneAnonPageUpdatesLen) {
  auto a = anon_registered(4);
  auto r = a.uffd.poison(a.m.page(1), 2 * ps());
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.out, static_cast<std::int64_t>(2 * ps()));
}

// mm/memory.c:handle_pte_marker -> VM_FAULT_HWPOISON -> arch/x86/mm/fault.c:do_sigbus.
// si_addr is the exact faulting address (not page-aligned).
TEST_F(PoisonTest, UserReadAndWriteOfMarkerRaiseSigbus) {
  auto a = anon_registered(2);
  ASSERT_EQ(a.uffd.poison(a.m.page(1), ps()).err, 0);
  for (AccessKind kind : {AccessKind::kRead, AccessKind::kWrite}) {
    auto out = access_byte(a.m.page(1) + 0x123, kind, 7, a.m.addr());
    SCOPED_TRACE(describe(out));
    EXPECT_FALSE(out.completed);
    EXPECT_EQ(out.signo, SIGBUS);
    EXPECT_EQ(out.code, expected_poison_code());
    EXPECT_EQ(out.addr_offset, static_cast<std::intptr_t>(ps() + 0x123));
    EXPECT_EQ(out.addr_lsb, expected_poison_lsb());
  }
}

// mfill_atomic_pte_poison requires a strictly none PTE: a present page -> -EEXIST, and the
// output field carries the negative errno too.
TEST_F(PoisonTest, PoisonOnPresentPageIsEexist) {
  Userfaultfd uffd = open_uffd(0);
  auto m = Mapping::anon(ps());
  ASSERT_TRUE(m.ok());
  m->data()[0] = 1;  // populate before registering, so the write does not fault into uffd
  ASSERT_TRUE(uffd.register_range(m->data(), ps(), UFFDIO_REGISTER_MODE_MISSING).ok());
  auto r = uffd.poison(m->data(), ps());
  EXPECT_EQ(r.err, EEXIST);
  EXPECT_EQ(r.out, -EEXIST);
  EXPECT_EQ(m->data()[0], 1);  // the page is untouched
}

// A marker is not none either: the second POISON -> -EEXIST.
TEST_F(PoisonTest, PoisonTwiceIsEexist) {
  auto a = anon_registered(1);
  ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
  auto r = a.uffd.poison(a.m.data(), ps());
  EXPECT_EQ(r.err, EEXIST);
  EXPECT_EQ(r.out, -EEXIST);
}

// mfill_atomic_install_pte accepts a uffd marker (UFFD_WP or POISONED) as an empty destination:
// COPY replaces the poison with data.
TEST_F(PoisonTest, CopyOverMarkerSucceeds) {
  auto a = anon_registered(1);
  ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
  const std::string src = source_page('d');
  auto r = a.uffd.copy(a.m.data(), src.data(), ps());
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.out, static_cast<std::int64_t>(ps()));
  auto out = access_byte(a.m.data() + 10, AccessKind::kRead, 0, a.m.addr());
  EXPECT_TRUE(out.completed) << describe(out);
  EXPECT_EQ(out.value, 'd');
}

// mfill_atomic_pte_zeropage requires a strictly none PTE: -EEXIST on the marker.
TEST_F(PoisonTest, ZeropageOverMarkerIsEexist) {
  auto a = anon_registered(1);
  ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
  auto r = a.uffd.zeropage(a.m.data(), ps());
  EXPECT_EQ(r.err, EEXIST);
  EXPECT_EQ(r.out, -EEXIST);
}

// MADV_DONTNEED (mm/madvise.c:madvise_dontneed_single_vma, zap with even_cows) drops the marker;
// in a MISSING-registered range the next read is a MISSING userfault again
// (fs/userfaultfd.c:handle_userfault) that blocks and queues a message.
TEST_F(PoisonTest, DontneedDropsMarkerThenReadBlocks) {
  auto a = anon_registered(2, UFFD_FEATURE_THREAD_ID);
  ASSERT_EQ(a.uffd.poison(a.m.page(1), ps()).err, 0);
  ASSERT_EQ(a.m.advise(ps(), ps(), MADV_DONTNEED), 0);
  auto call = BlockingCall::access(a.m.page(1) + 8, AccessKind::kRead, 0, a.m.addr());
  auto msg = a.uffd.read_message(static_cast<int>(kPrompt.count()));
  ASSERT_TRUE(msg.ok()) << msg.error();
  EXPECT_EQ(msg->event, UFFD_EVENT_PAGEFAULT);
  EXPECT_EQ(msg->address, a.m.addr() + ps());
  EXPECT_EQ(msg->flags, 0u);
  EXPECT_EQ(msg->ptid, static_cast<std::uint32_t>(call->tid()));
  EXPECT_TRUE(call->wait_blocked(kPrompt));
  const std::string src = source_page('r');
  EXPECT_EQ(a.uffd.copy(a.m.page(1), src.data(), ps()).err, 0);
  ASSERT_TRUE(call->wait_done(kPrompt));
  EXPECT_TRUE(call->outcome().completed);
  EXPECT_EQ(call->outcome().value, 'r');
}

// UFFDIO_UNREGISTER (userfaultfd_unregister) leaves POISONED markers in place; MADV_DONTNEED on
// the now ordinary range drops it and the read maps the zero page.
TEST_F(PoisonTest, MarkerSurvivesUnregisterDontneedDropsIt) {
  auto a = anon_registered(1);
  ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
  ASSERT_EQ(a.uffd.unregister(a.m.data(), ps()), 0);
  auto still = access_byte(a.m.data(), AccessKind::kRead, 0, a.m.addr());
  EXPECT_EQ(still.signo, SIGBUS) << describe(still);
  EXPECT_EQ(still.code, expected_poison_code());
  ASSERT_EQ(a.m.advise(0, ps(), MADV_DONTNEED), 0);
  auto out = access_byte(a.m.data(), AccessKind::kRead, 0, a.m.addr());
  EXPECT_TRUE(out.completed) << describe(out);
  EXPECT_EQ(out.value, 0);
}

// MADV_POPULATE_READ / WRITE (mm/madvise.c:madvise_populate -> GUP with FOLL_HWPOISON):
// VM_FAULT_HWPOISON becomes -EHWPOISON.
TEST_F(PoisonTest, PopulateOnMarkerIsEhwpoison) {
  auto a = anon_registered(1);
  ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
  EXPECT_EQ(a.m.advise(0, ps(), MADV_POPULATE_READ), EHWPOISON);
  EXPECT_EQ(a.m.advise(0, ps(), MADV_POPULATE_WRITE), EHWPOISON);
}

// Kernel-mode accesses to the marker: a uaccess fault that gets VM_FAULT_HWPOISON in kernel mode
// is fixed up (arch/x86/mm/fault.c: kernel-mode branch of do_sigbus), so read(2) / write(2)
// return EFAULT, not EHWPOISON. process_vm_readv (remote GUP, mm/process_vm_access.c) also
// reports EFAULT.
TEST_F(PoisonTest, KernelModeAccessOfMarkerIsEfault) {
  auto a = anon_registered(1);
  ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
  auto into = kernel_write_via_pipe(a.m.data(), 8);
  EXPECT_EQ(into.error(), EFAULT);
  auto from = kernel_read_via_pipe(a.m.data(), 8);
  EXPECT_EQ(from.error(), EFAULT);
  auto remote = kernel_read_via_process_vm_readv(a.m.data(), 8);
  EXPECT_EQ(remote.error(), EFAULT);
}

// A faulter already asleep on a page that then gets POISON: the ioctl wakes the range
// (userfaultfd_poison epilogue), the retry finds the marker and raises SIGBUS.
TEST_F(PoisonTest, PoisonWakesWaiterWhichGetsSigbus) {
  auto a = anon_registered(1);
  auto call = BlockingCall::access(a.m.data() + 0x40, AccessKind::kRead, 0, a.m.addr());
  auto msg = a.uffd.read_message(static_cast<int>(kPrompt.count()));
  ASSERT_TRUE(msg.ok()) << msg.error();
  ASSERT_TRUE(call->wait_blocked(kPrompt));
  auto r = a.uffd.poison(a.m.data(), ps());
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.out, static_cast<std::int64_t>(ps()));
  ASSERT_TRUE(call->wait_done(kPrompt));
  EXPECT_EQ(call->outcome().signo, SIGBUS) << describe(call->outcome());
  EXPECT_EQ(call->outcome().code, expected_poison_code());
  EXPECT_EQ(call->outcome().addr_offset, 0x40);
}

// POISON with DONTWAKE: the waiter stays asleep (userfaultfd_must_wait treats the marker as
// still unresolved) until UFFDIO_WAKE, then gets SIGBUS.
TEST_F(PoisonTest, PoisonDontwakeLeavesWaiterAsleepUntilWake) {
  auto a = anon_registered(1);
  auto call = BlockingCall::access(a.m.data(), AccessKind::kRead, 0, a.m.addr());
  ASSERT_TRUE(a.uffd.read_message(static_cast<int>(kPrompt.count())).ok());
  ASSERT_TRUE(call->wait_blocked(kPrompt));
  EXPECT_EQ(a.uffd.poison(a.m.data(), ps(), UFFDIO_POISON_MODE_DONTWAKE).err, 0);
  EXPECT_FALSE(call->wait_done(kQuiet));
  EXPECT_EQ(a.uffd.wake(a.m.data(), ps()), 0);
  ASSERT_TRUE(call->wait_done(kPrompt));
  EXPECT_EQ(call->outcome().signo, SIGBUS) << describe(call->outcome());
}

// POISON on an unregistered range: mfill_atomic finds no VMA registered to this context ->
// -ENOENT.
TEST_F(PoisonTest, PoisonOnUnregisteredRangeIsEnoent) {
  Userfaultfd uffd = open_uffd(0);
  auto m = Mapping::anon(ps());
  ASSERT_TRUE(m.ok());
  auto r = uffd.poison(m->data(), ps());
  EXPECT_EQ(r.err, ENOENT);
  EXPECT_EQ(r.out, -ENOENT);
}

// shmem: POISON looks only at the PTE, not at the page cache (mfill_atomic_pte_poison), so a
// page that is cached but not mapped can be poisoned, and the access then raises SIGBUS although
// the data is still in the file.
TEST_F(PoisonTest, ShmemPoisonOverCachedUnmappedPage) {
  FL_REQUIRE_UFFD(UFFD_FEATURE_MISSING_SHMEM);
  Userfaultfd uffd = open_uffd(0);
  auto m = Mapping::shmem(ps());
  ASSERT_TRUE(m.ok());
  const std::string data = source_page('c');
  ASSERT_EQ(m->pwrite_file(0, data.data(), ps()), 0);
  ASSERT_TRUE(uffd.register_range(m->data(), ps(), UFFDIO_REGISTER_MODE_MISSING).ok());
  auto r = uffd.poison(m->data(), ps());
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.out, static_cast<std::int64_t>(ps()));
  auto out = access_byte(m->data(), AccessKind::kRead, 0, m->addr());
  EXPECT_EQ(out.signo, SIGBUS) << describe(out);
  EXPECT_EQ(out.code, expected_poison_code());
}

// Q3: shmem punch-hole (mm/shmem.c:shmem_fallocate -> unmap_mapping_range with even_cows = 0)
// and MADV_REMOVE on a shared mapping. The zap rules (zap_nonpresent_ptes / should_zap_cows)
// keep POISONED markers when even_cows is false, so the access keeps raising SIGBUS.
TEST_F(PoisonTest, ShmemPunchHoleKeepsMarker) {
  FL_REQUIRE_UFFD(UFFD_FEATURE_MISSING_SHMEM);
  for (bool via_madvise : {false, true}) {
    SCOPED_TRACE(via_madvise ? "MADV_REMOVE" : "fallocate(PUNCH_HOLE)");
    Userfaultfd uffd = open_uffd(0);
    auto m = Mapping::shmem(2 * ps());
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(uffd.register_range(m->data(), 2 * ps(), UFFDIO_REGISTER_MODE_MISSING).ok());
    ASSERT_EQ(uffd.poison(m->page(1), ps()).err, 0);
    const int err = via_madvise ? m->advise(ps(), ps(), MADV_REMOVE) : m->punch_hole(ps(), ps());
    ASSERT_EQ(err, 0);
    auto call = BlockingCall::access(m->page(1) + 1, AccessKind::kRead, 0, m->addr());
    const bool finished = call->wait_done(kPrompt);
    if (!finished) {
      // The marker was dropped and the read became a MISSING fault: resolve it so the thread
      // can finish, then fail.
      const std::string src = source_page('x');
      uffd.copy(m->page(1), src.data(), ps());
      call->wait_done(kPrompt);
    }
    ASSERT_TRUE(finished) << "the read blocked: the marker did not survive";
    EXPECT_EQ(call->outcome().signo, SIGBUS) << describe(call->outcome());
    EXPECT_EQ(call->outcome().code, expected_poison_code());
    // And COPY over the surviving marker installs data (marker-tolerant install).
    const std::string src = source_page('p');
    auto r = uffd.copy(m->page(1), src.data(), ps());
    EXPECT_EQ(r.err, 0);
    EXPECT_EQ(r.out, static_cast<std::int64_t>(ps()));
    auto out = access_byte(m->page(1), AccessKind::kRead, 0, m->addr());
    EXPECT_EQ(out.value, 'p') << describe(out);
  }
}

// Q12: guard regions and userfaultfd. On this kernel neither side refuses the combination:
// UFFDIO_REGISTER over a VMA with guard markers succeeds, MADV_GUARD_INSTALL
// (mm/madvise.c:madvise_guard_install) on a registered VMA succeeds, POISON over a guard marker is
// -EEXIST (not none), and COPY over a guard marker SUCCEEDS and replaces the guard with data:
// the v6.18 install path still accepts "none or any marker" (pte_none_mostly), so a guard
// marker counts as empty (the late-2025 rework restricts that to UFFD markers).
TEST_F(PoisonTest, GuardRegionsAndUserfaultfd) {
  Userfaultfd uffd = open_uffd(0);
  auto m = Mapping::anon(2 * ps());
  ASSERT_TRUE(m.ok());
  // On an ordinary VMA the guard works: SIGSEGV (handle_pte_marker -> VM_FAULT_SIGSEGV).
  ASSERT_EQ(m->advise(0, ps(), MADV_GUARD_INSTALL), 0);
  auto out = access_byte(m->data() + 9, AccessKind::kRead, 0, m->addr());
  EXPECT_EQ(out.signo, SIGSEGV) << describe(out);
  EXPECT_EQ(out.code, SEGV_MAPERR);
  EXPECT_EQ(out.addr_offset, 9);
  auto reg = uffd.register_range(m->data(), 2 * ps(), UFFDIO_REGISTER_MODE_MISSING);
  EXPECT_TRUE(reg.ok()) << "REGISTER over guard markers: errno " << reg.error();
  EXPECT_EQ(m->advise(ps(), ps(), MADV_GUARD_INSTALL), 0);
  auto guarded = access_byte(m->page(1), AccessKind::kRead, 0, m->addr());
  EXPECT_EQ(guarded.signo, SIGSEGV) << describe(guarded);
  EXPECT_EQ(guarded.code, SEGV_MAPERR);
  auto r = uffd.poison(m->page(1), ps());
  EXPECT_EQ(r.err, EEXIST);
  EXPECT_EQ(r.out, -EEXIST);
  const std::string src = source_page('g');
  auto c = uffd.copy(m->page(1), src.data(), ps());
  EXPECT_EQ(c.err, 0);
  EXPECT_EQ(c.out, static_cast<std::int64_t>(ps()));
  auto after = access_byte(m->page(1), AccessKind::kRead, 0, m->addr());
  EXPECT_TRUE(after.completed) << describe(after);
  EXPECT_EQ(after.value, 'g');
}

// fork without EVENT_FORK (mm/memory.c:copy_page_range / vma_needs_copy, copy_pte_marker):
// an anon VMA's page tables are copied and copy_pte_marker copies POISONED, so the child inherits
// the marker (SIGBUS) even though its VMA is no longer registered. A shared shmem VMA has no
// anon_vma and is not copied: the child refaults from the page cache and the poison is lost (the
// [H] consequence in kernel-semantics.md 3.14, confirmed).
TEST_F(PoisonTest, ForkInheritsAnonMarkerButNotSharedShmemMarker) {
  {
    auto a = anon_registered(2);
    ASSERT_EQ(a.uffd.poison(a.m.data(), ps()).err, 0);
    auto child = access_in_child(a.m.data(), AccessKind::kRead, 0, a.m.addr(), kPrompt);
    ASSERT_TRUE(child.ok()) << child.error();
    EXPECT_EQ(child->signo, SIGBUS) << describe(*child);
    EXPECT_EQ(child->code, expected_poison_code());
  }
  {
    FL_REQUIRE_UFFD(UFFD_FEATURE_MISSING_SHMEM);
    Userfaultfd uffd = open_uffd(0);
    auto m = Mapping::shmem(ps());
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(uffd.register_range(m->data(), ps(), UFFDIO_REGISTER_MODE_MISSING).ok());
    ASSERT_EQ(uffd.poison(m->data(), ps()).err, 0);
    auto child = access_in_child(m->data(), AccessKind::kRead, 0, m->addr(), kPrompt);
    ASSERT_TRUE(child.ok()) << child.error();
    EXPECT_TRUE(child->completed) << describe(*child);
    EXPECT_EQ(child->value, 0);
  }
}

// hugetlb POISON (mm/hugetlb.c:hugetlb_fault -> VM_FAULT_HWPOISON_LARGE): the signal carries
// the huge page shift as si_addr_lsb under CONFIG_MEMORY_FAILURE. Needs a reservable huge page;
// the shim never changes the pool.
TEST_F(PoisonTest, HugetlbMarker) {
  if (!machine().hugetlb_usable()) {
    GTEST_SKIP() << "no reservable huge page (nr_hugepages=" << machine().nr_hugepages
                 << ", overcommit=" << machine().nr_overcommit_hugepages << ")";
  }
  FL_REQUIRE_UFFD(UFFD_FEATURE_MISSING_HUGETLBFS);
  Userfaultfd uffd = open_uffd(0);
  auto m = Mapping::create(Backing::kHugetlbAnon, 0);
  ASSERT_TRUE(m.ok()) << m.error();
  const std::size_t huge = m->granule_bytes();
  ASSERT_TRUE(uffd.register_range(m->data(), huge, UFFDIO_REGISTER_MODE_MISSING).ok());
  auto r = uffd.poison(m->data(), huge);
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.out, static_cast<std::int64_t>(huge));
  auto out = access_byte(m->data() + ps() + 1, AccessKind::kRead, 0, m->addr());
  EXPECT_EQ(out.signo, SIGBUS) << describe(out);
  EXPECT_EQ(out.code, expected_poison_code());
  EXPECT_EQ(out.addr_offset, static_cast<std::intptr_t>(ps() + 1));
  EXPECT_EQ(out.addr_lsb, machine().memory_failure_enabled() ? __builtin_ctzl(huge) : 0);
}

}  // namespace
}  // namespace fl::shim::test

// Zaps (kernel-semantics.md 3.12, 3.13, 3.15) and the last close of a
// userfaultfd (3.11).

#include "model/mm/gen.h"

namespace fl::model::mm {

void Gen::madvise(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const bool punch = o.op == Op::PunchHole;
  std::vector<Id> body;
  std::string fn;
  for (int p = o.page; p < o.page + o.len; ++p) {
    const Mem m = mem_of(p);
    Id e = P(p);
    // A present page with the uffd-wp bit in a WP-registered file VMA is
    // replaced by a uffd-wp marker (zap_install_uffd_wp_if_needed); on
    // anonymous memory a zap drops everything.
    Id wp_kept = (m != Mem::Anon) ? b.ite(registered(p, kModeWp), L(kPteMarkerWp), L(kPteNone))
                                  : L(kPteNone);
    Id present = in(e, {kPteZero, kPteZeroWp, kPtePresent});
    if (!punch) {
      // MADV_DONTNEED: zap with even_cows: poison markers are dropped,
      // uffd-wp and guard markers kept; file pages stay in the page cache.
      body.push_back(if_(present, set(pte, p, kPteNone),
                         if_(eqv(e, kPtePresentWp), b.assign(pte, L(p), wp_kept),
                             if_(eqv(e, kPteMarkerPoison), set(pte, p, kPteNone)))));
      if (m == Mem::Anon) body.push_back(set(mem, p, kTokAbsent));
      if (pz != kNoId) body.push_back(set(pz, p, 0));
    } else if (m == Mem::Shmem) {
      // shmem_fallocate(PUNCH_HOLE): unmap_mapping_range without even_cows
      // keeps poison, uffd-wp and guard markers; the folio leaves the cache.
      body.push_back(if_(present, set(pte, p, kPteNone),
                         if_(eqv(e, kPtePresentWp), b.assign(pte, L(p), wp_kept))));
      body.push_back(set(mem, p, kTokAbsent));
      if (pz != kNoId) body.push_back(if_(b.ne(e, L(kPteMarkerPoison)), set(pz, p, 0)));
    } else {
      // hugetlbfs_punch_hole -> __unmap_hugepage_range: every non-present
      // entry but uffd-wp ones is cleared, so poison is dropped.
      body.push_back(if_(present, set(pte, p, kPteNone),
                         if_(eqv(e, kPtePresentWp), b.assign(pte, L(p), wp_kept),
                             if_(eqv(e, kPteMarkerPoison), set(pte, p, kPteNone)))));
      body.push_back(set(mem, p, kTokAbsent));
      if (pz != kNoId) body.push_back(set(pz, p, 0));
    }
  }
  const Mem m = mem_of(o.page);
  if (!punch) {
    fn = m == Mem::Hugetlb
             ? "mm/madvise.c: madvise_dontneed_single_vma -> mm/hugetlb.c: __unmap_hugepage_range"
             : "mm/madvise.c: madvise_dontneed_single_vma -> mm/memory.c: zap_page_range_single";
  } else {
    fn = m == Mem::Hugetlb ? "fs/hugetlbfs/inode.c: hugetlbfs_punch_hole"
                           : "mm/shmem.c: shmem_fallocate (PUNCH_HOLE) -> unmap_mapping_range, "
                             "shmem_truncate_range";
  }
  // No wake-up: a thread waiting on a zapped page stays asleep (I3).
  body.push_back(finish(t, i, L(kOk)));
  action(tv[t].actor, act_name(t, i, ""), fn, at(t, i, kPhRun), seq(body), o.loc);
}

void Gen::close_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int c = o.ctx;
  const Id actor = tv[t].actor;
  const std::string fn = "fs/userfaultfd.c: userfaultfd_release";
  // 1. WRITE_ONCE(ctx->released, true): from now on handle_userfault
  //    returns VM_FAULT_RETRY without queueing.
  action(actor, act_name(t, i, "released"), fn + " (released = true)", at(t, i, kPhRun),
         seq({set(cv[c].released, 1), set(tv[t].ph, kPhClose1)}), o.loc);
  // 2. mmap_write_lock: waits for every holder of the mmap / VMA read lock
  //    (a faulter between linking and must_wait, a fill between pages), then
  //    userfaultfd_release_all clears the registration and resolves wp state.
  std::vector<Id> no_readers;
  for (size_t u = 0; u < s.threads.size(); ++u) {
    Id ph = V(tv[u].ph);
    no_readers.push_back(b.not_(in(ph, {kPhUfEnter, kPhLinked, kPhLinkedWoken})));
    no_readers.push_back(
        b.not_(and_({b.binary(BinaryOp::Gt, ph, L(kPhFill0)), b.lt(ph, L(kPhWake0))})));
  }
  std::vector<Id> body;
  for (size_t r = 0; r < s.regions.size(); ++r) {
    const RegionSpec& rs = s.regions[r];
    if (rs.ctx != c) continue;
    body.push_back(set(regvar[r], 0));
    if (rs.modes & kModeWp) body.push_back(protect_range(rs.first, rs.pages, false));
  }
  body.push_back(set(tv[t].ph, kPhClose2));
  action(actor, act_name(t, i, "unregister"), fn + " -> userfaultfd_release_all (mmap_write_lock)",
         and_({at(t, i, kPhClose1), b.all(no_readers)}), seq(body), o.loc);
  // 3. Wake every waiter on fault_pending_wqh and fault_wqh (range length
  //    0 matches all); they retry as ordinary faults.
  action(actor, act_name(t, i, "wake all"), fn + " (wake all fault waiters)", at(t, i, kPhClose2),
         seq({wake_range(c, 0, -1), finish(t, i, L(kOk))}), o.loc);
}

}  // namespace fl::model::mm

// Zaps (kernel-semantics.md 3.12, 3.13, 3.15) and the last close of a
// userfaultfd (3.11).

#include "model/mm/gen.h"

namespace fl::model::mm {

void Gen::madvise(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const bool punch = o.op == Op::PunchHole;
  // zap_page_range_single, unmap_mapping_range and __unmap_hugepage_range
  // all bracket the zap with mmu_notifier_invalidate_range_start/end.  A
  // punch-hole of an unmapped file unmaps nothing and calls no notifier.
  Id notify = zap_hook(ZapKind::Zap, o.page, o.len);
  std::vector<Id> body = {punch ? if_(mapped(o.page), notify) : notify};
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
  Id zap = seq(body);
  const int c = event_ctx(t, i);
  if (punch) {
    // fallocate works on the file: with the region unmapped the zap finds
    // nothing to unmap and only the page cache goes.
    action(tv[t].actor, act_name(t, i, ""), fn, at(t, i, kPhRun), zap, o.loc);
    return;
  }
  // madvise of a range without a VMA: -ENOMEM (madvise_walk_vmas).
  Id enomem = finish(t, i, L(kEnomem));
  if (c < 0) {
    action(tv[t].actor, act_name(t, i, ""), fn, at(t, i, kPhRun), if_(mapped(o.page), zap, enomem),
           o.loc);
    return;
  }
  // With EVENT_REMOVE, madvise_dontneed_free first calls
  // userfaultfd_remove: the counter goes up (map_changing_lock for write),
  // mmap_lock is dropped and the REMOVE event is sent; the generator waits
  // until it is read, decrements the counter, and only then re-takes
  // mmap_lock, looks the VMA up again and zaps (S19: a fill in between
  // succeeds and is zapped).
  Id reg = registered(o.page, kModeMissing | kModeWp | kModeMinor);
  action(
      tv[t].actor, act_name(t, i, "userfaultfd_remove"),
      "mm/madvise.c: madvise_dontneed_free -> fs/userfaultfd.c: userfaultfd_remove",
      and_({at(t, i, kPhRun), no_fill_in_progress()}),
      if_(b.not_(mapped(o.page)), enomem,
          if_(reg, seq({raise_event(c, t), set(tv[t].ph, kPhEvWait), set_reg(t, i, L(kBlocked))}),
              zap)),
      o.loc);
  event_resume(t, i, c, seq({set(tv[t].ph, kPhZap), set_reg(t, i, L(kPending))}));
  action(tv[t].actor, act_name(t, i, "zap"), fn + " (after mmap_read_lock, vma_lookup again)",
         at(t, i, kPhZap), if_(mapped(o.page), zap, enomem), o.loc);
}

// MADV_GUARD_INSTALL (mm/madvise.c: madvise_guard_install): the page walk
// installs a guard marker in every empty entry; any other entry aborts the
// walk, the range is zapped (zap_page_range_single without details: pages
// and poison markers go) and the walk retried.  A uffd-wp marker survives
// that zap, so the walk would retry until a fatal signal: not modelled (an
// assertion).  On this kernel guard regions and userfaultfd coexist
// (docs/kernel-facts.md).  MADV_GUARD_REMOVE (madvise_guard_remove) clears
// guard markers only.  Neither sends an event or wakes anybody.
void Gen::guard_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const bool install = o.op == Op::GuardInstall;
  std::vector<Id> body;
  if (install) {
    // The walk aborts on any entry that is neither none nor a guard marker
    // and zaps the range (zap_page_range_single: the mmu notifier) before
    // it retries; a range of empty entries is never zapped.
    std::vector<Id> busy;
    for (int p = o.page; p < o.page + o.len; ++p) {
      busy.push_back(b.not_(in(P(p), {kPteNone, kPteMarkerGuard})));
    }
    body.push_back(if_(b.any(busy), zap_hook(ZapKind::Zap, o.page, o.len)));
  }
  for (int p = o.page; p < o.page + o.len; ++p) {
    Id e = P(p);
    if (install) {
      body.push_back(b.assert_(b.ne(e, L(kPteMarkerWp)),
                               "MADV_GUARD_INSTALL over a uffd-wp marker is not modelled", o.loc));
      body.push_back(set(pte, p, kPteMarkerGuard));
      if (mem_of(p) == Mem::Anon) body.push_back(set(mem, p, kTokAbsent));
      if (pz != kNoId) body.push_back(set(pz, p, 0));
    } else {
      body.push_back(if_(eqv(e, kPteMarkerGuard), set(pte, p, kPteNone)));
    }
  }
  body.push_back(finish(t, i, L(kOk)));
  action(tv[t].actor, act_name(t, i, ""),
         install
             ? "mm/madvise.c: madvise_guard_install -> walk_page_range_mm, zap_page_range_single"
             : "mm/madvise.c: madvise_guard_remove -> walk_page_range",
         at(t, i, kPhRun), if_(mapped(o.page), seq(body), finish(t, i, L(kEnomem))), o.loc);
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
  //    userfaultfd_release_all clears the registration and resolves wp state
  //    of the VMAs still registered.
  std::vector<Id> body;
  for (size_t r = 0; r < s.regions.size(); ++r) {
    const RegionSpec& rs = s.regions[r];
    if (rs.ctx != c) continue;
    if (rs.modes & kModeWp) {
      body.push_back(if_(registered(rs.first, kModeWp), protect_range(rs.first, rs.pages, false)));
    }
    body.push_back(set(regvar[r], 0));
  }
  body.push_back(set(tv[t].ph, kPhClose2));
  action(actor, act_name(t, i, "unregister"), fn + " -> userfaultfd_release_all (mmap_write_lock)",
         and_({at(t, i, kPhClose1), no_mm_readers()}), seq(body), o.loc);
  // 3. Wake every waiter on fault_pending_wqh and fault_wqh (range length
  //    0 matches all); they retry as ordinary faults.
  action(actor, act_name(t, i, "wake all"), fn + " (wake all fault waiters)", at(t, i, kPhClose2),
         seq({wake_range(c, 0, -1), finish(t, i, L(kOk))}), o.loc);
}

}  // namespace fl::model::mm

// The non-cooperative side of userfaultfd (kernel-semantics.md 3.10, 3.14,
// 3.5): mmap_changing and the event queue, the early mmap_changing check of
// the ioctls, and the operations that change the address space under a
// registered range: fork, mremap, munmap and UFFDIO_UNREGISTER.

#include "model/mm/gen.h"

namespace fl::model::mm {

namespace {

std::string entry_fn(Op op) {
  switch (op) {
    case Op::Copy:
      return "fs/userfaultfd.c: userfaultfd_copy";
    case Op::Zeropage:
      return "fs/userfaultfd.c: userfaultfd_zeropage";
    case Op::Continue:
      return "fs/userfaultfd.c: userfaultfd_continue";
    case Op::Poison:
      return "fs/userfaultfd.c: userfaultfd_poison";
    case Op::Move:
      return "fs/userfaultfd.c: userfaultfd_move";
    default:
      return "fs/userfaultfd.c: userfaultfd_writeprotect";
  }
}

}  // namespace

// Every fill / move / writeprotect ioctl first reads mmap_changing without
// any lock and fails with -EAGAIN (writing -EAGAIN into the output field,
// since 95567729173e; WRITEPROTECT has none).  Only generated when some
// event can raise the counter of context c; otherwise the check can never
// fail and the ioctl starts with its locked step.
Id Gen::ioctl_entry(int t, int i, int c, bool has_output) {
  if (c < 0 || cv[c].changing == kNoId) return at(t, i, kPhRun);
  const OpSpec& o = s.threads[t].ops[i];
  Id eagain = seq({finish(t, i, L(kEagain)), has_output ? set_out_e(t, i, L(-kEagain)) : b.skip()});
  action(tv[t].actor, act_name(t, i, "early checks"),
         entry_fn(o.op) + " (atomic_read(&ctx->mmap_changing), no lock)", at(t, i, kPhRun),
         if_(released(c), finish(t, i, L(kEbadf)),
             if_(not_changing(c), set(tv[t].ph, kPhEnter), eagain)),
         o.loc);
  return at(t, i, kPhEnter);
}

// dup_userfaultfd / mremap_userfaultfd_prep / userfaultfd_remove /
// userfaultfd_unmap_prep raise the counter under map_changing_lock for
// write; the *_complete functions then queue the event on event_wqh and
// sleep (TASK_KILLABLE) in userfaultfd_event_wait_completion until a reader
// completes it.  The model queues the event in the same step as the
// increment: the reader could not have read it any earlier.
Id Gen::raise_event(int c, int t) {
  Id n = V(cv[c].changing);
  return seq({b.assign(cv[c].changing, b.add(n, L(1))), push(cv[c].ev, cv[c].gens.size(), t)});
}

// The generator runs again once the reader set msg.event = 0
// (userfaultfd_event_complete), or, without it, once the context is
// released (it unlinks its own event).  Then atomic_dec(&mmap_changing).
void Gen::event_resume(int t, int i, int c, Id after) {
  const OpSpec& o = s.threads[t].ops[i];
  Id n = V(cv[c].changing);
  Id guard =
      and_({eqv(V(tv[t].pc), i),
            or_({eqv(V(tv[t].ph), kPhEvDone), and_({eqv(V(tv[t].ph), kPhEvWait), released(c)})})});
  action(tv[t].actor, act_name(t, i, "event done"),
         "fs/userfaultfd.c: userfaultfd_event_wait_completion (atomic_dec(&ctx->mmap_changing))",
         guard,
         seq({remove(cv[c].ev, cv[c].gens.size(), t),
              b.assign(cv[c].changing, b.binary(BinaryOp::Sub, n, L(1))), after}),
         o.loc);
}

// fork: dup_mmap holds both mmap locks for write.  Per registered VMA,
// dup_userfaultfd either hands the child a new context (EVENT_FORK: the
// parent's counter goes up) or unregisters the child's copy
// (userfaultfd_reset_ctx).  copy_page_range copies the page table only when
// vma_needs_copy: the child VMA is still uffd-wp (VM_COPY_ON_FORK), the
// source VMA has an anon_vma (anonymous memory), or guard markers may be
// present (VM_MAYBE_GUARD / the anon_vma guard install set up).  Copied
// entries: copy_present_pte drops the uffd-wp bit unless the child is
// wp-registered; copy_pte_marker always copies POISONED and GUARD and the
// uffd-wp marker only into a wp-registered child.  A shared shmem / hugetlb
// VMA whose table is not copied leaves the child to refault from the page
// cache, so its poison markers are lost (S21; pinned by the shim test).
void Gen::fork_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int c = event_ctx(t, i);
  std::vector<Id> body;
  for (size_t r = 0; r < s.regions.size(); ++r) {
    const RegionSpec& rs = s.regions[r];
    const bool anon = rs.mem == Mem::Anon;
    const bool ev = rs.ctx >= 0 && s.ctxs[rs.ctx].event_fork;
    Id any_reg = registered(rs.first, kModeMissing | kModeWp | kModeMinor);
    Id child_wp = ev && (rs.modes & kModeWp) ? registered(rs.first, kModeWp) : L(0);
    std::vector<Id> guards;
    for (int p = rs.first; p < rs.first + rs.pages; ++p)
      guards.push_back(eqv(P(p), kPteMarkerGuard));
    Id copy = anon ? L(1) : or_({child_wp, b.any(guards)});
    // copy_page_range of a COW mapping write-protects the parent's entries
    // inside an mmu-notifier range (MMU_NOTIFY_PROTECTION_PAGE).
    if (anon) body.push_back(zap_hook(ZapKind::Protect, rs.first, rs.pages));
    if (cregvar[r] != kNoId) body.push_back(b.assign(cregvar[r], ev ? any_reg : L(0)));
    for (int p = rs.first; p < rs.first + rs.pages; ++p) {
      Id e = P(p);
      Id copied = b.ite(
          eqv(e, kPtePresentWp), b.ite(child_wp, L(kPtePresentWp), L(kPtePresent)),
          b.ite(eqv(e, kPteZeroWp), b.ite(child_wp, L(kPteZeroWp), L(kPteZero)),
                b.ite(eqv(e, kPteMarkerWp), b.ite(child_wp, L(kPteMarkerWp), L(kPteNone)), e)));
      body.push_back(b.assign(cpte, L(p), b.ite(copy, copied, L(kPteNone))));
      if (anon) body.push_back(b.assign(cmem, L(p), M(p)));
      if (cpz != kNoId) body.push_back(b.assign(cpz, L(p), E(pz, p)));
    }
  }
  Id done = seq({set(forked, 1), finish(t, i, L(kOk))});
  if (c >= 0) {
    std::vector<Id> regs;
    for (const RegionSpec& rs : s.regions) {
      if (rs.ctx == c) regs.push_back(registered(rs.first, kModeMissing | kModeWp | kModeMinor));
    }
    body.push_back(
        if_(b.any(regs),
            seq({raise_event(c, t), set(tv[t].ph, kPhEvWait), set_reg(t, i, L(kBlocked))}), done));
  } else {
    body.push_back(done);
  }
  action(tv[t].actor, act_name(t, i, "dup_mmap"),
         "kernel/fork.c: dup_mm -> mm/mmap.c: dup_mmap -> fs/userfaultfd.c: dup_userfaultfd, "
         "mm/memory.c: copy_page_range (vma_needs_copy, copy_pte_marker)",
         and_({at(t, i, kPhRun), no_mm_readers()}), seq(body), o.loc);
  // dup_userfaultfd_complete: the FORK event; fork returns (and the child
  // starts) only after the reader installed the new fd.
  if (c >= 0) event_resume(t, i, c, done);
}

// Threads asleep in handle_userfault on the region keep sleeping; their
// messages name the old address, so a wake of the new range misses them and
// a wake-up (only release's wake-all) makes the fault retry at an address
// without a VMA.
static void mark_gone(Gen& g, int region, std::vector<Id>& body) {
  for (size_t u = 0; u < g.s.threads.size(); ++u) {
    const ThreadSpec& th = g.s.threads[u];
    if (th.child) continue;
    for (int j = 0; j < static_cast<int>(th.ops.size()); ++j) {
      const OpSpec& a = th.ops[j];
      if (!is_access(a.op) || g.s.pages[a.page].region != region) continue;
      body.push_back(
          g.if_(g.at(static_cast<int>(u), j, kPhSleep), g.set(g.tv[u].ph, kPhSleepGone)));
    }
  }
}

// mremap of a whole region to a new address (mm/mremap.c: move_vma ->
// move_page_tables -> move_ptes, under mmap_write_lock).  Every entry moves
// with the range, markers included.  Without EVENT_REMAP move_ptes clears
// the uffd-wp state (vma_has_uffd_without_event_remap: wp markers dropped,
// wp bits cleared) and mremap_userfaultfd_prep unregisters the new VMA;
// with it the counter goes up and mremap_userfaultfd_complete sends REMAP.
// Later operations of the scenario name the region at its new address.
void Gen::mremap_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int r = s.pages[o.page].region;
  const RegionSpec& rs = s.regions[r];
  const int c = event_ctx(t, i);
  Id reg = registered(o.page, kModeMissing | kModeWp | kModeMinor);
  // move_page_tables calls the mmu notifier over the old range, which no
  // VMA covers afterwards.
  std::vector<Id> body = {zap_hook(ZapKind::Move, rs.first, rs.pages)};
  mark_gone(*this, r, body);
  if (rs.ctx >= 0 && c < 0) {
    std::vector<Id> clear;
    for (int p = rs.first; p < rs.first + rs.pages; ++p) {
      Id e = P(p);
      clear.push_back(if_(eqv(e, kPteMarkerWp), set(pte, p, kPteNone),
                          if_(eqv(e, kPtePresentWp), set(pte, p, kPtePresent),
                              if_(eqv(e, kPteZeroWp), set(pte, p, kPteZero)))));
    }
    if (rs.modes & kModeWp) body.push_back(if_(reg, seq(clear)));
    if (regvar[r] != kNoId) body.push_back(set(regvar[r], 0));
  }
  Id done = finish(t, i, L(kOk));
  if (c >= 0) {
    body.push_back(if_(
        reg, seq({raise_event(c, t), set(tv[t].ph, kPhEvWait), set_reg(t, i, L(kBlocked))}), done));
  } else {
    body.push_back(done);
  }
  action(tv[t].actor, act_name(t, i, "move_vma"),
         "mm/mremap.c: move_vma -> move_page_tables -> move_ptes, "
         "fs/userfaultfd.c: mremap_userfaultfd_prep",
         and_({at(t, i, kPhRun), no_mm_readers(), mapped(o.page)}), seq(body), o.loc);
  // mremap of an address range with no VMA: -EFAULT (vma_lookup fails).
  if (mapvar[r] != kNoId) {
    action(tv[t].actor, act_name(t, i, "no vma"), "mm/mremap.c: check_prep_vma (-EFAULT)",
           and_({at(t, i, kPhRun), b.not_(mapped(o.page))}), finish(t, i, L(kEfault)), o.loc);
  }
  if (c >= 0) event_resume(t, i, c, done);
}

// munmap of a whole region (mm/vma.c: do_vmi_align_munmap ->
// vms_complete_munmap_vmas -> unmap_vmas, under mmap_write_lock).  The zap
// runs with even_cows and ZAP_FLAG_DROP_MARKER: every entry and every marker
// goes (the page cache of a file stays).  Threads asleep on the range are
// not woken (S14): if something wakes them later, their retry finds no VMA.
// With EVENT_UNMAP, userfaultfd_unmap_prep raises the counter before the
// unmap and userfaultfd_unmap_complete sends UNMAP after it.
void Gen::munmap_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int r = s.pages[o.page].region;
  const RegionSpec& rs = s.regions[r];
  const int c = event_ctx(t, i);
  Id was_reg = b.new_local();
  // unmap_vmas brackets the zap with the mmu notifier (MMU_NOTIFY_UNMAP).
  std::vector<Id> body = {b.let(was_reg, registered(o.page, kModeMissing | kModeWp | kModeMinor)),
                          zap_hook(ZapKind::Unmap, rs.first, rs.pages)};
  for (int p = rs.first; p < rs.first + rs.pages; ++p) {
    body.push_back(set(pte, p, kPteNone));
    if (rs.mem == Mem::Anon) body.push_back(set(mem, p, kTokAbsent));
    if (pz != kNoId) body.push_back(set(pz, p, 0));
  }
  body.push_back(set(mapvar[r], 0));
  if (regvar[r] != kNoId) body.push_back(set(regvar[r], 0));
  Id done = finish(t, i, L(kOk));
  if (c >= 0) {
    body.push_back(
        if_(b.local(was_reg),
            seq({raise_event(c, t), set(tv[t].ph, kPhEvWait), set_reg(t, i, L(kBlocked))}), done));
  } else {
    body.push_back(done);
  }
  // munmap of a range with nothing mapped succeeds and does nothing.
  action(tv[t].actor, act_name(t, i, "unmap"),
         "mm/vma.c: do_vmi_align_munmap -> mm/memory.c: unmap_vmas (ZAP_FLAG_DROP_MARKER), "
         "fs/userfaultfd.c: userfaultfd_unmap_prep",
         and_({at(t, i, kPhRun), no_mm_readers()}), if_(mapped(o.page), seq(body), done), o.loc);
  if (c >= 0) event_resume(t, i, c, done);
}

// UFFDIO_UNREGISTER of a whole region (fs/userfaultfd.c:
// userfaultfd_unregister, mmap_write_lock).  A MISSING-registered VMA first
// has its waiters woken (wake_userfault over the range: they retry as
// ordinary faults); WP and MINOR waiters are not woken (S15).
// userfaultfd_clear_vma resolves the uffd-wp state (uffd_wp_range(false))
// and clears the registration.  No mmap_changing check.  A range without
// any VMA: -EINVAL.
void Gen::unregister_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int r = s.pages[o.page].region;
  const RegionSpec& rs = s.regions[r];
  const int c = o.ctx;
  std::vector<Id> body;
  if (rs.ctx >= 0) {
    if (rs.modes & kModeMissing) body.push_back(wake_range(c, rs.first, rs.pages));
    if (rs.modes & kModeWp) body.push_back(protect_range(rs.first, rs.pages, false));
    body.push_back(set(regvar[r], 0));
  }
  body.push_back(finish(t, i, L(kOk)));
  Id reg = rs.ctx >= 0 ? registered(o.page, kModeMissing | kModeWp | kModeMinor) : L(0);
  action(tv[t].actor, act_name(t, i, ""),
         rs.ctx >= 0 && (rs.modes & kModeMissing)
             ? "fs/userfaultfd.c: userfaultfd_unregister -> wake_userfault, userfaultfd_clear_vma"
             : "fs/userfaultfd.c: userfaultfd_unregister -> userfaultfd_clear_vma",
         and_({at(t, i, kPhRun), no_mm_readers()}),
         if_(released(c), finish(t, i, L(kEbadf)),
             if_(b.not_(mapped(o.page)), finish(t, i, L(kEinval)),
                 if_(reg, seq(body), finish(t, i, L(kOk))))),
         o.loc);
}

}  // namespace fl::model::mm

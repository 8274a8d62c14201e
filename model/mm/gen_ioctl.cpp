// The userfaultfd ioctls issued by scenario threads (kernel-semantics.md
// 3.6, 3.7, 3.9): COPY / ZEROPAGE / CONTINUE / POISON (one step per page
// under the destination PTL, then the ioctl epilogue's wake of the done
// prefix), UFFDIO_WAKE and UFFDIO_WRITEPROTECT.

#include "model/mm/gen.h"

namespace fl::model::mm {

namespace {

std::string install_fn(Op op, Mem mem) {
  if (mem == Mem::Hugetlb) return "mm/hugetlb.c: hugetlb_mfill_atomic_pte";
  switch (op) {
    case Op::Copy:
      return mem == Mem::Anon ? "mm/userfaultfd.c: mfill_atomic_pte_copy"
                              : "mm/shmem.c: shmem_mfill_atomic_pte";
    case Op::Zeropage:
      return mem == Mem::Anon ? "mm/userfaultfd.c: mfill_atomic_pte_zeropage"
                              : "mm/shmem.c: shmem_mfill_atomic_pte";
    case Op::Continue:
      return "mm/userfaultfd.c: mfill_atomic_pte_continue";
    case Op::Poison:
      return "mm/userfaultfd.c: mfill_atomic_pte_poison";
    case Op::Move:
      return "mm/userfaultfd.c: move_pages_pte";
    default:
      return "?";
  }
}

std::string ioctl_fn(Op op) {
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
      return "?";
  }
}

}  // namespace

// The "destination must be" table of kernel-semantics.md 3.6, evaluated
// under the destination PTL.
Id Gen::install_error(Op op, int page) {
  Id p = P(page);
  Id cached = b.ne(M(page), L(kTokAbsent));
  const bool file = mem_of(page) != Mem::Anon;
  switch (op) {
    case Op::Copy:
      // anon: none or uffd marker; shmem/hugetlb: the page-cache slot must
      // be empty (shmem_add_to_page_cache -EEXIST), then the PTE likewise.
      if (!file) return b.ite(none_mostly(p), L(0), L(kEexist));
      return b.ite(cached, L(kEexist), b.ite(none_mostly(p), L(0), L(kEexist)));
    case Op::Zeropage:
      // anon: strictly pte_none; shmem: as COPY.
      if (!file) return b.ite(eqv(p, kPteNone), L(0), L(kEexist));
      return b.ite(cached, L(kEexist), b.ite(none_mostly(p), L(0), L(kEexist)));
    case Op::Continue:
      // The folio must be in the page cache (-EFAULT), then none or marker.
      return b.ite(cached, b.ite(none_mostly(p), L(0), L(kEexist)), L(kEfault));
    case Op::Poison:
      // Strictly none: -EEXIST on a present page or on any marker.
      return b.ite(eqv(p, kPteNone), L(0), L(kEexist));
    default:
      return L(kEinval);
  }
}

Id Gen::install(Op op, int page, bool wp_mode, Id tok) {
  const bool file = mem_of(page) != Mem::Anon;
  Value mapped = wp_mode ? kPtePresentWp : kPtePresent;
  switch (op) {
    case Op::Copy:
      return seq({b.assign(mem, L(page), tok), set(pte, page, mapped)});
    case Op::Zeropage:
      if (!file) return seq({set(mem, page, kTokZero), set(pte, page, kPteZero)});
      return seq({set(mem, page, kTokZero), set(pte, page, kPtePresent)});
    case Op::Continue:
      return set(pte, page, mapped);
    case Op::Poison: {
      std::vector<Id> body = {set(pte, page, kPteMarkerPoison)};
      if (pz != kNoId) body.push_back(set(pz, page, 1));
      return seq(body);
    }
    default:
      return b.skip();
  }
}

// The checks before the first page: the fd is open (userfaultfd_ioctl),
// the VMA covers the range and is registered to this context (-ENOENT,
// uffd_mfill_lock), then, under map_changing_lock for read, mmap_changing
// is re-checked (-EAGAIN), WP mode needs a WP-registered VMA, ZEROPAGE is
// refused on hugetlb (mfill_atomic_hugetlb) and CONTINUE on anon (-EINVAL,
// mfill_atomic).
Id Gen::fill_prologue_error(Op op, int page, int len, int c, bool wp_mode) {
  const RegionSpec& r = s.region_of(page);
  Id err = L(0);
  if (op == Op::Continue && r.mem == Mem::Anon) err = L(kEinval);
  if (op == Op::Zeropage && r.mem == Mem::Hugetlb) err = L(kEinval);
  if (wp_mode && !(r.modes & kModeWp)) err = L(kEinval);
  (void)len;  // a range past the region is refused when the scenario is read
  Id reg = r.ctx == c ? registered(page, kModeMissing | kModeWp | kModeMinor) : L(0);
  err = b.ite(not_changing(c), err, L(kEagain));
  err = b.ite(and_({reg, mapped(page)}), err, L(kEnoent));
  return b.ite(released(c), L(kEbadf), err);
}

Id Gen::protect_range(int first, int len, bool protect) {
  // change_protection -> change_pmd_range calls the mmu notifier
  // (MMU_NOTIFY_PROTECTION_VMA) around the PTE updates.
  std::vector<Id> body = {zap_hook(ZapKind::Protect, first, len)};
  for (int p = first; p < first + len; ++p) {
    Id e = P(p);
    if (protect) {
      Id none_to_marker =
          mem_of(p) != Mem::Anon ? if_(eqv(e, kPteNone), set(pte, p, kPteMarkerWp)) : b.skip();
      body.push_back(if_(eqv(e, kPtePresent), set(pte, p, kPtePresentWp),
                         if_(eqv(e, kPteZero), set(pte, p, kPteZeroWp), none_to_marker)));
    } else {
      body.push_back(if_(eqv(e, kPtePresentWp), set(pte, p, kPtePresent),
                         if_(eqv(e, kPteZeroWp), set(pte, p, kPteZero),
                             if_(eqv(e, kPteMarkerWp), set(pte, p, kPteNone)))));
    }
  }
  return seq(body);
}

void Gen::fill(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int c = o.ctx;
  const int n = o.len;
  const Id actor = tv[t].actor;
  const bool move = o.op == Op::Move;
  const std::string fn = ioctl_fn(o.op) + (move ? " -> mm/userfaultfd.c: move_pages -> "
                                                : " -> mm/userfaultfd.c: mfill_atomic -> ");
  const Id first = ioctl_entry(t, i, c, true);
  for (int k = 0; k < n; ++k) {
    const int p = o.page + k;
    Value src_tok = s.pages[p].src == Src::Data   ? kTokSrc
                    : s.pages[p].src == Src::Zero ? kTokZero
                                                  : kTokStale;
    Id guard = k == 0 ? first : at(t, i, kPhFill0 + k);
    // After this page: the next page, or the epilogue.
    Id after_ok;
    if (k + 1 < n) {
      after_ok = set(tv[t].ph, kPhFill0 + k + 1);
    } else if (o.dontwake) {
      after_ok = seq({finish(t, i, L(kOk)), set_out(t, i, n)});
    } else {
      after_ok = set(tv[t].ph, kPhWake0 + n);
    }
    Id e = b.new_local();
    Id on_err;
    if (k == 0) {
      // Nothing done: the ioctl writes the error into the output field.
      on_err = seq({finish(t, i, b.local(e)), set_out_e(t, i, b.unary(UnaryOp::Neg, b.local(e)))});
    } else if (o.dontwake) {
      on_err =
          seq({finish(t, i, L(kEagain)), set_out(t, i, k)});  // partial: -EAGAIN, output = done
    } else {
      on_err = set(tv[t].ph, kPhWake0 + k);
    }
    Id err = move ? move_error(p, o.src + k, o.holes) : install_error(o.op, p);
    Id effect = move ? move_page(p, o.src + k) : install(o.op, p, o.wp, L(src_tok));
    Id page_step =
        seq({b.let(e, err), if_(b.ne(b.local(e), L(0)), on_err, seq({effect, after_ok}))});
    Id body = page_step;
    if (k == 0) {
      Id e0 = b.new_local();
      // -EBADF: the ioctl never ran, so the output field is untouched.
      Id out = if_(eqv(b.local(e0), kEbadf), b.skip(),
                   set_out_e(t, i, b.unary(UnaryOp::Neg, b.local(e0))));
      Id err0 = move ? move_prologue_error(o.page, o.src, c)
                     : fill_prologue_error(o.op, o.page, n, c, o.wp);
      body = seq({b.let(e0, err0),
                  if_(b.ne(b.local(e0), L(0)), seq({finish(t, i, b.local(e0)), out}), page_step)});
    }
    action(actor, act_name(t, i, n > 1 ? "page " + std::to_string(k) : "install"),
           fn + install_fn(o.op, mem_of(p)), guard, body, o.loc);
  }
  if (o.dontwake) return;
  // Epilogue: output = bytes done, wake [start, start + done), return 0 if
  // everything was done, -EAGAIN otherwise.
  for (int d = 1; d <= n; ++d) {
    action(
        actor, act_name(t, i, "wake " + std::to_string(d)), ioctl_fn(o.op) + " -> wake_userfault",
        at(t, i, kPhWake0 + d),
        seq({wake_range(c, o.page, d), finish(t, i, L(d == n ? kOk : kEagain)), set_out(t, i, d)}),
        o.loc);
  }
}

void Gen::wake_op(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int c = o.ctx;
  // userfaultfd_wake: validate the range, wake_userfault, return 0.  No
  // page-table check: a woken thread whose page is unresolved retries.
  action(tv[t].actor, act_name(t, i, ""), "fs/userfaultfd.c: userfaultfd_wake -> wake_userfault",
         at(t, i, kPhRun),
         if_(released(c), finish(t, i, L(kEbadf)),
             seq({wake_range(c, o.page, o.len), finish(t, i, L(kOk))})),
         o.loc);
}

void Gen::writeprotect(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int c = o.ctx;
  const bool protect = o.op == Op::Protect;
  const RegionSpec& r = s.region_of(o.page);
  const std::string fn = "fs/userfaultfd.c: userfaultfd_writeprotect";
  const Id first = ioctl_entry(t, i, c, false);
  if (protect && o.dontwake) {
    // Mode WP together with DONTWAKE is refused after the early
    // mmap_changing check and before anything else.
    action(tv[t].actor, act_name(t, i, ""), fn + " (-EINVAL)", first,
           if_(released(c), finish(t, i, L(kEbadf)), finish(t, i, L(kEinval))), o.loc);
    return;
  }
  // mwriteprotect_range: under map_changing_lock for read, mmap_changing
  // is re-checked (-EAGAIN), then every VMA in the range must be
  // WP-registered (-ENOENT); uffd_wp_range -> change_protection under the
  // PTL.
  Id wp_reg = r.ctx == c ? and_({registered(o.page, kModeWp), mapped(o.page)}) : L(0);
  Id after = (!protect && !o.dontwake) ? set(tv[t].ph, kPhWpWake) : finish(t, i, L(kOk));
  action(tv[t].actor, act_name(t, i, ""),
         fn + " -> mm/userfaultfd.c: mwriteprotect_range -> uffd_wp_range", first,
         if_(released(c), finish(t, i, L(kEbadf)),
             if_(b.not_(not_changing(c)), finish(t, i, L(kEagain)),
                 if_(wp_reg, seq({protect_range(o.page, o.len, protect), after}),
                     finish(t, i, L(kEnoent))))),
         o.loc);
  if (!protect && !o.dontwake) {
    action(tv[t].actor, act_name(t, i, "wake"), fn + " -> wake_userfault", at(t, i, kPhWpWake),
           seq({wake_range(c, o.page, o.len), finish(t, i, L(kOk))}), o.loc);
  }
}

}  // namespace fl::model::mm

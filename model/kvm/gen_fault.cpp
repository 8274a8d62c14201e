// The vCPU's stage-2 fault path (kernel-semantics.md 4.1-4.6, 4.11) and the
// instruction emulator's uaccess path (4.9), one action per step between
// sleep points or per lock hold:
//   guest access: a hit, or the EPT/NPT violation and kvm_mmu_faultin_pfn's
//     lockless prologue (sequence snapshot, attribute / userfault checks,
//     the unsafe retry pre-check)
//   hva_to_pfn: GUP-fast, then the FOLL_NOWAIT slow GUP (one page-table walk)
//   NEEDS_IO: an async page fault, or the synchronous slow GUP that can
//     sleep in handle_userfault
//   kvm_gmem_get_pfn for private (or guest_memfd-only) gfns
//   the install under mmu_lock with is_page_fault_stale and the level choice

#include "model/kvm/gen.h"

namespace fl::model::kvm {

namespace {

const char* const kFaultin = "arch/x86/kvm/mmu/mmu.c: kvm_mmu_page_fault -> kvm_mmu_faultin_pfn";
const char* const kHva = "virt/kvm/kvm_main.c: hva_to_pfn";

}  // namespace

void Gen::vcpu_ops(int v, int i) {
  if (op(v, i).op == VOp::EmuRead) return emulator(v, i);
  const VcpuOp& o = op(v, i);
  const int g = o.gfn;
  const SlotSpec& sl = slot(g);
  const VcpuVars& x = vv[v];
  const Id run = at(v, i, kPhRun);
  const bool read = o.op == VOp::Read;

  // A present SPTE: the guest's access completes without an exit.  The
  // SPTEs of a read-only slot are installed without write permission
  // (map_writable is false), so a write there always faults.
  const bool ro_write = sl.readonly && o.op == VOp::Write;
  Id data = read ? b.add(E(stok, g), L(2)) : L(mm::kOk);
  if (!ro_write) {
    action(x.actor, name(v, i, "stage-2 hit"), "(guest: the access completes, no exit)",
           and_({run, b.ne(E(spte, g), L(kSpteNone))}), complete(v, i, data), o.loc);
  }

  // EPT violation: kvm_mmu_page_fault -> kvm_mmu_do_page_fault ->
  // kvm_tdp_page_fault -> kvm_mmu_faultin_pfn, whose first part runs
  // without mmu_lock: snapshot mmu_invalidate_seq, the private/shared check
  // (kvm_mmu_prepare_memory_fault_exit), the proposed userfault check, the
  // lockless mmu_invalidate_retry_gfn_unsafe pre-check (RET_PF_RETRY).
  const Value priv_flag = o.priv ? kMfPrivate : 0;
  Id next = set(x.ph, via_gmem(v, i) ? kPhGmem : kPhGup);
  if (s.knobs.retry_check) next = if_(invalidating(g), b.skip(), next);
  if (s.knobs.userfault && sl.userfault) {
    if (s.knobs.exit_every) {
      // exit-on-every-fault: KVM keeps the bitmap; every fault in the slot
      // exits during post-copy and the VMM maps the page with an ioctl.
      next =
          if_(userfault_bit(g), exit_mf(v, i, kMfUserfault | priv_flag), exit_mf(v, i, priv_flag));
    } else {
      next = if_(userfault_bit(g), exit_mf(v, i, kMfUserfault | priv_flag), next);
    }
  }
  Id mismatch = b.ne(is_private(g), L(o.priv ? 1 : 0));
  next = if_(mismatch, exit_mf(v, i, priv_flag), next);
  action(x.actor, name(v, i, "EPT violation"),
         std::string(kFaultin) + " (mmu_invalidate_seq snapshot, attribute checks)",
         ro_write ? run : and_({run, eqv(E(spte, g), kSpteNone)}), seq({set(x.moved, 0), next}),
         o.loc);

  if (ro_write) {
    // kvm_follow_pfn: __gfn_to_hva_many refuses a write to a read-only
    // slot (KVM_HVA_ERR_RO_BAD), so the pfn is KVM_PFN_ERR_RO_FAULT before
    // any GUP; kvm_handle_error_pfn returns RET_PF_EMULATE and the emulated
    // write becomes an MMIO exit.  Nothing reaches the mm model.
    action(x.actor, name(v, i, "read-only slot"),
           "virt/kvm/kvm_main.c: kvm_follow_pfn (KVM_HVA_ERR_RO_BAD: KVM_PFN_ERR_RO_FAULT) -> "
           "arch/x86/kvm/mmu/mmu.c: kvm_handle_error_pfn (RET_PF_EMULATE) -> "
           "arch/x86/kvm/x86.c: x86_emulate_instruction -> emulator_read_write (KVM_EXIT_MMIO)",
           at(v, i, kPhGup), exit_mmio(v, i), o.loc);
    return;
  }
  if (via_gmem(v, i)) {
    gmem_step(v, i);
  } else {
    gup_fault_steps(v, i);
    async_pf(v, i);
  }
  install_step(v, i);
}

void Gen::gmem_step(int v, int i) {
  const VcpuOp& o = op(v, i);
  const VcpuVars& x = vv[v];
  const int q = gmem_page(o.gfn);
  const Id at_gmem = at(v, i, kPhGmem);
  const std::string fn =
      "arch/x86/kvm/mmu/mmu.c: kvm_mmu_faultin_pfn_gmem -> virt/kvm/guest_memfd.c: "
      "kvm_gmem_get_pfn";
  // A hwpoisoned folio: -EHWPOISON with a memory-fault exit (flags PRIVATE).
  action(x.actor, name(v, i, "guest_memfd hwpoison"), fn + " (-EHWPOISON)",
         and_({at_gmem, eqv(E(gm, q), kGmHwpoison)}),
         exit_mf(v, i, o.priv ? kMfPrivate : 0, kExitEhwpoison), o.loc);
  // A hole: kvm_gmem_get_folio allocates a folio, which is zeroed and
  // prepared on first use.  No userfaultfd exists for guest_memfd.
  action(x.actor, name(v, i, "guest_memfd hole"), fn + " (new folio, zeroed)",
         and_({at_gmem, eqv(E(gm, q), mm::kTokAbsent)}),
         seq({set(gm, q, mm::kTokZero), set(x.tok, mm::kTokZero), set(x.ph, kPhInstall)}), o.loc);
  action(x.actor, name(v, i, "guest_memfd page"), fn,
         and_({at_gmem, b.ne(E(gm, q), L(mm::kTokAbsent)), b.ne(E(gm, q), L(kGmHwpoison))}),
         seq({b.assign(x.tok, E(gm, q)), set(x.ph, kPhInstall)}), o.loc);
}

void Gen::gup_fault_steps(int v, int i) {
  const VcpuOp& o = op(v, i);
  const VcpuVars& x = vv[v];
  const int p = mm_page(o.gfn);
  const bool write = o.op == VOp::Write;
  const mm::RegionSpec& rs = view->spec.region_of(p);
  const bool file = rs.mem != mm::Mem::Anon;
  const int c = rs.ctx;
  const Id P = mm->P(p);
  // After munmap or mremap of the backing no VMA covers the slot's host
  // address: GUP fails, and hva_to_pfn's vma_lookup makes it
  // KVM_PFN_ERR_FAULT (not NEEDS_IO), whichever GUP it was.
  const Id ok = hva_ok(o.gfn);
  const Id at_gup = and_({at(v, i, kPhGup), ok});
  const Id at_sync = and_({at(v, i, kPhSyncGup), ok});
  if (gone[s.slot_of[o.gfn]] != kNoId && !s.knobs.fast_gup_only) {
    const std::string nf =
        "virt/kvm/kvm_main.c: hva_to_pfn (no VMA: KVM_PFN_ERR_FAULT) -> arch/x86/kvm/mmu/mmu.c: "
        "kvm_handle_error_pfn";
    action(x.actor, name(v, i, "NOWAIT GUP: no VMA"), nf, and_({at(v, i, kPhGup), b.not_(ok)}),
           error_fault(v, i, false), o.loc);
    action(x.actor, name(v, i, "GUP: no VMA"), nf, and_({at(v, i, kPhSyncGup), b.not_(ok)}),
           error_fault(v, i, false), o.loc);
  }

  // What each access can use without a fault (GUP-fast / follow_page).
  Id usable = write ? eqv(P, mm::kPtePresent)
                    : in(P, {mm::kPtePresent, mm::kPtePresentWp, mm::kPteZero, mm::kPteZeroWp});
  Id cow = write ? in(P, {mm::kPteZero, mm::kPteZeroWp, mm::kPtePresentWp}) : L(0);
  Id none_like = in(P, {mm::kPteNone, mm::kPteMarkerWp});
  Id cached = file ? b.ne(mm->M(p), L(mm::kTokAbsent)) : L(0);
  Id uf_missing = and_({none_like, b.not_(cached), mm->registered(p, mm::kModeMissing)});
  Id uf_minor = and_({none_like, cached, mm->registered(p, mm::kModeMinor)});
  Id userfault = or_({uf_missing, uf_minor});
  Id populate_case = and_({none_like, b.not_(userfault)});
  // The fault handler fills the entry without userfaultfd: anon zero page
  // (read) or a new zeroed page; file: the cached folio or a new one.
  Id fill = seq({b.assign(mm->pte, L(p), (!write && !file) ? L(mm::kPteZero) : L(mm::kPtePresent)),
                 if_(b.not_(cached), set(mm->mem, p, mm::kTokZero)),
                 b.assign(x.tok, file ? b.ite(cached, mm->M(p), L(mm::kTokZero)) : L(mm::kTokZero)),
                 set(x.ph, kPhInstall)});
  Id do_cow =
      seq({set(mm->pte, p, mm::kPtePresent),
           b.assign(mm->mem, L(p),
                    b.ite(in(P, {mm::kPteZero, mm::kPteZeroWp}), L(mm::kTokZero), mm->M(p))),
           b.assign(x.tok, mm->M(p)), set(x.ph, kPhInstall)});
  // do_cow reads M(p) after updating it, so the pfn token is the new page's.

  // --- GUP-fast (lockless, never faults).
  action(x.actor, name(v, i, "GUP-fast"), std::string(kHva) + " -> hva_to_pfn_fast",
         and_({at_gup, usable}), seq({b.assign(x.tok, page_tok(p)), set(x.ph, kPhInstall)}), o.loc);
  if (s.knobs.fast_gup_only) {
    // KVM_MEM_EXIT_ON_MISSING: no slow GUP; KVM_EXIT_MEMORY_FAULT with the gpa.
    action(x.actor, name(v, i, "exit on missing"),
           std::string(kHva) +
               " -> hva_to_pfn_fast failed -> kvm_mmu_prepare_memory_fault_exit (exit-on-missing)",
           and_({at(v, i, kPhGup), b.not_(and_({ok, usable}))}), exit_mf(v, i, 0), o.loc);
  } else {
    // --- FOLL_NOWAIT slow GUP: one fault attempt that never sleeps.
    // Errors other than -EHWPOISON on a valid VMA are KVM_PFN_ERR_NEEDS_IO.
    Id needs_io = set(x.ph, kPhSyncGup);
    if (x.apf != kNoId) {
      // kvm_arch_setup_async_pf + kvm_arch_async_page_not_present: the
      // worker does the GUP, the vCPU halts until "page ready".
      needs_io = seq({set(x.apf, kApfRun), set(x.ph, kPhApfHalt)});
      if (x.apf_err != kNoId) {
        // apf-error-exit-on-retry: the guest retries a gfn whose async
        // fault failed: exit with its address.
        needs_io = if_(eqv(V(x.apf_err), 1), seq({set(x.apf_err, 0), exit_mf(v, i, 0)}), needs_io);
      }
    }
    const std::string slow = std::string(kHva) + " -> hva_to_pfn_slow (FOLL_NOWAIT)";
    action(x.actor, name(v, i, "NOWAIT GUP: COW"), slow + " -> mm/memory.c: do_wp_page",
           and_({at_gup, cow}), do_cow, o.loc);
    action(x.actor, name(v, i, "NOWAIT GUP: poison marker"),
           s.knobs.marker_sigbus ? slow + " -> handle_pte_marker (VM_FAULT_SIGBUS: NEEDS_IO)"
                                 : slow +
                                       " -> handle_pte_marker (-EHWPOISON) -> "
                                       "arch/x86/kvm/mmu/mmu.c: kvm_handle_error_pfn -> "
                                       "kvm_send_hwpoison_signal",
           and_({at_gup, eqv(P, mm::kPteMarkerPoison)}),
           s.knobs.marker_sigbus ? needs_io : hwpoison_signal(v, i), o.loc);
    action(x.actor, name(v, i, "NOWAIT GUP: guard marker"),
           slow + " -> handle_pte_marker (VM_FAULT_SIGSEGV: NEEDS_IO)",
           and_({at_gup, eqv(P, mm::kPteMarkerGuard)}), needs_io, o.loc);
    action(x.actor, name(v, i, "NOWAIT GUP: userfault"),
           slow +
               " -> fs/userfaultfd.c: handle_userfault (RETRY_NOWAIT: no message) -> "
               "KVM_PFN_ERR_NEEDS_IO",
           and_({at_gup, userfault}), needs_io, o.loc);
    action(x.actor, name(v, i, "NOWAIT GUP: fault in"),
           slow + (file ? " -> mm/shmem.c: shmem_get_folio_gfp" : " -> do_anonymous_page"),
           and_({at_gup, populate_case}), fill, o.loc);
  }

  // --- synchronous slow GUP in the vCPU thread (FOLL_INTERRUPTIBLE |
  // FOLL_HWPOISON): the full fault path, which sleeps in handle_userfault.
  const std::string sync = "arch/x86/kvm/mmu/mmu.c: __kvm_mmu_faultin_pfn -> " + std::string(kHva) +
                           " -> hva_to_pfn_slow (get_user_pages_unlocked)";
  action(x.actor, name(v, i, "GUP: page"), sync, and_({at_sync, usable}),
         seq({b.assign(x.tok, page_tok(p)), set(x.ph, kPhInstall)}), o.loc);
  action(x.actor, name(v, i, "GUP: COW"), sync + " -> mm/memory.c: do_wp_page",
         and_({at_sync, cow}), do_cow, o.loc);
  action(x.actor, name(v, i, "GUP: poison marker"),
         s.knobs.marker_sigbus
             ? sync + " -> handle_pte_marker (VM_FAULT_SIGBUS: -EFAULT) -> kvm_handle_error_pfn"
             : sync +
                   " -> handle_pte_marker (-EHWPOISON) -> kvm_handle_error_pfn -> "
                   "kvm_send_hwpoison_signal",
         and_({at_sync, eqv(P, mm::kPteMarkerPoison)}),
         s.knobs.marker_sigbus ? error_fault(v, i, true) : hwpoison_signal(v, i), o.loc);
  action(x.actor, name(v, i, "GUP: guard marker"),
         sync + " -> handle_pte_marker (VM_FAULT_SIGSEGV: -EFAULT) -> kvm_handle_error_pfn",
         and_({at_sync, eqv(P, mm::kPteMarkerGuard)}), error_fault(v, i, false), o.loc);
  action(x.actor, name(v, i, "GUP: fault in"),
         sync + (file ? " -> mm/shmem.c: shmem_get_folio_gfp" : " -> do_anonymous_page"),
         and_({at_sync, populate_case}), fill, o.loc);
  if (c >= 0) {
    const mm::CtxSpec& cs = view->spec.ctxs[c];
    const std::string uf = sync + " -> fs/userfaultfd.c: handle_userfault";
    Id body;
    if (cs.sigbus || cs.user_mode_only) {
      // UFFD_FEATURE_SIGBUS, or a UFFD_USER_MODE_ONLY context and a GUP
      // fault (never FAULT_FLAG_USER): VM_FAULT_SIGBUS -> -EFAULT.
      body = error_fault(v, i, true);
    } else if (s.knobs.no_wait_flag) {
      // no-uffd-wait-flag: handle_userfault returns at once for a task
      // with the flag; KVM reports the gpa (KVM_EXIT_MEMORY_FAULT).
      body = exit_mf(v, i, 0);
    } else {
      // Link on fault_pending_wqh and must_wait (the entry is still none:
      // the guard says so), then schedule().
      body = seq({set(x.uf, kUfQueued), set(x.ph, kPhUfWait), b.assign(x.reg[i], L(mm::kBlocked))});
    }
    Id guard = and_({at_sync, userfault});
    if (!cs.sigbus && !cs.user_mode_only && !s.knobs.no_wait_flag) {
      // A released context returns VM_FAULT_RETRY without queueing; GUP
      // retries until the registration is gone.
      guard = and_({guard, b.not_(mm->released(c))});
    }
    action(x.actor, name(v, i, "GUP: userfault"), uf, guard, body, o.loc);
  }
}

void Gen::install_step(int v, int i) {
  const VcpuOp& o = op(v, i);
  const VcpuVars& x = vv[v];
  const int g = o.gfn;
  const SlotSpec& sl = slot(g);
  // is_page_fault_stale: mmu_invalidate_retry_gfn(seq snapshot, gfn).
  Id stale = s.knobs.retry_check ? or_({eqv(V(x.moved), 1), invalidating(g)}) : L(0);
  // The mapping level (kvm_mmu_hugepage_adjust): the slot's huge group if
  // the backing allows it, the attributes agree over the group, and no
  // forced 4K (KVM Userfault while the slot flag is on).
  bool huge_ok = sl.huge && !(s.knobs.userfault && s.knobs.force_4k && sl.userfault);
  Id map4k = seq({set(spte, g, kSpte4k), b.assign(stok, L(g), V(x.tok))});
  Id map;
  if (huge_ok) {
    std::vector<Id> same, body;
    for (int h = sl.gfn0; h < sl.gfn0 + sl.pages; ++h) {
      if (attr != kNoId) same.push_back(b.eq(E(attr, h), E(attr, g)));
      body.push_back(set(spte, h, kSpteHuge));
      if (h == g) {
        body.push_back(b.assign(stok, L(h), V(x.tok)));
        continue;
      }
      // The neighbours' contents at the pfns the huge leaf covers: memory
      // nobody populated is the zeroed folio.
      Id tok;
      if (via_gmem(v, i)) {
        Id q = E(gm, gmem_page(h));
        tok = b.ite(eqv(q, mm::kTokAbsent), L(mm::kTokZero),
                    b.ite(eqv(q, kGmHwpoison), L(mm::kTokStale), q));
      } else {
        Id t = page_tok(mm_page(h));
        tok = b.ite(eqv(t, mm::kTokAbsent), L(mm::kTokZero), t);
      }
      body.push_back(b.assign(stok, L(h), tok));
    }
    map = if_(b.all(same), seq(body), map4k);
  } else {
    map = map4k;
  }
  action(x.actor, name(v, i, "install"),
         "arch/x86/kvm/mmu/tdp_mmu.c: kvm_tdp_mmu_map (mmu_lock; arch/x86/kvm/mmu/mmu.c: "
         "is_page_fault_stale, kvm_mmu_hugepage_adjust)",
         at(v, i, kPhInstall), if_(stale, set(x.ph, kPhRun), seq({map, set(x.ph, kPhRun)})), o.loc);
}

void Gen::emulator(int v, int i) {
  const VcpuOp& o = op(v, i);
  const VcpuVars& x = vv[v];
  const int p = mm_page(o.gfn);
  const mm::RegionSpec& rs = view->spec.region_of(p);
  const bool file = rs.mem != mm::Mem::Anon;
  const int c = rs.ctx;
  const Id P = mm->P(p);
  const Id run = at(v, i, kPhRun);
  const std::string fn =
      "arch/x86/kvm/x86.c: emulator_read_write_onepage -> read_emulate -> virt/kvm/kvm_main.c: "
      "kvm_vcpu_read_guest (__copy_from_user)";
  // Every failed copy takes emulator_read_write_onepage's MMIO fallback:
  // KVM_RUN returns 0 with KVM_EXIT_MMIO for the exact gpa (no -EFAULT, no
  // KVM_EXIT_MEMORY_FAULT, no SIGBUS; docs/kernel-facts.md "KVM (this
  // host)", pinned by tests/shim/kvm_test.cpp).
  const std::string mmio = " -> emulator_read_write_onepage (MMIO fallback: KVM_EXIT_MMIO)";
  Id usable = in(P, {mm::kPtePresent, mm::kPtePresentWp, mm::kPteZero, mm::kPteZeroWp});
  Id none_like = in(P, {mm::kPteNone, mm::kPteMarkerWp});
  Id cached = file ? b.ne(mm->M(p), L(mm::kTokAbsent)) : L(0);
  Id userfault = or_({and_({none_like, b.not_(cached), mm->registered(p, mm::kModeMissing)}),
                      and_({none_like, cached, mm->registered(p, mm::kModeMinor)})});
  if (gone[s.slot_of[o.gfn]] != kNoId) {
    // No VMA at the slot's host address any more: the uaccess fault ends in
    // the exception fixup and the copy fails.
    action(x.actor, name(v, i, "uaccess fault: no VMA"),
           fn + " -> arch/x86/mm/fault.c: do_user_addr_fault (no VMA; fixup: -EFAULT)" + mmio,
           and_({run, b.not_(hva_ok(o.gfn))}), exit_mmio(v, i), o.loc);
  }
  const Id run_ok = and_({run, hva_ok(o.gfn)});
  action(x.actor, name(v, i, "copy_from_user"), fn, and_({run_ok, usable}),
         complete(v, i, b.add(page_tok(p), L(2))), o.loc);
  // A kernel-mode uaccess fault: poison and guard markers end in the
  // exception fixup (-EFAULT), the copy fails.
  action(x.actor, name(v, i, "uaccess fault: marker"),
         fn + " -> arch/x86/mm/fault.c: do_user_addr_fault (fixup: -EFAULT)" + mmio,
         and_({run_ok, in(P, {mm::kPteMarkerPoison, mm::kPteMarkerGuard})}), exit_mmio(v, i),
         o.loc);
  action(x.actor, name(v, i, "uaccess fault: fault in"),
         fn + (file ? " -> mm/shmem.c: shmem_get_folio_gfp" : " -> mm/memory.c: do_anonymous_page"),
         and_({run_ok, none_like, b.not_(userfault)}),
         seq({b.assign(mm->pte, L(p), file ? L(mm::kPtePresent) : L(mm::kPteZero)),
              if_(b.not_(cached), set(mm->mem, p, mm::kTokZero))}),
         o.loc);
  if (c < 0) return;
  const mm::CtxSpec& cs = view->spec.ctxs[c];
  const bool fails = cs.sigbus || cs.user_mode_only || s.knobs.no_wait_flag;
  Id body;
  if (fails) {
    // handle_userfault returns VM_FAULT_SIGBUS: the copy fails.
    body = exit_mmio(v, i);
  } else {
    body = seq({set(x.uf, kUfQueued), set(x.ph, kPhUfWait), b.assign(x.reg[i], L(mm::kBlocked))});
  }
  Id guard = and_({run_ok, userfault});
  if (!fails) guard = and_({guard, b.not_(mm->released(c))});
  action(x.actor, name(v, i, "uaccess fault: userfault"),
         fn + " -> fs/userfaultfd.c: handle_userfault" + (fails ? mmio : ""), guard, body, o.loc);
}

}  // namespace fl::model::kvm

// Async page faults (virt/kvm/async_pf.c), the userfaultfd monitor's
// handling of vCPU and kworker messages, and the VMM actors: the
// KVM_EXIT_MEMORY_FAULT handler, the SIGBUS handler and VMM programs
// (attribute updates, guest_memfd population and punch-hole).

#include "model/kvm/gen.h"

namespace fl::model::kvm {

void Gen::async_pf(int v, int i) {
  const VcpuVars& x = vv[v];
  if (x.apf == kNoId) return;
  const VcpuOp& o = op(v, i);
  const int p = mm_page(o.gfn);
  const mm::RegionSpec& rs = view->spec.region_of(p);
  const bool file = rs.mem != mm::Mem::Anon;
  const int c = rs.ctx;
  const Id P = mm->P(p);
  const Id queued_any = and_({eqv(V(x.pc), i), eqv(V(x.apf), kApfRun)});
  const Id queued = and_({queued_any, hva_ok(o.gfn)});
  const std::string fn =
      "virt/kvm/async_pf.c: async_pf_execute -> mm/gup.c: get_user_pages_remote (FOLL_WRITE)";
  // The worker's GUP asks for a writable page and has no FOLL_HWPOISON:
  // every failure is -EFAULT, and its result is ignored.
  Id none_like = in(P, {mm::kPteNone, mm::kPteMarkerWp});
  Id cached = file ? b.ne(mm->M(p), L(mm::kTokAbsent)) : L(0);
  Id userfault = or_({and_({none_like, b.not_(cached), mm->registered(p, mm::kModeMissing)}),
                      and_({none_like, cached, mm->registered(p, mm::kModeMinor)})});
  if (gone[s.slot_of[o.gfn]] != kNoId) {
    // The backing was unmapped or moved after the fault was queued.
    action(x.kworker, name(v, i, "async GUP: no VMA"), fn + " (no VMA: -EFAULT)",
           and_({queued_any, b.not_(hva_ok(o.gfn))}), set(x.apf, kApfErr), o.loc);
  }
  action(x.kworker, name(v, i, "async GUP: page"), fn,
         and_({queued, in(P, {mm::kPtePresent, mm::kPtePresentWp, mm::kPteZero, mm::kPteZeroWp})}),
         seq({if_(in(P, {mm::kPteZero, mm::kPteZeroWp}),
                  seq({set(mm->pte, p, mm::kPtePresent), set(mm->mem, p, mm::kTokZero)}),
                  if_(eqv(P, mm::kPtePresentWp), set(mm->pte, p, mm::kPtePresent))),
              set(x.apf, kApfOk)}),
         o.loc);
  action(x.kworker, name(v, i, "async GUP: marker"), fn + " (-EFAULT)",
         and_({queued, in(P, {mm::kPteMarkerPoison, mm::kPteMarkerGuard})}), set(x.apf, kApfErr),
         o.loc);
  action(x.kworker, name(v, i, "async GUP: fault in"), fn + " -> handle_mm_fault",
         and_({queued, none_like, b.not_(userfault)}),
         seq({set(mm->pte, p, mm::kPtePresent), if_(b.not_(cached), set(mm->mem, p, mm::kTokZero)),
              set(x.apf, kApfOk)}),
         o.loc);
  if (c >= 0) {
    const mm::CtxSpec& cs = view->spec.ctxs[c];
    Id body = (cs.sigbus || cs.user_mode_only)
                  ? set(x.apf, kApfErr)
                  : seq({set(x.kw_uf, kUfQueued), set(x.apf, kApfWait)});
    Id guard = and_({queued, userfault});
    if (!cs.sigbus && !cs.user_mode_only) guard = and_({guard, b.not_(mm->released(c))});
    action(x.kworker, name(v, i, "async GUP: userfault"),
           fn + " -> fs/userfaultfd.c: handle_userfault", guard, body, o.loc);
  }
  // The vCPU's next entry: kvm_check_async_pf_completion replays the fault
  // as a prefetch (errors ignored) and delivers "page ready"; the guest
  // retries the access.  The variants report a failed one instead.
  Id err = seq({b.assign(x.spin, b.binary(BinaryOp::Min, b.add(V(x.spin), L(1)), L(3)))});
  Id after_err = set(x.ph, kPhRun);
  if (x.apf_err != kNoId) after_err = seq({set(x.apf_err, 1), after_err});
  if (s.knobs.apf_request) after_err = exit_mf(v, i, 0);
  action(x.actor, name(v, i, "page ready"),
         "virt/kvm/async_pf.c: kvm_check_async_pf_completion -> arch/x86/kvm/mmu/mmu.c: "
         "kvm_arch_async_page_ready, arch/x86/kvm/x86.c: kvm_arch_async_page_present",
         and_({at(v, i, kPhApfHalt), in(V(x.apf), {kApfOk, kApfErr})}),
         seq({if_(eqv(V(x.apf), kApfErr), seq({err, after_err}), set(x.ph, kPhRun)),
              set(x.apf, kApfIdle)}),
         o.loc);
}

void Gen::monitor_msgs() {
  if (!view) return;
  const mm::Spec& ms = view->spec;
  Model& m = b.model();
  for (size_t mi = 0; mi < ms.monitors.size(); ++mi) {
    const int c = ms.monitors[mi].ctx;
    const mm::Gen::MonVars& mon = view->mv[mi];
    Id open = b.not_(mm->released(c));
    for (size_t v = 0; v < s.vcpus.size(); ++v) {
      const VcpuVars& x = vv[v];
      const int vi = static_cast<int>(v);
      for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
        const int ii = static_cast<int>(i);
        const int p = mm_page(op(vi, ii).gfn);
        if (p < 0 || ms.region_of(p).ctx != c) continue;
        const bool file = ms.region_of(p).mem != mm::Mem::Anon;
        Id minor =
            file ? and_({mm->registered(p, mm::kModeMinor), b.ne(mm->M(p), L(mm::kTokAbsent))})
                 : L(0);
        Id reason = b.ite(minor, L(mm::kReasonMinor), L(mm::kReasonMissing));
        auto take = [&](Id waiting, Id msg_var, const std::string& who) {
          // userfaultfd_ctx_read: the message moves to fault_wqh; the
          // waiter keeps sleeping.  Taken in any order relative to the mm
          // threads' messages (a superset of the kernel's FIFO order).
          action(mon.actor, "read msg " + who + " " + ms.page_name(p),
                 "fs/userfaultfd.c: userfaultfd_read -> userfaultfd_ctx_read",
                 and_({open, eqv(V(mon.st), mm::kMonIdle), eqv(V(x.pc), ii), waiting,
                       eqv(V(msg_var), kUfQueued)}),
                 seq({set(msg_var, kUfRead), set(mon.st, mm::kMonHave), set(mon.pg, p),
                      b.assign(mon.rs, reason)}));
        };
        if (x.uf != kNoId) {
          take(eqv(V(x.ph), kPhUfWait), x.uf, s.vcpus[v].name + ":" + std::to_string(i));
        }
        if (x.kw_uf != kNoId) {
          take(eqv(V(x.apf), kApfWait), x.kw_uf, s.vcpus[v].name + ".kworker:" + std::to_string(i));
        }
      }
    }
    if (!s.knobs.wake_sigbus) continue;
    // wake-mode-sigbus: no marker.  For a page the source reports poisoned
    // the monitor wakes the faulters with SIGBUS (a hypothetical
    // UFFDIO_WAKE mode) instead of UFFDIO_POISON; nothing is installed, so
    // every later access faults to the monitor again.
    for (int p = 0; p < ms.num_pages(); ++p) {
      if (ms.region_of(p).ctx != c || ms.pages[p].src != mm::Src::Poison) continue;
      const std::string pn = ms.page_name(p);
      for (Id a : m.actors[mon.actor].actions) {
        if (m.actions[a].name == "poison " + pn) m.actions[a].guard = L(0);
      }
      std::vector<Id> body;
      for (size_t v = 0; v < s.vcpus.size(); ++v) {
        const VcpuVars& x = vv[v];
        const int vi = static_cast<int>(v);
        for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
          const int ii = static_cast<int>(i);
          if (mm_page(op(vi, ii).gfn) != p) continue;
          if (x.uf != kNoId) {
            Id waiting = and_({eqv(V(x.pc), ii), eqv(V(x.ph), kPhUfWait)});
            // The emulator's copy fails: its MMIO fallback.
            Id hit = op(vi, ii).op == VOp::EmuRead ? exit_mmio(vi, ii) : error_fault(vi, ii, true);
            body.push_back(if_(waiting, seq({set(x.uf, kUfNone), hit})));
          }
          if (x.kw_uf != kNoId) {
            body.push_back(if_(and_({eqv(V(x.pc), ii), eqv(V(x.apf), kApfWait)}),
                               seq({set(x.kw_uf, kUfNone), set(x.apf, kApfErr)})));
          }
        }
      }
      body.push_back(mm->wake_range(c, p, 1));
      body.push_back(
          seq({set(mon.st, mm::kMonIdle), set(mon.pg, 0), set(mon.rs, mm::kReasonNone)}));
      action(mon.actor, "wake with SIGBUS " + pn,
             "fs/userfaultfd.c: userfaultfd_wake (wake-mode-sigbus: handle_userfault returns "
             "VM_FAULT_SIGBUS)",
             and_({open, eqv(V(mon.st), mm::kMonHave), eqv(V(mon.pg), p)}), seq(body));
    }
  }
}

void Gen::exit_handler() {
  if (h_actor == kNoId) return;
  const std::string run = "virt/kvm/kvm_main.c: kvm_vcpu_ioctl (KVM_RUN)";
  for (size_t v = 0; v < s.vcpus.size(); ++v) {
    const VcpuVars& x = vv[v];
    const int vi = static_cast<int>(v);
    const std::string vn = s.vcpus[v].name;
    action(h_actor, "take exit " + vn, run + " returned: the VMM reads kvm_run->memory_fault",
           and_({eqv(V(h_st), 0), eqv(V(x.ph), kPhExit)}), seq({set(h_v, vi), set(h_st, 1)}));
    for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
      const int ii = static_cast<int>(i);
      const VcpuOp& o = op(vi, ii);
      const int g = o.gfn;
      const SlotSpec& sl = slot(g);
      auto here = [&](Value st) {
        return and_({eqv(V(h_st), st), eqv(V(h_v), vi), eqv(V(x.pc), ii)});
      };
      auto act = [&](const std::string& step, const std::string& fn, Id guard, Id body) {
        action(h_actor, vn + " " + name(vi, ii, step), fn, guard, body, o.loc);
      };
      std::vector<Id> handled;  // the cases above the fallback
      // (0) KVM_EXIT_MMIO of an emulated access: a write to a read-only
      // slot, or an emulated read whose copy from the hva failed.  The VMM's
      // MMIO handler takes the write (to its device model, not to guest
      // memory) or answers the read with data of its own (the guest gets
      // it, not the page's: nothing tells the VMM the gpa is poisoned RAM),
      // and re-enters.
      if ((sl.readonly && o.op == VOp::Write) || o.op == VOp::EmuRead) {
        const bool read = o.op == VOp::EmuRead;
        Id mmio = eqv(V(x.exit), kExitMmio);
        act(read ? "MMIO read" : "MMIO write",
            "(user space: the VMM's MMIO handler takes kvm_run->mmio) -> arch/x86/kvm/x86.c: "
            "complete_emulated_mmio on re-entry",
            and_({here(1), mmio}),
            seq({complete(vi, ii, L(read ? mmio_read : mm::kOk)), set(h_st, 0)}));
        handled.push_back(mmio);
      }
      // (1) private/shared mismatch: convert the gfn, bracketed by an
      // invalidation like every attribute update.
      if (attr != kNoId) {
        Id mismatch = b.ne(E(attr, g), L(o.priv ? 1 : 0));
        act("convert", "virt/kvm/kvm_main.c: kvm_vm_ioctl_set_mem_attributes",
            and_({here(1), mismatch}),
            seq({zap(g, g + 1), set(attr, g, o.priv ? 1 : 0), seq_bump(), set(h_st, 3)}));
        handled.push_back(mismatch);
      }
      // (2) the VMM knows the source page is poisoned: inject a machine
      // check (KVM_X86_SET_MCE) instead of populating.
      int p = mm_page(g), q = gmem_page(g);
      bool poisoned =
          (!via_gmem(vi, ii) && p >= 0 && view->spec.pages[p].src == mm::Src::Poison) ||
          (via_gmem(vi, ii) && q >= 0 && s.gmems[sl.gmem].poisoned[q - s.gmems[sl.gmem].first]);
      // The VMM also knows a page it poisoned itself (UFFDIO_POISON, or a
      // marker it found in place).
      Id known = poisoned ? L(1) : L(0);
      if (!poisoned && !via_gmem(vi, ii) && p >= 0) known = eqv(mm->P(p), mm::kPteMarkerPoison);
      if (poisoned || (!via_gmem(vi, ii) && p >= 0)) {
        Id guard = and_({here(1), handled.empty() ? L(1) : b.not_(b.any(handled)), known});
        act("inject MCE", "arch/x86/kvm/x86.c: kvm_vcpu_ioctl_x86_set_mce", guard,
            seq({complete(vi, ii, L(mce)), set(h_st, 0)}));
        if (poisoned) continue;
        handled.push_back(known);
      }
      Id fresh = and_({here(1), handled.empty() ? L(1) : b.not_(b.any(handled))});
      if (via_gmem(vi, ii) && s.knobs.userfault && sl.userfault) {
        // (3) KVM Userfault: populate the page, clear its bit, re-enter.
        Id populate = set(gm, q, mm::kTokSrc);
        Id clear = ufb != kNoId ? set(ufb, g, 0) : b.skip();
        const std::string wr = "(user space: write the page through the guest_memfd mapping)";
        const std::string cl = "(user space: clear the gfn's bit in userfault_bitmap)";
        if (s.knobs.exit_every) {
          act("populate and map", "(proposed ioctl: populate, clear KVM's bit, map the gfn)", fresh,
              seq({populate, clear, set(spte, g, kSpte4k), set(stok, g, mm::kTokSrc),
                   set(h_st, 3)}));
        } else if (s.knobs.clear_first) {
          act("clear bit", cl, fresh, seq({clear, set(h_st, 2)}));
          act("populate", wr, here(2), seq({populate, set(h_st, 3)}));
        } else {
          act("populate", wr, fresh, seq({populate, set(h_st, 2)}));
          act("clear bit", cl, here(2), seq({clear, set(h_st, 3)}));
        }
      } else if (!via_gmem(vi, ii) && p >= 0) {
        // (4) an hva page: UFFDIO_COPY (or ZEROPAGE) of a missing page and
        // its wake; MADV_POPULATE_WRITE when fast GUP failed for another
        // reason (COW, a zero page, a page the VMM did not remove).  With
        // the backing unmapped or moved away both fail (-ENOENT, -ENOMEM)
        // and the VMM only re-enters.
        const mm::RegionSpec& rs = view->spec.region_of(p);
        if (gone[s.slot_of[g]] != kNoId) {
          act("backing gone", "(user space: UFFDIO_COPY -ENOENT / MADV_POPULATE_WRITE -ENOMEM)",
              and_({fresh, b.not_(hva_ok(g))}), set(h_st, 3));
          fresh = and_({fresh, hva_ok(g)});
        }
        const int c = rs.ctx;
        Id missing = and_({in(mm->P(p), {mm::kPteNone, mm::kPteMarkerWp}),
                           rs.mem == mm::Mem::Anon ? L(1) : eqv(mm->M(p), mm::kTokAbsent),
                           mm->registered(p, mm::kModeMissing)});
        if (c >= 0) {
          mm::Src src = view->spec.pages[p].src;
          mm::Op fill =
              src == mm::Src::Zero && rs.mem != mm::Mem::Hugetlb ? mm::Op::Zeropage : mm::Op::Copy;
          Value tok = src == mm::Src::Zero ? mm::kTokZero : mm::kTokSrc;
          act("UFFDIO_COPY", "fs/userfaultfd.c: userfaultfd_copy -> mm/userfaultfd.c: mfill_atomic",
              and_({fresh, missing}),
              seq({mm->install(fill, p, false, L(tok)), mm->wake_range(c, p, 1), wake(c, p, 1),
                   set(h_st, 3)}));
        }
        act("MADV_POPULATE_WRITE", "mm/madvise.c: madvise_populate -> faultin_page",
            and_({fresh, b.not_(missing)}),
            seq({if_(b.ne(mm->P(p), L(mm::kPtePresent)),
                     seq({set(mm->pte, p, mm::kPtePresent),
                          if_(eqv(mm->M(p), mm::kTokAbsent), set(mm->mem, p, mm::kTokZero))})),
                 set(h_st, 3)}));
      } else {
        act("nothing to do", "(user space: the exit needs no action)", fresh, set(h_st, 3));
      }
    }
    action(h_actor, "re-enter " + vn, run, and_({eqv(V(h_st), 3), eqv(V(h_v), vi)}),
           seq({set(x.ph, kPhRun), set(x.exit, kExitNone), set(x.exit_flags, 0), set(h_st, 0)}));
  }
}

void Gen::sigbus_handler() {
  for (size_t v = 0; v < s.vcpus.size(); ++v) {
    const VcpuVars& x = vv[v];
    const int vi = static_cast<int>(v);
    for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
      const int ii = static_cast<int>(i);
      const VcpuOp& o = op(vi, ii);
      int p = mm_page(o.gfn);
      // What the VMM knows: the source reported the page poisoned, or the
      // page holds a poison marker (it installed it, or found it there).
      Id known = L(0);
      if (p >= 0 && view->spec.pages[p].src == mm::Src::Poison) {
        known = L(1);
      } else if (p >= 0) {
        known = eqv(mm->P(p), mm::kPteMarkerPoison);
      }
      Id guard = at(vi, ii, kPhSignal);
      Id die =
          seq({set(x.ph, kPhDead), b.assign(x.reg[i], b.ite(eqv(V(x.sig), 1), L(mm::kSigbusMceerr),
                                                            L(mm::kSigbusAdrerr)))});
      if (sig_actor == kNoId) {
        action(x.actor, name(vi, ii, "SIGBUS kills the VMM"),
               "kernel/signal.c: get_signal (default action of SIGBUS)", guard, die, o.loc);
        continue;
      }
      // The VMM's handler: BUS_MCEERR_AR names a poisoned page; under
      // sigbus-queue-signal a BUS_ADRERR for a page the VMM knows to be
      // poisoned means the same.  It injects a machine check for the gpa.
      Id mce_ok = or_({eqv(V(x.sig), 1), and_({eqv(V(x.sig), 2), known})});
      action(sig_actor, s.vcpus[v].name + " " + name(vi, ii, "inject MCE"),
             "arch/x86/kvm/x86.c: kvm_vcpu_ioctl_x86_set_mce (from the VMM's SIGBUS handler)",
             and_({guard, mce_ok}), seq({set(x.sig, 0), complete(vi, ii, L(mce))}), o.loc);
      action(sig_actor, s.vcpus[v].name + " " + name(vi, ii, "SIGBUS not poison: abort"),
             "(user space: an unexpected SIGBUS ends the VMM)", and_({guard, b.not_(mce_ok)}), die,
             o.loc);
    }
  }
}

void Gen::vmm_program(int mi) {
  const VmmSpec& ms = s.vmms[mi];
  const Id actor = b.actor(ms.name, ms.fair);
  const auto n = static_cast<Value>(ms.ops.size());
  const Id pc = b.scalar(ms.name + ".pc", 0, n, 0);
  const Id ph = b.scalar(ms.name + ".ph", 0, 1, 0);
  for (size_t k = 0; k < ms.ops.size(); ++k) {
    const VmmOp& o = ms.ops[k];
    const int g = o.gfn;
    const auto kk = static_cast<Value>(k);
    const Id at0 = and_({eqv(V(pc), kk), eqv(V(ph), 0)});
    const Id at1 = and_({eqv(V(pc), kk), eqv(V(ph), 1)});
    const Id next = seq({set(pc, kk + 1), set(ph, 0)});
    const std::string nm = std::to_string(k) + ":gfn " + std::to_string(g);
    // mmu_invalidate_begin: in_progress++, widen the range, unmap.  Built
    // only for the operations that invalidate (the counters exist then).
    auto begin = [&]() {
      return seq({if_(eqv(V(inv_n), 0), seq({set(inv_lo, g), set(inv_hi, g + 1)}),
                      seq({b.assign(inv_lo, b.binary(BinaryOp::Min, V(inv_lo), L(g))),
                           b.assign(inv_hi, b.binary(BinaryOp::Max, V(inv_hi), L(g + 1)))})),
                  b.assign(inv_n, b.add(V(inv_n), L(1))), zap(g, g + 1), set(ph, 1)});
    };
    // mmu_invalidate_end: mmu_invalidate_seq++, in_progress--.
    auto end = [&]() {
      return seq({seq_bump(), b.assign(inv_n, b.binary(BinaryOp::Sub, V(inv_n), L(1)))});
    };
    switch (o.op) {
      case MOp::SetPrivate:
      case MOp::SetShared:
      case MOp::SetUserfault: {
        const std::string fn =
            "virt/kvm/kvm_main.c: kvm_vm_set_mem_attributes (KVM_SET_MEMORY_ATTRIBUTES)";
        const char* what = o.op == MOp::SetPrivate  ? "set-private "
                           : o.op == MOp::SetShared ? "set-shared "
                                                    : "set-userfault ";
        action(actor, what + nm + " / begin",
               fn + " -> kvm_mmu_invalidate_begin, kvm_pre_set_memory_attributes -> "
                    "arch/x86/kvm/mmu/mmu.c: kvm_arch_pre_set_memory_attributes "
                    "(kvm_unmap_gfn_range)",
               at0, begin(), o.loc);
        Id update = o.op == MOp::SetUserfault ? (ufb != kNoId ? set(ufb, g, 1) : b.skip())
                                              : set(attr, g, o.op == MOp::SetPrivate ? 1 : 0);
        action(actor, what + nm + " / end",
               fn + " -> kvm_arch_post_set_memory_attributes, kvm_mmu_invalidate_end", at1,
               seq({update, end(), next}), o.loc);
        break;
      }
      case MOp::ClearUserfault:
        action(actor, "clear-userfault " + nm,
               "(user space: clear the gfn's bit in userfault_bitmap)", at0,
               seq({ufb != kNoId ? set(ufb, g, 0) : b.skip(), next}), o.loc);
        break;
      case MOp::Populate:
        action(actor, "populate " + nm,
               "(user space: write the page through the guest_memfd mapping)", at0,
               seq({set(gm, gmem_page(g), mm::kTokSrc), next}), o.loc);
        break;
      case MOp::PunchHole: {
        const std::string fn = "virt/kvm/guest_memfd.c: kvm_gmem_punch_hole";
        action(actor, "punch-hole " + nm + " / begin", fn + " -> kvm_gmem_invalidate_begin", at0,
               begin(), o.loc);
        action(actor, "punch-hole " + nm + " / end",
               fn + " -> truncate_inode_pages_range, kvm_gmem_invalidate_end", at1,
               seq({set(gm, gmem_page(g), mm::kTokAbsent), end(), next}), o.loc);
        break;
      }
    }
  }
}

}  // namespace fl::model::kvm

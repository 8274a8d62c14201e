// State layout, helpers, invalidations, wake-ups, and the hooks into the mm
// model's actions (its wake_userfault sites wake vCPU waiters too; its zaps
// are mmu-notifier invalidations for KVM).  The mm generator records every
// such site when it emits it and leaves an empty statement there (model/mm/
// gen.h, WakeSite and ZapSite); hooks() fills those statements, so nothing
// here depends on the names of mm actions.

#include <algorithm>

#include "model/kvm/gen.h"

namespace fl::model::kvm {

Gen::Gen(Builder& b, const Spec& s, const mm::View* v) : b(b), s(s), view(v) {
  if (view) mm.emplace(mm::attach(b, *view));
  mce = static_cast<Value>(mm::outcome_labels().size());
  mmio_read = mce + 1;
}

Id Gen::in(Id e, std::initializer_list<Value> vs) {
  std::vector<Id> terms;
  for (Value v : vs) terms.push_back(eqv(e, v));
  return b.any(terms);
}

int Gen::mm_page(int gfn) const {
  const SlotSpec& sl = slot(gfn);
  return sl.region < 0 ? -1 : sl.page0 + (gfn - sl.gfn0);
}

int Gen::gmem_page(int gfn) const {
  const SlotSpec& sl = slot(gfn);
  return sl.gmem < 0 ? -1 : sl.gmem_page0 + (gfn - sl.gfn0);
}

bool Gen::via_gmem(int v, int i) const {
  const VcpuOp& o = op(v, i);
  return o.priv || slot(o.gfn).region < 0;
}

Id Gen::hva_ok(int gfn) {
  const int sl = s.slot_of[gfn];
  return gone.empty() || gone[sl] == kNoId ? L(1) : eqv(V(gone[sl]), 0);
}

Id Gen::is_private(int gfn) {
  return attr != kNoId ? E(attr, gfn) : L(slot(gfn).priv ? 1 : 0);
}

Id Gen::userfault_bit(int gfn) {
  return ufb != kNoId && slot(gfn).userfault ? E(ufb, gfn) : L(0);
}

std::string Gen::name(int v, int i, const std::string& step) const {
  const VcpuOp& o = op(v, i);
  std::string verb = o.op == VOp::EmuRead ? "emulate-read"
                     : o.op == VOp::Write ? (o.priv ? "write-private" : "write")
                                          : (o.priv ? "read-private" : "read");
  std::string n = std::to_string(i) + ":" + verb + " gpa " + std::to_string(o.gfn);
  return step.empty() ? n : n + " / " + step;
}

Id Gen::action(Id actor, const std::string& n, const std::string& fn, Id guard, Id body,
               const SourceLoc& loc) {
  return b.action(actor, n, fn, guard, body, loc);
}

Id Gen::count_exit(int v) {
  if (vv[v].exits == kNoId) return b.skip();
  return b.assign(vv[v].exits, b.binary(BinaryOp::Min, b.add(V(vv[v].exits), L(1)), L(7)));
}

Id Gen::count_wake(int v) {
  if (vv[v].wakes == kNoId) return b.skip();
  return b.assign(vv[v].wakes, b.binary(BinaryOp::Min, b.add(V(vv[v].wakes), L(1)), L(7)));
}

Id Gen::complete(int v, int i, Id outcome) {
  const VcpuVars& x = vv[v];
  int n = static_cast<int>(s.vcpus[v].ops.size());
  std::vector<Id> body = {b.assign(x.reg[i], outcome), set(x.pc, i + 1),
                          set(x.ph, i + 1 == n ? kPhDone : kPhRun)};
  if (x.spin != kNoId) body.push_back(set(x.spin, 0));
  if (x.apf_err != kNoId) body.push_back(set(x.apf_err, 0));
  return seq(body);
}

Id Gen::exit_mf(int v, int i, Value flags, Value exit) {
  const VcpuVars& x = vv[v];
  return seq({set(x.ph, kPhExit), set(x.exit, exit), set(x.exit_gfn, op(v, i).gfn),
              set(x.exit_flags, flags), count_exit(v)});
}

Id Gen::hwpoison_signal(int v, int i) {
  // kvm_send_hwpoison_signal: send_sig_mceerr(BUS_MCEERR_AR, hva,
  // PAGE_SHIFT, current); the run loop then sees the signal: KVM_EXIT_INTR.
  const VcpuVars& x = vv[v];
  return seq({set(x.ph, kPhSignal), set(x.sig, 1), set(x.exit, kExitIntr),
              set(x.exit_gfn, op(v, i).gfn), set(x.exit_flags, 0), count_exit(v)});
}

Id Gen::sigbus_signal(int v, int i) {
  const VcpuVars& x = vv[v];
  return seq({set(x.ph, kPhSignal), set(x.sig, 2), set(x.exit, kExitIntr),
              set(x.exit_gfn, op(v, i).gfn), set(x.exit_flags, 0), count_exit(v)});
}

Id Gen::efault(int v, int i) {
  const VcpuVars& x = vv[v];
  return seq({set(x.ph, kPhDead), set(x.exit, kExitEfault), b.assign(x.reg[i], L(mm::kEfault)),
              count_exit(v)});
}

// An emulated access whose guest-memory copy fails becomes MMIO:
// emulator_read_write_onepage falls back to emulated MMIO when
// read_emulate / write_emulate fail, fills kvm_run->mmio with the exact
// gpa, direction and length, and KVM_RUN returns 0 with KVM_EXIT_MMIO for
// the VMM to complete.  Two sources: a write to a read-only slot
// (RET_PF_EMULATE; the slot refuses the write), and the emulator's failed
// __copy_from_user of a slot's hva (poison or guard marker,
// UFFD_FEATURE_SIGBUS or UFFD_USER_MODE_ONLY on a missing page, no VMA):
// docs/kernel-facts.md "KVM (this host)", tests/shim/kvm_test.cpp.
Id Gen::exit_mmio(int v, int i) {
  const VcpuVars& x = vv[v];
  return seq({set(x.ph, kPhExit), set(x.exit, kExitMmio), set(x.exit_gfn, op(v, i).gfn),
              set(x.exit_flags, 0), count_exit(v)});
}

Id Gen::error_fault(int v, int i, bool sigbus) {
  if (s.knobs.sigbus_queue && sigbus) return sigbus_signal(v, i);
  if (s.knobs.mf_exit) return exit_mf(v, i, 0, kExitMemoryFault);
  return efault(v, i);
}

Id Gen::zap(int lo, int hi) {
  std::vector<Id> body;
  for (int g = lo; g < hi; ++g) {
    if (g < 0 || g >= s.num_gfns || s.slot_of[g] < 0) continue;
    const SlotSpec& sl = slot(g);
    if (sl.huge) {
      // A huge SPTE is unmapped as a whole: every gfn of the group loses it.
      std::vector<Id> all;
      for (int h = sl.gfn0; h < sl.gfn0 + sl.pages; ++h) all.push_back(set(spte, h, kSpteNone));
      body.push_back(if_(eqv(E(spte, g), kSpteHuge), seq(all)));
    }
    body.push_back(set(spte, g, kSpteNone));
  }
  return body.empty() ? b.skip() : seq(body);
}

Id Gen::seq_bump() {
  std::vector<Id> body;
  for (const VcpuVars& x : vv) body.push_back(set(x.moved, 1));
  return seq(body);
}

Id Gen::invalidating(int gfn) {
  if (inv_n == kNoId) return L(0);
  return and_({b.binary(BinaryOp::Gt, V(inv_n), L(0)), b.binary(BinaryOp::Le, V(inv_lo), L(gfn)),
               b.lt(L(gfn), V(inv_hi))});
}

Id Gen::page_tok(int p) {
  return b.ite(in(mm->P(p), {mm::kPteZero, mm::kPteZeroWp}), L(mm::kTokZero), mm->M(p));
}

Id Gen::wake(int c, int first, int len) {
  std::vector<Id> body;
  for (size_t v = 0; v < s.vcpus.size(); ++v) {
    const VcpuVars& x = vv[v];
    const int vi = static_cast<int>(v);
    for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
      const int ii = static_cast<int>(i);
      int p = mm_page(op(vi, ii).gfn);
      if (p < 0 || view->spec.region_of(p).ctx != c) continue;
      if (len >= 0 && (p < first || p >= first + len)) continue;
      Id pc_is = eqv(V(x.pc), ii);
      // After mremap the waiter's message names the old address, which a
      // wake of a range (named at the new address) does not match; only
      // release's wake of everything does.
      const Id g_var = gone.empty() ? kNoId : gone[s.slot_of[op(vi, ii).gfn]];
      if (len >= 0 && g_var != kNoId) pc_is = and_({pc_is, b.ne(V(g_var), L(2))});
      if (x.uf != kNoId) {
        Value back = op(vi, ii).op == VOp::EmuRead ? kPhRun : kPhSyncGup;
        body.push_back(if_(and_({pc_is, eqv(V(x.ph), kPhUfWait)}),
                           seq({set(x.uf, kUfNone), set(x.ph, back),
                                b.assign(x.reg[i], L(mm::kPending)), count_wake(vi)})));
      }
      if (x.kw_uf != kNoId) {
        body.push_back(if_(and_({pc_is, eqv(V(x.apf), kApfWait)}),
                           seq({set(x.kw_uf, kUfNone), set(x.apf, kApfRun)})));
      }
    }
  }
  return body.empty() ? b.skip() : seq(body);
}

void Gen::state() {
  const int G = s.num_gfns;
  const int nv = static_cast<int>(s.vcpus.size());
  std::vector<Value> zero(G, 0);
  spte = b.array("spte", static_cast<uint32_t>(G), 0, kSpteHuge, zero, spte_labels());
  stok = b.array("spte_data", static_cast<uint32_t>(G), 0, mm::kTokMax, zero, mm::tok_labels());

  bool attr_ops = false, inv_ops = false;
  for (const VmmSpec& m : s.vmms) {
    for (const VmmOp& o : m.ops) {
      attr_ops |= o.op == MOp::SetPrivate || o.op == MOp::SetShared;
      inv_ops |= o.op != MOp::Populate && o.op != MOp::ClearUserfault;
    }
  }
  bool mismatch = false;
  for (const VcpuSpec& v : s.vcpus) {
    for (const VcpuOp& o : v.ops) mismatch |= o.priv != slot(o.gfn).priv;
  }
  if (attr_ops || (mismatch && !s.exit_handler.empty())) {
    std::vector<Value> a(G, 0);
    for (int g = 0; g < G; ++g) a[g] = s.slot_of[g] >= 0 && slot(g).priv ? 1 : 0;
    attr = b.array("attr_private", static_cast<uint32_t>(G), 0, 1, a);
  }
  bool uf_slots = false;
  for (const SlotSpec& sl : s.slots) uf_slots |= sl.userfault;
  if (s.knobs.userfault && uf_slots) {
    // Post-copy starts with the bit set for every page not yet received.
    std::vector<Value> u(G, 0);
    for (int g = 0; g < G; ++g) {
      if (s.slot_of[g] < 0 || !slot(g).userfault) continue;
      int q = gmem_page(g);
      bool here = false;
      if (q >= 0) {
        const GmemSpec& gs = s.gmems[slot(g).gmem];
        here = gs.populated[q - gs.first];
      } else if (int p = mm_page(g); p >= 0) {
        here = view->spec.pages[p].init == mm::Init::Mapped;
      }
      u[g] = here ? 0 : 1;
    }
    ufb = b.array("userfault", static_cast<uint32_t>(G), 0, 1, u);
  }
  if (s.num_gmem_pages > 0) {
    std::vector<Value> g0(s.num_gmem_pages, mm::kTokAbsent);
    for (const GmemSpec& gs : s.gmems) {
      for (int q = 0; q < gs.pages; ++q) {
        if (gs.populated[q]) g0[gs.first + q] = mm::kTokSrc;
      }
    }
    gm = b.array("gmem", static_cast<uint32_t>(s.num_gmem_pages), 0, kGmHwpoison, g0,
                 {"hole", "zero", "src", "stale", "hwpoison"});
  }
  if (inv_ops) {
    inv_n = b.scalar("mmu_invalidate_in_progress", 0, static_cast<Value>(s.vmms.size()), 0);
    inv_lo = b.scalar("mmu_invalidate_range_start", 0, G, 0);
    inv_hi = b.scalar("mmu_invalidate_range_end", 0, G, 0);
  }

  // A slot whose region munmap or mremap can take away remembers it: the
  // memslot keeps the old host address, where no VMA is left.
  gone.assign(s.slots.size(), kNoId);
  if (view) {
    for (size_t si = 0; si < s.slots.size(); ++si) {
      const SlotSpec& sl = s.slots[si];
      if (sl.region < 0) continue;
      for (const mm::ZapSite& z : view->zap_sites) {
        const bool away = z.kind == mm::ZapKind::Unmap || z.kind == mm::ZapKind::Move;
        if (away && z.first < sl.page0 + sl.pages && sl.page0 < z.first + z.len) {
          gone[si] = b.scalar(sl.name + ".hva_gone", 0, 2, 0, {"mapped", "unmapped", "moved"});
          break;
        }
      }
    }
  }

  std::vector<std::string> outcomes = mm::outcome_labels();
  outcomes.push_back(kMceLabel);
  outcomes.push_back(kMmioReadLabel);
  vv.resize(nv);
  for (int v = 0; v < nv; ++v) {
    const VcpuSpec& vs = s.vcpus[v];
    VcpuVars& x = vv[v];
    const std::string& n = vs.name;
    bool hva = false, registered = false;
    for (const VcpuOp& o : vs.ops) {
      int p = mm_page(o.gfn);
      if (p < 0 || (o.priv && o.op != VOp::EmuRead)) continue;
      hva = true;
      registered |= view->spec.region_of(p).ctx >= 0;
    }
    // The vCPU threads and the async-PF workers are kernel-scheduled: a
    // runnable one eventually runs (weak fairness, for liveness properties).
    x.actor = b.actor(n, true);
    auto nops = static_cast<Value>(vs.ops.size());
    x.pc = b.scalar(n + ".pc", 0, nops, 0);
    x.ph = b.scalar(n + ".ph", 0, kPhMax, nops == 0 ? kPhDone : kPhRun, phase_labels());
    x.moved = b.scalar(n + ".seq_moved", 0, 1, 0);
    x.tok = b.scalar(n + ".pfn", 0, mm::kTokMax, 0, mm::tok_labels());
    if (registered) x.uf = b.scalar(n + ".uffd_msg", 0, kUfRead, 0, {"none", "queued", "read"});
    if (s.knobs.apf && hva) {
      x.kworker = b.actor(n + ".kworker", true);
      x.apf = b.scalar(n + ".apf", 0, kApfErr, 0, {"idle", "queued", "uffd-wait", "ok", "error"});
      if (registered) {
        x.kw_uf = b.scalar(n + ".apf_uffd_msg", 0, kUfRead, 0, {"none", "queued", "read"});
      }
      x.spin = b.scalar(n + ".apf_retries", 0, 3, 0);
      if (s.knobs.apf_exit_retry) x.apf_err = b.scalar(n + ".apf_error_gfn", 0, 1, 0);
    }
    x.exit = b.scalar(n + "_exit", 0, kExitCount - 1, kExitNone, exit_labels());
    x.exit_gfn = b.scalar(n + "_exit_gpa", 0, std::max(G - 1, 0), 0);
    x.exit_flags = b.scalar(n + "_exit_flags", 0, kMfPrivate | kMfUserfault, 0);
    x.sig = b.scalar(n + "_sigbus", 0, 2, 0, {"none", "BUS_MCEERR_AR", "BUS_ADRERR"});
    if (cost) {
      x.exits = b.scalar(n + "_exits", 0, 7, 0);
      x.wakes = b.scalar(n + "_wakeups", 0, 7, 0);
    }
    for (size_t i = 0; i < vs.ops.size(); ++i) {
      const VcpuOp& o = vs.ops[i];
      std::string r = o.reg.empty() ? n + ".r" + std::to_string(i) : o.reg;
      // Only an emulated access can end in an MMIO read of RAM.
      const Value top = o.op == VOp::EmuRead ? mmio_read : mce;
      x.reg.push_back(b.scalar(r, 0, top, mm::kPending, outcomes, o.loc));
    }
  }
  if (!s.exit_handler.empty()) {
    h_actor = b.actor(s.exit_handler, s.exit_handler_fair);
    h_st = b.scalar(s.exit_handler + ".st", 0, 3, 0, {"idle", "have-exit", "step-1", "re-enter"});
    h_v = b.scalar(s.exit_handler + ".vcpu", 0, std::max(nv - 1, 0), 0);
  }
  if (!s.sigbus_handler.empty()) sig_actor = b.actor(s.sigbus_handler, s.sigbus_handler_fair);
}

void Gen::hooks() {
  if (!view) return;
  Model& m = b.model();
  // wake_userfault wakes every waiter on the range, whatever thread it is:
  // the vCPU threads and the async-PF kworkers of this model too.
  for (const mm::WakeSite& w : view->wake_sites) {
    Id extra = wake(w.ctx, w.first, w.len);
    if (m.stmts[extra].kind == StmtKind::Skip) continue;
    m.stmts[w.hook].body.push_back(extra);
  }
  // A zap calls the mmu notifier: kvm_mmu_notifier_invalidate_range_start
  // unmaps the gfns that the pages back and kvm_mmu_notifier_invalidate_
  // range_end bumps mmu_invalidate_seq, both inside the zapping step.  After
  // munmap or mremap the memslot's host addresses have no VMA any more.
  for (const mm::ZapSite& z : view->zap_sites) {
    std::vector<Id> body;
    for (int g = 0; g < s.num_gfns; ++g) {
      int p = s.slot_of[g] >= 0 ? mm_page(g) : -1;
      if (p < z.first || p >= z.first + z.len) continue;
      body.push_back(zap(g, g + 1));
      const Id g_var = gone[s.slot_of[g]];
      if (g_var != kNoId && z.kind == mm::ZapKind::Unmap) body.push_back(set(g_var, 1));
      if (g_var != kNoId && z.kind == mm::ZapKind::Move) body.push_back(set(g_var, 2));
    }
    if (body.empty()) continue;
    body.push_back(seq_bump());
    Id extra = seq(body);
    m.stmts[z.hook].body.push_back(extra);
  }
}

void Gen::build() {
  state();
  for (size_t v = 0; v < s.vcpus.size(); ++v) {
    for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
      vcpu_ops(static_cast<int>(v), static_cast<int>(i));
    }
  }
  monitor_msgs();
  exit_handler();
  sigbus_handler();
  for (size_t m = 0; m < s.vmms.size(); ++m) vmm_program(static_cast<int>(m));
  hooks();
  properties();
}

}  // namespace fl::model::kvm

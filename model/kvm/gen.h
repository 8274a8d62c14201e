#pragma once
// The KVM generator: turns a resolved Spec into state variables, actors and
// guarded actions through model::Builder, on top of the mm model's state
// when a memslot is backed by an mm region.  Split by concern:
//   gen_state.cpp   state layout, helpers, invalidations, wakes, hooks into mm
//   gen_fault.cpp   the vCPU's stage-2 fault path and the emulator path
//   gen_vmm.cpp     async page faults, the VMM actors (exit handler, SIGBUS
//                   handler, programs), the monitor's vCPU messages
//   gen_props.cpp   the built-in properties
// docs/model-kvm.md describes the state and every transition.

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "model/builder.h"
#include "model/kvm/defs.h"
#include "model/mm/export.h"

namespace fl::model::kvm {

// Backing contents, as in the mm model (mm::Tok), plus hwpoison for gmem.
inline constexpr Value kGmHwpoison = 4;

class Gen {
 public:
  // `view` (null without mm declarations) must outlive the generator.
  Gen(Builder& b, const Spec& s, const mm::View* view);
  void build();

  // Built-in property expressions.
  Id fault_address_reported = kNoId, poison_reaches_guest = kNoId, no_unpopulated_map = kNoId,
     no_userfault_page_mapped = kNoId, no_vcpu_stuck = kNoId, no_vcpu_hang = kNoId,
     no_livelock = kNoId;

  // ---- shared between the gen_*.cpp files --------------------------------
  Builder& b;
  const Spec& s;
  const mm::View* view = nullptr;
  std::optional<mm::Gen> mm;  // the mm helpers over the mm state (when a region backs a slot)
  Value mce = 0;              // outcome label MCE (after the mm labels)
  Value mmio_read = 0;        // outcome label MMIO_READ (after MCE)

  struct VcpuVars {
    Id actor = kNoId, kworker = kNoId;
    Id pc = kNoId, ph = kNoId, moved = kNoId, tok = kNoId, uf = kNoId;
    Id apf = kNoId, kw_uf = kNoId, apf_err = kNoId, spin = kNoId;
    Id exit = kNoId, exit_gfn = kNoId, exit_flags = kNoId, sig = kNoId;
    Id exits = kNoId, wakes = kNoId;  // cost counters (`kvm cost on`)
    std::vector<Id> reg;              // per op
  };
  std::vector<VcpuVars> vv;
  Id spte = kNoId, stok = kNoId, attr = kNoId, ufb = kNoId, gm = kNoId;
  Id inv_n = kNoId, inv_lo = kNoId, inv_hi = kNoId;
  Id h_actor = kNoId, h_st = kNoId, h_v = kNoId;  // the exit handler
  Id sig_actor = kNoId;
  // Per slot: whether a VMA still covers the slot's host addresses (0), the
  // backing was unmapped (1) or moved away by mremap (2); kNoId when no mm
  // operation can take it away.
  std::vector<Id> gone;
  bool cost = false;

  // --- helpers (gen_state.cpp)
  Id L(Value v) { return b.lit(v); }
  Id V(Id var) { return b.var(var); }
  Id E(Id var, Value i) { return b.elem(var, b.lit(i)); }
  Id eqv(Id e, Value v) { return b.eq(e, b.lit(v)); }
  Id in(Id e, std::initializer_list<Value> vs);
  Id and_(std::initializer_list<Id> ts) { return b.all(ts); }
  Id or_(std::initializer_list<Id> ts) { return b.any(ts); }
  Id set(Id var, Value v) { return b.assign(var, b.lit(v)); }
  Id set(Id var, Value i, Value v) { return b.assign(var, b.lit(i), b.lit(v)); }
  Id seq(std::vector<Id> body) { return b.seq(std::move(body)); }
  Id if_(Id c, Id t, Id e = kNoId) { return b.if_(c, t, e); }

  const VcpuOp& op(int v, int i) const { return s.vcpus[v].ops[i]; }
  const SlotSpec& slot(int gfn) const { return *s.slot(gfn); }
  int mm_page(int gfn) const;         // -1 if the gfn has no hva backing
  int gmem_page(int gfn) const;       // -1 if the gfn has no guest_memfd backing
  bool via_gmem(int v, int i) const;  // the fault of op i is served from guest_memfd
  Id at(int v, int i, Value ph) { return and_({eqv(V(vv[v].pc), i), eqv(V(vv[v].ph), ph)}); }
  Id hva_ok(int gfn);         // a VMA covers the gfn's host address (always without munmap/mremap)
  Id is_private(int gfn);     // the gfn's PRIVATE attribute now
  Id userfault_bit(int gfn);  // the gfn's userfault bit now (0 if none)
  std::string name(int v, int i, const std::string& step) const;
  Id action(Id actor, const std::string& name, const std::string& fn, Id guard, Id body,
            const SourceLoc& loc = {});

  // Outcomes of op i of vCPU v.
  Id complete(int v, int i, Id outcome);  // the access finished (next op)
  Id exit_mf(int v, int i, Value flags, Value exit = kExitMemoryFault);  // KVM_EXIT_MEMORY_FAULT
  Id hwpoison_signal(int v, int i);                                      // kvm_send_hwpoison_signal
  Id sigbus_signal(int v, int i);  // sigbus-queue-signal: SIGBUS BUS_ADRERR with the hva
  Id efault(int v, int i);         // KVM_RUN -EFAULT, no memory_fault info
  Id exit_mmio(int v, int i);      // KVM_EXIT_MMIO with the gpa (an emulated access)
  // kvm_handle_error_pfn(KVM_PFN_ERR_FAULT) per variant; `sigbus` = the
  // fault was a VM_FAULT_SIGBUS (what sigbus-queue-signal turns into a signal).
  Id error_fault(int v, int i, bool sigbus);
  Id count_exit(int v);
  Id count_wake(int v);

  // mmu_notifier / attribute / punch-hole invalidation of gfns [lo, hi).
  Id zap(int lo, int hi);    // invalidate_range_start: unmap the SPTEs
  Id seq_bump();             // invalidate_range_end: mmu_invalidate_seq++
  Id invalidating(int gfn);  // an invalidation covering gfn is in progress
  // wake_userfault of mm pages [first, first + len) on context c (len < 0: all).
  Id wake(int c, int first, int len);
  // What GUP of mm page p finds for the pfn contents (the page's token).
  Id page_tok(int p);

  // --- per-concern generators
  void state();
  void hooks();  // fills the mm model's wake and zap hooks (mm::WakeSite, mm::ZapSite)
  void vcpu_ops(int v, int i);
  void emulator(int v, int i);
  void gup_fault_steps(int v, int i);
  void gmem_step(int v, int i);
  void install_step(int v, int i);
  void async_pf(int v, int i);
  void monitor_msgs();
  void exit_handler();
  void sigbus_handler();
  void vmm_program(int m);
  void properties();

  // Shared by the fault steps: the full (or NOWAIT) fault of mm page p by
  // GUP in the vCPU thread.  Returns the statements for each leaf case.
  struct GupCases {
    Id present, poison, guard, userfault, populate;
  };
};

}  // namespace fl::model::kvm

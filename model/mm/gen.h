#pragma once
// The generator: turns a resolved Spec into state variables, actors and
// guarded actions through model::Builder.  Split by concern:
//   gen_state.cpp    state layout, expression helpers, wait queues, wakes
//   gen_fault.cpp    the fault paths and handle_userfault
//   gen_ioctl.cpp    COPY / ZEROPAGE / CONTINUE / POISON / WAKE / WRITEPROTECT
//   gen_madvise.cpp  MADV_DONTNEED, fallocate(PUNCH_HOLE), close of the uffd
//   gen_monitor.cpp  the built-in monitor loop
//   gen_props.cpp    the built-in properties
// docs/model-mm.md describes the state and every transition.

#include <initializer_list>
#include <string>
#include <vector>

#include "model/builder.h"
#include "model/mm/defs.h"

namespace fl::model::mm {

// Thread phases (value of `<thread>.ph`).
enum Phase : Value {
  kPhRun = 0,          // at the start of op `pc` (or retrying its fault)
  kPhUfEnter = 7,      // entered handle_userfault (PTL dropped, fault lock held), not linked
  kPhLinked = 1,       // handle_userfault: linked on fault_pending_wqh, fault lock held
  kPhLinkedWoken = 2,  // ... and already woken (unlinked) before it could sleep
  kPhSleep = 3,        // asleep in handle_userfault (schedule())
  kPhClose1 = 4,       // userfaultfd_release: released set
  kPhClose2 = 5,       // userfaultfd_release: VMAs unregistered, wake next
  kPhWpWake = 6,       // UFFDIO_WRITEPROTECT un-protect done, wake next
  kPhFill0 = 10,       // fill ioctl: kPhFill0 + k = about to install page k (k >= 1)
  kPhWake0 = 20,       // fill ioctl: kPhWake0 + d = d pages done, wake next
};
inline constexpr Value kPhMax = 29;

// Monitor states (value of `<monitor>.st`).
enum MonState : Value {
  kMonIdle = 0,    // waiting in read(2)
  kMonHave = 1,    // holds a message (page, reason)
  kMonWrote = 2,   // MINOR: wrote the page cache through its own mapping; CONTINUE next
  kMonWake = 3,    // its ioctl succeeded; the ioctl's wake_userfault next
  kMonEexist = 4,  // its ioctl failed -EEXIST; UFFDIO_WAKE next (wake-after-eexist)
};

class Gen {
 public:
  Gen(Builder& b, const Spec& s) : b(b), s(s) {}
  void build();

  // The built-in properties' expressions (kNoId when not applicable: the
  // property then holds trivially and is added as `1`).
  Id poison_sticky = kNoId, no_lost_wakeup = kNoId, data_integrity = kNoId, no_stuck_thread = kNoId;

  // ---- everything below is shared between the gen_*.cpp files ----------
  Builder& b;
  const Spec& s;

  struct CtxVars {
    Id released = kNoId;       // ctx->released
    Id q = kNoId;              // fault_pending_wqh, FIFO of thread ids + 1
    std::vector<int> threads;  // threads that can wait on this context
  };
  struct ThreadVars {
    Id actor = kNoId;
    Id pc = kNoId;
    Id ph = kNoId;
    Id wr = kNoId;        // reason it waits for (Reason), kNoId if it never waits
    std::vector<Id> reg;  // per op: observation register or kNoId
    std::vector<Id> out;  // per op: output field register (multi-page) or kNoId
  };
  struct MonVars {
    Id actor = kNoId, st = kNoId, pg = kNoId, rs = kNoId;
  };

  Id pte = kNoId, mem = kNoId;
  Id pz = kNoId, leak = kNoId;  // poison ghost state (only when poison can appear)
  std::vector<Id> regvar;       // per region: registered flag, kNoId when it never changes
  std::vector<CtxVars> cv;
  std::vector<ThreadVars> tv;
  std::vector<MonVars> mv;

  // --- expression helpers (gen_state.cpp)
  Id L(Value v) { return b.lit(v); }
  Id V(Id var) { return b.var(var); }
  Id E(Id var, Value i) { return b.elem(var, b.lit(i)); }
  Id eqv(Id e, Value v) { return b.eq(e, b.lit(v)); }
  Id in(Id e, std::initializer_list<Value> vs);
  Id and_(std::initializer_list<Id> ts) { return b.all(ts); }
  Id or_(std::initializer_list<Id> ts) { return b.any(ts); }
  Id set(Id var, Value v) { return b.assign(var, b.lit(v)); }
  Id set(Id var, Value i, Value v) { return b.assign(var, b.lit(i), b.lit(v)); }
  Id sete(Id var, Value i, Id e) { return b.assign(var, b.lit(i), e); }
  Id seq(std::vector<Id> body) { return b.seq(std::move(body)); }
  Id if_(Id c, Id t, Id e = kNoId) { return b.if_(c, t, e); }

  Id P(int page) { return E(pte, page); }
  Id M(int page) { return E(mem, page); }
  Mem mem_of(int page) const { return s.region_of(page).mem; }
  unsigned modes_of(int page) const { return s.region_of(page).modes; }
  int ctx_of(int page) const { return s.region_of(page).ctx; }
  // The page's region is registered (now) with `mode`.
  Id registered(int page, unsigned mode);
  Id released(int ctx);
  // A PTE value that pte_none_mostly()/is_uffd_pte_marker() accepts as "none".
  Id none_mostly(Id p);
  Id is_present(Id p) { return in(p, {kPteZero, kPteZeroWp, kPtePresent, kPtePresentWp}); }
  Value expected_tok(int page) const;

  // --- thread bookkeeping
  Id at(int t, int op, Value ph) { return and_({eqv(V(tv[t].pc), op), eqv(V(tv[t].ph), ph)}); }
  // Completes op `op` of thread t with outcome `outcome` (an expression).
  Id finish(int t, int op, Id outcome);
  Id set_reg(int t, int op, Id outcome);
  Id set_out(int t, int op, Value pages);
  std::string act_name(int t, int op, const std::string& step) const;
  Id action(Id actor, const std::string& name, const std::string& fn, Id guard, Id body,
            const SourceLoc& loc = {});

  // --- wait queues (fs/userfaultfd.c)
  Id enqueue(int c, int t);
  Id dequeue(int c, int t);
  // wake_userfault(ctx, [first, first + len)) / release's wake of everything (len < 0).
  Id wake_range(int c, int first, int len);
  // The page thread t waits on, as an expression over its pc (-1 if none).
  Id wait_page(int t);
  // must_wait of userfaultfd_must_wait / userfaultfd_huge_must_wait.
  Id must_wait(int page, Id reason);

  // --- poison ghost
  Id note_success(int page);  // an access returned data / succeeded on `page`

  // --- per-concern generators
  void state();
  void faults(int t, int op);
  void fill(int t, int op);
  void wake_op(int t, int op);
  void writeprotect(int t, int op);
  void madvise(int t, int op);
  void close_op(int t, int op);
  void monitor(int m);
  void properties();

  // Shared ioctl pieces (gen_ioctl.cpp), used by threads and monitors.
  // Error of installing `page` for a fill op (0 = may install).
  Id install_error(Op op, int page);
  // The install itself (mfill_atomic_install_pte and friends).
  Id install(Op op, int page, bool wp_mode, Id tok);
  // The checks mfill_atomic makes once per call, before the first page
  // (0 = none failed), for an ioctl on context c.
  Id fill_prologue_error(Op op, int page, int len, int c, bool wp_mode);
  // change_protection over a range for UFFDIO_WRITEPROTECT.
  Id protect_range(int first, int len, bool protect);
};

}  // namespace fl::model::mm

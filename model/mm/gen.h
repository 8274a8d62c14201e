#pragma once
// The generator: turns a resolved Spec into state variables, actors and
// guarded actions through model::Builder.  Split by concern:
//   gen_state.cpp    state layout, expression helpers, wait queues, wakes
//   gen_fault.cpp    the fault paths and handle_userfault
//   gen_ioctl.cpp    COPY / ZEROPAGE / CONTINUE / POISON / WAKE / WRITEPROTECT
//   gen_madvise.cpp  MADV_DONTNEED, fallocate(PUNCH_HOLE), guard regions,
//                    close of the uffd
//   gen_event.cpp    fork, mremap, munmap, UNREGISTER, the non-cooperative
//                    events and mmap_changing
//   gen_move.cpp     UFFDIO_MOVE
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
  kPhEnter = 8,        // ioctl: passed the early mmap_changing check, no lock held yet
  kPhEvWait = 9,       // event generator asleep in userfaultfd_event_wait_completion
  kPhFill0 = 10,       // fill ioctl: kPhFill0 + k = about to install page k (k >= 1)
  kPhWake0 = 20,       // fill ioctl: kPhWake0 + d = d pages done, wake next
  kPhEvDone = 30,      // its event was read (msg.event = 0); the generator is runnable
  kPhZap = 31,         // MADV_DONTNEED after its REMOVE event: re-lock and zap next
  kPhSleepGone = 32,   // asleep in handle_userfault on an address mremap moved away
  kPhGone = 33,        // woken from kPhSleepGone: the fault retries where no VMA is
};
inline constexpr Value kPhMax = 33;

// Monitor states (value of `<monitor>.st`).
enum MonState : Value {
  kMonIdle = 0,      // waiting in read(2)
  kMonHave = 1,      // holds a message (page, reason)
  kMonWrote = 2,     // MINOR: wrote the page cache through its own mapping; CONTINUE next
  kMonWake = 3,      // its ioctl succeeded; the ioctl's wake_userfault next
  kMonEexist = 4,    // its ioctl failed -EEXIST; UFFDIO_WAKE next (wake-after-eexist)
  kMonDeferred = 5,  // its ioctl failed -EAGAIN; the message is kept for a retry
};

// Where an mm action wakes userfaultfd waiters or changes page-table
// entries that a secondary MMU (KVM) maps.  The generator records every
// such place when it emits it (Gen::wake_range, Gen::zap_hook) and leaves an
// empty statement there, the hook, which the KVM model fills with its own
// effect: the wake-up of vCPU and kworker waiters, or the mmu-notifier
// invalidation of the stage-2 mappings.  Because the hook sits exactly where
// the kernel wakes or calls the notifier (inside the branch that does it),
// no name of an action is needed to find it, and a new mm action that wakes
// or zaps through the helpers reaches KVM without any change there.
struct WakeSite {
  Id hook = kNoId;          // an empty Seq inside the action bodies
  std::vector<Id> actions;  // the mm actions whose bodies contain the hook
  int ctx = -1;             // wake_userfault(ctx, [first, first + len))
  int first = 0;
  int len = 0;  // < 0: every waiter of the context (userfaultfd_release)
};

// What the entries of a zap site become, as far as a secondary MMU cares.
enum class ZapKind {
  Zap,      // entries cleared (or replaced by markers); the VMA stays
  Protect,  // change_protection: the pfn stays, permissions change
  Cow,      // wp_page_copy: a new page replaces the mapped one
  Unmap,    // munmap: the VMA is gone
  Move,     // mremap: the VMA moved away; nothing is left at the old address
};
struct ZapSite {
  Id hook = kNoId;
  std::vector<Id> actions;
  ZapKind kind = ZapKind::Zap;
  int first = 0;  // mm pages [first, first + len)
  int len = 0;
};

class Gen {
 public:
  Gen(Builder& b, const Spec& s) : b(b), s(s) {}
  void build();

  // Every wake and zap the generator emitted (filled in by build(); a Gen
  // attached to an existing model records the hooks of its helpers too, but
  // nothing reads them).
  std::vector<WakeSite> wake_sites;
  std::vector<ZapSite> zap_sites;

  // The built-in properties' expressions (kNoId when not applicable: the
  // property then holds trivially and is added as `1`).
  Id poison_sticky = kNoId, no_lost_wakeup = kNoId, data_integrity = kNoId, no_stuck_thread = kNoId;

  // ---- everything below is shared between the gen_*.cpp files ----------
  Builder& b;
  const Spec& s;

  struct CtxVars {
    Id released = kNoId;                    // ctx->released
    Id q = kNoId;                           // fault_pending_wqh, FIFO of thread ids + 1
    std::vector<int> threads;               // threads that can wait on this context
    Id changing = kNoId;                    // ctx->mmap_changing (only when an event can raise it)
    Id ev = kNoId;                          // event_wqh, FIFO of generator thread ids + 1
    std::vector<std::pair<int, int>> gens;  // (thread, op) that may send an event here
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
  std::vector<Id> mapvar;       // per region: mapped flag, kNoId when it is never unmapped
  // The forked child (only with a fork): its leaf entries, its anonymous
  // pages (shmem and hugetlb share `page` with the parent), its poison ghost,
  // its registration per region (to the context a FORK event creates).
  Id forked = kNoId, cpte = kNoId, cmem = kNoId, cpz = kNoId;
  std::vector<Id> cregvar;
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
  // The child's copy of the page's region is registered with `mode`.
  Id child_registered(int page, unsigned mode);
  // The page's region is mapped (not munmapped).
  Id mapped(int page);
  // ctx->mmap_changing is zero (always, for a context no event can reach).
  Id not_changing(int c);
  // No thread holds the mmap lock or a VMA lock for read, or the context's
  // map_changing_lock for read: what mmap_write_lock (and the writers of
  // map_changing_lock) wait for.
  Id no_mm_readers();
  // No fill or move is between two pages (holding map_changing_lock for
  // read): what userfaultfd_remove's down_write waits for.
  Id no_fill_in_progress();
  // The context an event of op `op` of thread t goes to, -1 if none can.
  int event_ctx(int t, int op) const;
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
  Id set_out_e(int t, int op, Id value);  // output field = an expression
  std::string act_name(int t, int op, const std::string& step) const;
  Id action(Id actor, const std::string& name, const std::string& fn, Id guard, Id body,
            const SourceLoc& loc = {});

  // --- wait queues (fs/userfaultfd.c): FIFOs of thread ids + 1
  Id enqueue(int c, int t) { return push(cv[c].q, cv[c].threads.size(), t); }
  Id dequeue(int c, int t) { return remove(cv[c].q, cv[c].threads.size(), t); }
  Id push(Id q, size_t n, int t);
  Id remove(Id q, size_t n, int t);
  // wake_userfault(ctx, [first, first + len)) / release's wake of everything
  // (len < 0).  Records a WakeSite: every wake of the model goes through here.
  Id wake_range(int c, int first, int len);
  // The mmu-notifier invalidation of pages [first, first + len): records a
  // ZapSite and returns its hook, to be placed where the kernel calls the
  // notifier.  Every page-table change a secondary MMU must see goes through
  // here.
  Id zap_hook(ZapKind kind, int first, int len);
  // Fills WakeSite::actions and ZapSite::actions from the action bodies.
  void locate_hooks();
  std::vector<Id> own_actions;  // the actions this generator created
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
  void guard_op(int t, int op);
  void fork_op(int t, int op);
  void mremap_op(int t, int op);
  void munmap_op(int t, int op);
  void unregister_op(int t, int op);
  void move_op(int t, int op);
  // The generator's side of an event (gen_event.cpp): counter++ and queue
  // the event (`raise`), then the step after the event was read or the
  // context released (counter--, then `after`).
  Id raise_event(int c, int t);
  void event_resume(int t, int op, int c, Id after);
  // An ioctl's early mmap_changing check (fs/userfaultfd.c, before any
  // lock): generated when an event can reach context c; returns the guard
  // of the ioctl's next step.
  Id ioctl_entry(int t, int op, int c, bool has_output);
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
  // UFFDIO_MOVE's checks before the first page (move_pages).
  Id move_prologue_error(int dst, int src, int c);
  // UFFDIO_MOVE of one page (move_pages_pte): error (0 = moved), effect.
  Id move_error(int dst, int src, bool holes);
  Id move_page(int dst, int src);
  // change_protection over a range for UFFDIO_WRITEPROTECT.
  Id protect_range(int first, int len, bool protect);
};

}  // namespace fl::model::mm

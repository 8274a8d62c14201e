// The built-in monitor (`monitor NAME on CTX { serve ... }`): the usual
// post-copy handler loop.  read(2) one message; resolve it from the
// source: MISSING -> UFFDIO_COPY (UFFDIO_ZEROPAGE for a zero page on anon
// or shmem, UFFDIO_POISON for a poisoned one); MINOR -> write the page cache
// through the monitor's own mapping, then UFFDIO_CONTINUE (POISON if
// poisoned); WP -> UFFDIO_WRITEPROTECT un-protect.  After -EEXIST it issues
// UFFDIO_WAKE only with `wake-after-eexist` (the kernel selftests do).
// After -EAGAIN (mmap_changing) it keeps the message and retries once the
// counter is back to zero, reading events meanwhile; with `forget-eagain`
// it drops the message instead (S16).  Events are read after every pending
// fault message (userfaultfd_ctx_read looks at fault_pending_wqh first);
// reading one completes it; with `wake-on-remove` a REMOVE or UNMAP event
// is followed by UFFDIO_WAKE of its range (merged into the read step).

#include "model/mm/gen.h"

namespace fl::model::mm {

void Gen::monitor(int m) {
  const MonitorSpec& ms = s.monitors[m];
  const int c = ms.ctx;
  const MonVars& x = mv[m];
  const Id open = b.not_(released(c));
  auto idle = [&]() { return seq({set(x.st, kMonIdle), set(x.pg, 0), set(x.rs, kReasonNone)}); };

  const Id no_fault_msg = cv[c].q == kNoId ? L(1) : eqv(E(cv[c].q, 0), 0);
  // Event messages: the oldest entry of event_wqh.  A monitor holding a
  // deferred message reads events regardless of pending fault messages: a
  // real one would read those too and keep them for later, which changes
  // only when it learns of them.
  for (const auto& [t, i] : cv[c].gens) {
    const OpSpec& o = s.threads[t].ops[i];
    std::vector<Id> body = {remove(cv[c].ev, cv[c].gens.size(), t), set(tv[t].ph, kPhEvDone)};
    if (ms.wake_on_remove && (o.op == Op::Dontneed || o.op == Op::Munmap)) {
      body.push_back(wake_range(c, o.page, o.len));
    }
    const char* what = o.op == Op::Fork     ? "FORK"
                       : o.op == Op::Mremap ? "REMAP"
                       : o.op == Op::Munmap ? "UNMAP"
                                            : "REMOVE";
    const bool wakes = ms.wake_on_remove && (o.op == Op::Dontneed || o.op == Op::Munmap);
    action(
        x.actor,
        std::string("read ") + what + " event " + s.threads[t].name + ":" + std::to_string(i),
        std::string("fs/userfaultfd.c: userfaultfd_ctx_read (event_wqh) -> ") +
            (o.op == Op::Fork ? "resolve_userfault_fork, " : "") + "userfaultfd_event_complete" +
            (wakes ? "; then UFFDIO_WAKE: userfaultfd_wake -> wake_userfault" : ""),
        and_({open, or_({and_({eqv(V(x.st), kMonIdle), no_fault_msg}), eqv(V(x.st), kMonDeferred)}),
              eqv(E(cv[c].ev, 0), t + 1), eqv(V(tv[t].pc), i), eqv(V(tv[t].ph), kPhEvWait)}),
        seq(body), ms.loc);
  }
  if (cv[c].changing != kNoId && !ms.forget_eagain) {
    // The retry of the deferred fault; retrying while the counter is still
    // up would only fail again and change nothing.
    action(x.actor, "retry deferred", "(user space: retry the ioctl after the events were read)",
           and_({open, eqv(V(x.st), kMonDeferred), not_changing(c)}), set(x.st, kMonHave), ms.loc);
  }

  // userfaultfd_read -> userfaultfd_ctx_read: the oldest entry of
  // fault_pending_wqh moves to fault_wqh; its thread keeps sleeping.
  if (cv[c].q != kNoId) {
    for (int t : cv[c].threads) {
      const ThreadSpec& th = s.threads[t];
      for (int i = 0; i < static_cast<int>(th.ops.size()); ++i) {
        const OpSpec& o = th.ops[i];
        if (!is_access(o.op) || ctx_of(o.page) != c) continue;
        action(x.actor, "read msg " + th.name + ":" + std::to_string(i) + " " + s.page_name(o.page),
               "fs/userfaultfd.c: userfaultfd_read -> userfaultfd_ctx_read",
               and_({open, eqv(V(x.st), kMonIdle), eqv(E(cv[c].q, 0), t + 1), eqv(V(tv[t].pc), i)}),
               seq({dequeue(c, t), set(x.st, kMonHave), set(x.pg, o.page),
                    b.assign(x.rs, V(tv[t].wr))}),
               ms.loc);
      }
    }
  }

  for (size_t r = 0; r < s.regions.size(); ++r) {
    const RegionSpec& rs = s.regions[r];
    if (rs.ctx != c) continue;
    for (int p = rs.first; p < rs.first + rs.pages; ++p) {
      const std::string pn = s.page_name(p);
      const Src src = s.pages[p].src;
      const Id on_eagain = ms.forget_eagain ? idle() : set(x.st, kMonDeferred);
      auto at_state = [&](Value st, Value reason) {
        return and_({open, eqv(V(x.st), st), eqv(V(x.pg), p), eqv(V(x.rs), reason)});
      };
      // One fill ioctl on page p: checks, install under the PTL; then the
      // epilogue's wake as a separate step.
      auto fill_step = [&](Op op, Value reason, Value st, const std::string& what, Value tok) {
        Id e = b.new_local();
        Id err = b.ite(b.ne(fill_prologue_error(op, p, 1, c, false), L(0)),
                       fill_prologue_error(op, p, 1, c, false), install_error(op, p));
        Id on_err =
            if_(eqv(b.local(e), kEexist), ms.wake_after_eexist ? set(x.st, kMonEexist) : idle(),
                if_(eqv(b.local(e), kEagain), on_eagain, idle()));
        action(x.actor, what + " " + pn,
               std::string(op == Op::Copy       ? "fs/userfaultfd.c: userfaultfd_copy"
                           : op == Op::Zeropage ? "fs/userfaultfd.c: userfaultfd_zeropage"
                           : op == Op::Continue ? "fs/userfaultfd.c: userfaultfd_continue"
                                                : "fs/userfaultfd.c: userfaultfd_poison") +
                   " -> mm/userfaultfd.c: mfill_atomic",
               at_state(st, reason),
               seq({b.let(e, err), if_(b.ne(b.local(e), L(0)), on_err,
                                       seq({install(op, p, false, L(tok)), set(x.st, kMonWake)}))}),
               ms.loc);
      };
      Value tok = src == Src::Zero ? kTokZero : kTokSrc;
      if (rs.modes & kModeMissing) {
        if (src == Src::Poison) {
          fill_step(Op::Poison, kReasonMissing, kMonHave, "poison", kTokAbsent);
        } else if (src == Src::Zero && rs.mem != Mem::Hugetlb) {
          fill_step(Op::Zeropage, kReasonMissing, kMonHave, "zeropage", kTokZero);
        } else {
          fill_step(Op::Copy, kReasonMissing, kMonHave, "copy", tok);
        }
      }
      if (rs.modes & kModeMinor) {
        if (src == Src::Poison) {
          fill_step(Op::Poison, kReasonMinor, kMonHave, "poison", kTokAbsent);
        } else {
          // The monitor writes the page through a second (unregistered)
          // mapping of the same file: user-space memcpy, no kernel step of
          // interest beyond filling the page cache.
          action(x.actor, "write page cache " + pn, "(user space: write through the alias mapping)",
                 at_state(kMonHave, kReasonMinor), seq({set(mem, p, tok), set(x.st, kMonWrote)}),
                 ms.loc);
          fill_step(Op::Continue, kReasonMinor, kMonWrote, "continue", tok);
        }
      }
      if (rs.modes & kModeWp) {
        Id wp_reg = registered(p, kModeWp);
        action(x.actor, "unprotect " + pn,
               "fs/userfaultfd.c: userfaultfd_writeprotect -> mwriteprotect_range",
               at_state(kMonHave, kReasonWp),
               if_(not_changing(c),
                   if_(and_({wp_reg, mapped(p)}),
                       seq({protect_range(p, 1, false), set(x.st, kMonWake)}), idle()),
                   on_eagain),
               ms.loc);
      }
      action(x.actor, "wake " + pn, "fs/userfaultfd.c: wake_userfault (ioctl epilogue)",
             and_({open, eqv(V(x.st), kMonWake), eqv(V(x.pg), p)}),
             seq({wake_range(c, p, 1), idle()}), ms.loc);
      if (ms.wake_after_eexist) {
        action(x.actor, "UFFDIO_WAKE " + pn, "fs/userfaultfd.c: userfaultfd_wake -> wake_userfault",
               and_({open, eqv(V(x.st), kMonEexist), eqv(V(x.pg), p)}),
               seq({wake_range(c, p, 1), idle()}), ms.loc);
      }
    }
  }
}

}  // namespace fl::model::mm

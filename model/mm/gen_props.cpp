// The built-in properties (docs/model-mm.md, "Properties").

#include "model/mm/gen.h"

namespace fl::model::mm {

void Gen::properties() {
  // poison-sticky: no access succeeded on a page after a poison marker was
  // installed there, unless the page was discarded since (MADV_DONTNEED,
  // hugetlb zap, punch-hole of a page that no longer held the marker).
  // UFFDIO_COPY / CONTINUE over the marker do not count as discarding.
  poison_sticky = leak == kNoId ? L(1) : eqv(V(leak), 0);

  // no-stuck-thread (deadlock kind): in a final state no thread is asleep
  // in handle_userfault (wherever its address now is), and no event
  // generator waits for its event to be read.
  std::vector<Id> awake;
  for (const ThreadVars& x : tv)
    awake.push_back(b.not_(in(V(x.ph), {kPhSleep, kPhSleepGone, kPhEvWait})));
  no_stuck_thread = b.all(awake);

  // no-lost-wakeup (deadlock kind): in a final state no thread is asleep on
  // a page that must_wait would now call resolved.
  std::vector<Id> not_lost;
  for (size_t t = 0; t < s.threads.size(); ++t) {
    const ThreadSpec& th = s.threads[t];
    if (th.child) continue;  // the child's context is not modelled: nobody could wake it
    for (int i = 0; i < static_cast<int>(th.ops.size()); ++i) {
      const OpSpec& o = th.ops[i];
      if (!is_access(o.op) || ctx_of(o.page) < 0) continue;
      int ti = static_cast<int>(t);
      not_lost.push_back(
          b.not_(and_({at(ti, i, kPhSleep), b.not_(must_wait(o.page, V(tv[t].wr)))})));
    }
  }
  no_lost_wakeup = b.all(not_lost);

  // data-integrity: every mapped page of a registered region holds what the
  // source holds (a poisoned source page must never be mapped).
  std::vector<Id> intact;
  for (int p = 0; p < s.num_pages(); ++p) {
    if (ctx_of(p) < 0) continue;
    Id mapped = is_present(P(p));
    Id tok = b.ite(in(P(p), {kPteZero, kPteZeroWp}), L(kTokZero), M(p));
    Id ok = s.pages[p].src == Src::Poison ? L(0) : eqv(tok, expected_tok(p));
    intact.push_back(b.binary(BinaryOp::Implies, mapped, ok));
  }
  data_integrity = b.all(intact);
}

}  // namespace fl::model::mm

// State layout, expression helpers, the userfaultfd wait queues and wakes.

#include <algorithm>

#include "model/mm/gen.h"

namespace fl::model::mm {

Id Gen::in(Id e, std::initializer_list<Value> vs) {
  std::vector<Id> terms;
  for (Value v : vs) terms.push_back(eqv(e, v));
  return b.any(terms);
}

Id Gen::registered(int page, unsigned mode) {
  const RegionSpec& r = s.region_of(page);
  if (r.ctx < 0 || !(r.modes & mode)) return L(0);
  Id rv = regvar[s.pages[page].region];
  return rv == kNoId ? L(1) : eqv(V(rv), 1);
}

Id Gen::released(int c) {
  Id rv = cv[c].released;
  return rv == kNoId ? L(0) : eqv(V(rv), 1);
}

Id Gen::none_mostly(Id p) {
  if (s.knobs.none_mostly_any_marker) {
    return in(p, {kPteNone, kPteMarkerWp, kPteMarkerPoison, kPteMarkerGuard});
  }
  return in(p, {kPteNone, kPteMarkerWp, kPteMarkerPoison});
}

Value Gen::expected_tok(int page) const {
  switch (s.pages[page].src) {
    case Src::Data:
      return kTokSrc;
    case Src::Zero:
      return kTokZero;
    case Src::Poison:
      return kTokAbsent;
  }
  return kTokSrc;
}

Id Gen::set_reg(int t, int op, Id outcome) {
  Id r = tv[t].reg[op];
  return r == kNoId ? b.skip() : b.assign(r, outcome);
}

Id Gen::set_out(int t, int op, Value pages) {
  Id r = tv[t].out[op];
  return r == kNoId ? b.skip() : set(r, pages);
}

Id Gen::finish(int t, int op, Id outcome) {
  std::vector<Id> body = {set_reg(t, op, outcome), set(tv[t].pc, op + 1), set(tv[t].ph, kPhRun)};
  return seq(body);
}

std::string Gen::act_name(int t, int op, const std::string& step) const {
  const OpSpec& o = s.threads[t].ops[op];
  std::string target = o.op == Op::Close ? s.ctxs[o.ctx].name : s.page_name(o.page);
  std::string name = std::to_string(op) + ":" + op_name(o.op) + " " + target;
  if (o.len > 1) name += " len " + std::to_string(o.len);
  return step.empty() ? name : name + " / " + step;
}

Id Gen::action(Id actor, const std::string& name, const std::string& fn, Id guard, Id body,
               const SourceLoc& loc) {
  return b.action(actor, name, fn, guard, body, loc);
}

// fault_pending_wqh as a FIFO: handle_userfault adds at the head of the
// list and userfaultfd_ctx_read takes the last entry, so messages are read
// oldest first.  q[i] = thread id + 1, 0 = free; entries are packed.
Id Gen::enqueue(int c, int t) {
  const CtxVars& x = cv[c];
  auto n = static_cast<Value>(x.threads.size());
  Id pos = b.new_local();
  std::vector<Id> count;
  for (Value i = 0; i < n; ++i) count.push_back(b.ite(b.ne(E(x.q, i), L(0)), L(1), L(0)));
  Id sum = count[0];
  for (size_t i = 1; i < count.size(); ++i) sum = b.add(sum, count[i]);
  std::vector<Id> body = {b.let(pos, sum)};
  for (Value i = 0; i < n; ++i) body.push_back(if_(eqv(b.local(pos), i), set(x.q, i, t + 1)));
  return seq(body);
}

Id Gen::dequeue(int c, int t) {
  const CtxVars& x = cv[c];
  auto n = static_cast<Value>(x.threads.size());
  // k = position of t (n if absent); entries after it move down by one.
  Id k = b.new_local();
  Id pos = L(n);
  for (Value i = n - 1; i >= 0; --i) pos = b.ite(eqv(E(x.q, i), t + 1), L(i), pos);
  std::vector<Id> body = {b.let(k, pos)};
  for (Value i = 0; i < n; ++i) {
    Id next = i + 1 < n ? E(x.q, i + 1) : L(0);
    body.push_back(if_(b.binary(BinaryOp::Ge, L(i), b.local(k)), b.assign(x.q, L(i), next)));
  }
  return seq(body);
}

Id Gen::wait_page(int t) {
  Id e = L(-1);
  const ThreadSpec& th = s.threads[t];
  for (int i = static_cast<int>(th.ops.size()) - 1; i >= 0; --i) {
    if (is_access(th.ops[i].op)) e = b.ite(eqv(V(tv[t].pc), i), L(th.ops[i].page), e);
  }
  return e;
}

// userfaultfd_wake_function over both fault queues: a waiter of thread t
// on a page in range is woken and unlinked.  An entry that has linked
// itself but not slept yet (kPhLinked) only becomes runnable, so its
// schedule() returns at once.
Id Gen::wake_range(int c, int first, int len) {
  std::vector<Id> body;
  for (int t : cv[c].threads) {
    const ThreadSpec& th = s.threads[t];
    for (int i = 0; i < static_cast<int>(th.ops.size()); ++i) {
      const OpSpec& o = th.ops[i];
      if (!is_access(o.op) || ctx_of(o.page) != c) continue;
      if (len >= 0 && (o.page < first || o.page >= first + len)) continue;
      Id pc_is = eqv(V(tv[t].pc), i);
      body.push_back(if_(and_({pc_is, eqv(V(tv[t].ph), kPhLinked)}),
                         seq({dequeue(c, t), set(tv[t].ph, kPhLinkedWoken)})));
      body.push_back(if_(and_({pc_is, eqv(V(tv[t].ph), kPhSleep)}),
                         seq({dequeue(c, t), set(tv[t].ph, kPhRun), set(tv[t].wr, kReasonNone),
                              set_reg(t, i, L(kPending))})));
    }
  }
  return body.empty() ? b.skip() : seq(body);
}

// userfaultfd_must_wait (anon, shmem) and userfaultfd_huge_must_wait
// (hugetlb) have the same shape: wait if the entry is none or a uffd marker
// (pte_none_mostly in 6.18), or if it does not allow a write and the
// reason is WP.
Id Gen::must_wait(int page, Id reason) {
  Id p = P(page);
  return or_({none_mostly(p),
              and_({b.eq(reason, L(kReasonWp)), in(p, {kPteZero, kPteZeroWp, kPtePresentWp})})});
}

Id Gen::note_success(int page) {
  if (pz == kNoId) return b.skip();
  return if_(eqv(E(pz, page), 1), set(leak, 1));
}

void Gen::state() {
  const int n = s.num_pages();
  std::vector<Value> pte0(n, kPteNone), mem0(n, kTokAbsent);
  bool poison = false;
  for (int p = 0; p < n; ++p) {
    switch (s.pages[p].init) {
      case Init::None:
        break;
      case Init::Mapped:
        pte0[p] = kPtePresent;
        mem0[p] = expected_tok(p);
        break;
      case Init::MappedWp:
        pte0[p] = kPtePresentWp;
        mem0[p] = expected_tok(p);
        break;
      case Init::WpMarker:
        pte0[p] = kPteMarkerWp;
        break;
      case Init::Poisoned:
        pte0[p] = kPteMarkerPoison;
        poison = true;
        break;
      case Init::Guard:
        pte0[p] = kPteMarkerGuard;
        break;
      case Init::Cached:
        mem0[p] = expected_tok(p);
        break;
      case Init::Stale:
        mem0[p] = kTokStale;
        break;
    }
    if (s.pages[p].src == Src::Poison) poison = true;
    if (mem0[p] == kTokAbsent && (pte0[p] == kPtePresent || pte0[p] == kPtePresentWp)) {
      mem0[p] = kTokStale;  // mapped although the source page is poisoned: garbage
    }
  }
  std::vector<std::string> page_names;
  pte = b.array("pte", static_cast<uint32_t>(n), 0, kPteMax, pte0, pte_labels());
  mem = b.array("page", static_cast<uint32_t>(n), 0, kTokMax, mem0, tok_labels());

  bool closes = false;
  for (const ThreadSpec& th : s.threads) {
    for (const OpSpec& o : th.ops) {
      if (o.op == Op::Poison) poison = true;
      if (o.op == Op::Close) closes = true;
    }
  }
  if (!s.monitors.empty()) {
    for (int p = 0; p < n; ++p) poison |= s.pages[p].src == Src::Poison;
  }
  if (poison) {
    std::vector<Value> pz0(n, 0);
    for (int p = 0; p < n; ++p) pz0[p] = pte0[p] == kPteMarkerPoison ? 1 : 0;
    pz = b.array("poisoned", static_cast<uint32_t>(n), 0, 1, pz0);
    leak = b.scalar("poison_leaked", 0, 1, 0);
  }

  regvar.assign(s.regions.size(), kNoId);
  cv.resize(s.ctxs.size());
  for (size_t c = 0; c < s.ctxs.size(); ++c) {
    bool closed = false;
    for (const ThreadSpec& th : s.threads) {
      for (const OpSpec& o : th.ops) closed |= o.op == Op::Close && o.ctx == static_cast<int>(c);
    }
    if (closed) {
      cv[c].released = b.scalar(s.ctxs[c].name + ".released", 0, 1, 0);
      for (size_t r = 0; r < s.regions.size(); ++r) {
        if (s.regions[r].ctx == static_cast<int>(c)) {
          regvar[r] = b.scalar(s.regions[r].name + ".registered", 0, 1, 1);
        }
      }
    }
  }
  (void)closes;

  tv.resize(s.threads.size());
  for (size_t t = 0; t < s.threads.size(); ++t) {
    const ThreadSpec& th = s.threads[t];
    ThreadVars& x = tv[t];
    x.actor = b.actor(th.name);
    x.pc = b.scalar(th.name + ".pc", 0, static_cast<Value>(th.ops.size()), 0);
    x.ph = b.scalar(th.name + ".ph", 0, kPhMax, 0);
    bool waits = false;
    for (const OpSpec& o : th.ops) {
      if (!is_access(o.op)) continue;
      int c = ctx_of(o.page);
      if (c < 0) continue;
      waits = true;
      auto& ts = cv[c].threads;
      if (std::find(ts.begin(), ts.end(), static_cast<int>(t)) == ts.end())
        ts.push_back(static_cast<int>(t));
    }
    if (waits) {
      x.wr = b.scalar(th.name + ".reason", 0, kReasonMinor, kReasonNone,
                      {"none", "missing", "wp", "minor"});
    }
    for (const OpSpec& o : th.ops) {
      x.reg.push_back(
          o.reg.empty() ? kNoId
                        : b.scalar(o.reg, 0, kOutcomeCount - 1, kPending, outcome_labels(), o.loc));
      x.out.push_back(
          o.reg.empty() || o.len == 1 ? kNoId : b.scalar(o.reg + "_out", 0, o.len, 0, {}, o.loc));
    }
  }
  for (size_t c = 0; c < s.ctxs.size(); ++c) {
    auto n_t = static_cast<uint32_t>(cv[c].threads.size());
    if (n_t > 0) {
      cv[c].q =
          b.array(s.ctxs[c].name + ".pending", n_t, 0, static_cast<Value>(s.threads.size()), {0});
    }
  }
  mv.resize(s.monitors.size());
  for (size_t m = 0; m < s.monitors.size(); ++m) {
    const MonitorSpec& ms = s.monitors[m];
    MonVars& x = mv[m];
    x.actor = b.actor(ms.name);
    x.st = b.scalar(ms.name + ".st", 0, kMonEexist, kMonIdle,
                    {"idle", "have-msg", "wrote-cache", "wake", "eexist"});
    x.pg = b.scalar(ms.name + ".page", 0, n - 1, 0);
    x.rs = b.scalar(ms.name + ".reason", 0, kReasonMinor, kReasonNone,
                    {"none", "missing", "wp", "minor"});
  }
}

void Gen::build() {
  state();
  for (size_t t = 0; t < s.threads.size(); ++t) {
    const ThreadSpec& th = s.threads[t];
    for (size_t i = 0; i < th.ops.size(); ++i) {
      int ti = static_cast<int>(t), oi = static_cast<int>(i);
      Op op = th.ops[i].op;
      if (is_access(op))
        faults(ti, oi);
      else if (is_fill(op))
        fill(ti, oi);
      else if (op == Op::Wake)
        wake_op(ti, oi);
      else if (op == Op::Protect || op == Op::Unprotect)
        writeprotect(ti, oi);
      else if (op == Op::Dontneed || op == Op::PunchHole)
        madvise(ti, oi);
      else if (op == Op::Close)
        close_op(ti, oi);
    }
  }
  for (size_t m = 0; m < s.monitors.size(); ++m) monitor(static_cast<int>(m));
  properties();
}

}  // namespace fl::model::mm

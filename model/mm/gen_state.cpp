// State layout, expression helpers, the userfaultfd wait queues and wakes.

#include <algorithm>
#include <unordered_map>

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

Id Gen::child_registered(int page, unsigned mode) {
  const RegionSpec& r = s.region_of(page);
  if (r.ctx < 0 || !(r.modes & mode)) return L(0);
  Id rv = cregvar.empty() ? kNoId : cregvar[s.pages[page].region];
  return rv == kNoId ? L(0) : eqv(V(rv), 1);
}

Id Gen::mapped(int page) {
  // A Gen attached to an existing model (model/mm/export.h) carries the
  // mapped flags of the view; only a region nothing unmaps has none.
  const auto r = static_cast<size_t>(s.pages[page].region);
  Id mv_ = r < mapvar.size() ? mapvar[r] : kNoId;
  return mv_ == kNoId ? L(1) : eqv(V(mv_), 1);
}

Id Gen::not_changing(int c) {
  if (c < 0 || cv[c].changing == kNoId) return L(1);
  return eqv(V(cv[c].changing), 0);
}

Id Gen::no_mm_readers() {
  std::vector<Id> none = {no_fill_in_progress()};
  for (size_t u = 0; u < s.threads.size(); ++u) {
    none.push_back(b.not_(in(V(tv[u].ph), {kPhUfEnter, kPhLinked, kPhLinkedWoken})));
  }
  return b.all(none);
}

Id Gen::no_fill_in_progress() {
  std::vector<Id> none;
  for (size_t u = 0; u < s.threads.size(); ++u) {
    Id ph = V(tv[u].ph);
    none.push_back(b.not_(and_({b.binary(BinaryOp::Gt, ph, L(kPhFill0)), b.lt(ph, L(kPhWake0))})));
  }
  return b.all(none);
}

int Gen::event_ctx(int t, int op) const {
  const ThreadSpec& th = s.threads[t];
  if (th.child) return -1;
  const OpSpec& o = th.ops[op];
  if (o.op == Op::Fork) {
    for (size_t c = 0; c < s.ctxs.size(); ++c) {
      if (!s.ctxs[c].event_fork) continue;
      for (const RegionSpec& r : s.regions) {
        if (r.ctx == static_cast<int>(c)) return static_cast<int>(c);
      }
    }
    return -1;
  }
  if (o.op != Op::Mremap && o.op != Op::Munmap && o.op != Op::Dontneed) return -1;
  const int c = ctx_of(o.page);
  if (c < 0) return -1;
  const CtxSpec& cs = s.ctxs[c];
  bool on = o.op == Op::Mremap   ? cs.event_remap
            : o.op == Op::Munmap ? cs.event_unmap
                                 : cs.event_remove;
  return on ? c : -1;
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

Id Gen::set_out_e(int t, int op, Id value) {
  Id r = tv[t].out[op];
  return r == kNoId ? b.skip() : b.assign(r, value);
}

Id Gen::finish(int t, int op, Id outcome) {
  std::vector<Id> body = {set_reg(t, op, outcome), set(tv[t].pc, op + 1), set(tv[t].ph, kPhRun)};
  return seq(body);
}

std::string Gen::act_name(int t, int op, const std::string& step) const {
  const OpSpec& o = s.threads[t].ops[op];
  std::string target = o.op == Op::Close    ? s.ctxs[o.ctx].name
                       : o.op == Op::Fork   ? std::string()
                       : is_region_op(o.op) ? s.regions[s.pages[o.page].region].name
                                            : s.page_name(o.page);
  if (o.op == Op::Move) target += " from " + s.page_name(o.src);
  std::string name =
      std::to_string(op) + ":" + op_name(o.op) + (target.empty() ? "" : " ") + target;
  if (o.len > 1 && !is_region_op(o.op)) name += " len " + std::to_string(o.len);
  return step.empty() ? name : name + " / " + step;
}

Id Gen::action(Id actor, const std::string& name, const std::string& fn, Id guard, Id body,
               const SourceLoc& loc) {
  Id a = b.action(actor, name, fn, guard, body, loc);
  own_actions.push_back(a);
  return a;
}

Id Gen::zap_hook(ZapKind kind, int first, int len) {
  Id hook = b.seq({});
  ZapSite z;
  z.hook = hook;
  z.kind = kind;
  z.first = first;
  z.len = len;
  zap_sites.push_back(std::move(z));
  return hook;
}

// A hook may sit in several actions (a statement shared by two steps, such
// as the zap of MADV_DONTNEED with and without its REMOVE event), so the
// actions are found by walking every body rather than remembered when the
// hook is made.  A hook that no action contains would be a wake or zap that
// KVM never sees: that is a bug of the generator, reported as such.
void Gen::locate_hooks() {
  const Model& m = b.model();
  std::unordered_map<Id, std::pair<bool, size_t>> where;
  for (size_t i = 0; i < wake_sites.size(); ++i) where[wake_sites[i].hook] = {true, i};
  for (size_t i = 0; i < zap_sites.size(); ++i) where[zap_sites[i].hook] = {false, i};
  for (Id a : own_actions) {
    std::vector<Id> stack = {m.actions[a].body};
    while (!stack.empty()) {
      Id st = stack.back();
      stack.pop_back();
      if (st == kNoId) continue;
      if (auto it = where.find(st); it != where.end()) {
        std::vector<Id>& acts = it->second.first ? wake_sites[it->second.second].actions
                                                 : zap_sites[it->second.second].actions;
        if (std::find(acts.begin(), acts.end(), a) == acts.end()) acts.push_back(a);
      }
      for (Id child : m.stmts[st].body) stack.push_back(child);
    }
  }
  for (const WakeSite& w : wake_sites) {
    if (w.actions.empty()) throw ModelError({}, "internal: a wake_userfault outside every action");
  }
  for (const ZapSite& z : zap_sites) {
    if (z.actions.empty()) throw ModelError({}, "internal: a zap outside every action");
  }
}

// fault_pending_wqh and event_wqh as FIFOs: handle_userfault and
// userfaultfd_event_wait_completion add at the head of the list and
// userfaultfd_ctx_read takes the last entry (find_userfault_in), so messages
// are read oldest first.  q[i] = thread id + 1, 0 = free; entries are packed.
Id Gen::push(Id q, size_t size, int t) {
  auto n = static_cast<Value>(size);
  Id pos = b.new_local();
  std::vector<Id> count;
  for (Value i = 0; i < n; ++i) count.push_back(b.ite(b.ne(E(q, i), L(0)), L(1), L(0)));
  Id sum = count[0];
  for (size_t i = 1; i < count.size(); ++i) sum = b.add(sum, count[i]);
  std::vector<Id> body = {b.let(pos, sum)};
  for (Value i = 0; i < n; ++i) body.push_back(if_(eqv(b.local(pos), i), set(q, i, t + 1)));
  return seq(body);
}

Id Gen::remove(Id q, size_t size, int t) {
  auto n = static_cast<Value>(size);
  // k = position of t (n if absent); entries after it move down by one.
  Id k = b.new_local();
  Id pos = L(n);
  for (Value i = n - 1; i >= 0; --i) pos = b.ite(eqv(E(q, i), t + 1), L(i), pos);
  std::vector<Id> body = {b.let(k, pos)};
  for (Value i = 0; i < n; ++i) {
    Id next = i + 1 < n ? E(q, i + 1) : L(0);
    body.push_back(if_(b.binary(BinaryOp::Ge, L(i), b.local(k)), b.assign(q, L(i), next)));
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
  // The hook goes first: whoever else waits on the range (a vCPU thread, an
  // async page-fault worker) is woken by the same wake_userfault.
  WakeSite w;
  w.hook = b.seq({});
  w.ctx = c;
  w.first = first;
  w.len = len;
  wake_sites.push_back(std::move(w));
  body.push_back(wake_sites.back().hook);
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
      // A waiter whose address mremap moved away matches only a wake of
      // everything (release): the ranges woken after the move name the new
      // address, its message the old one.
      if (len < 0) {
        body.push_back(if_(and_({pc_is, eqv(V(tv[t].ph), kPhSleepGone)}),
                           seq({dequeue(c, t), set(tv[t].ph, kPhGone), set(tv[t].wr, kReasonNone),
                                set_reg(t, i, L(kPending))})));
      }
    }
  }
  return seq(body);
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

  // Registration changes only through close, UNREGISTER, munmap, and an
  // mremap without EVENT_REMAP (userfaultfd_reset_ctx); mappings only
  // through munmap.  A variable exists only where something can change it.
  regvar.assign(s.regions.size(), kNoId);
  mapvar.assign(s.regions.size(), kNoId);
  cv.resize(s.ctxs.size());
  const bool forks = std::any_of(s.threads.begin(), s.threads.end(), [](const ThreadSpec& th) {
    return std::any_of(th.ops.begin(), th.ops.end(),
                       [](const OpSpec& o) { return o.op == Op::Fork; });
  });
  for (size_t r = 0; r < s.regions.size(); ++r) {
    const RegionSpec& rs = s.regions[r];
    bool unreg = false, unmapped = false;
    for (const ThreadSpec& th : s.threads) {
      for (const OpSpec& o : th.ops) {
        bool here = o.op != Op::Close && o.op != Op::Fork && s.pages[o.page].region == int(r);
        unreg |= o.op == Op::Close && o.ctx == rs.ctx;
        unreg |= here && (o.op == Op::Unregister || o.op == Op::Munmap);
        unreg |= here && o.op == Op::Mremap && rs.ctx >= 0 && !s.ctxs[rs.ctx].event_remap;
        unmapped |= here && o.op == Op::Munmap;
      }
    }
    if (rs.ctx >= 0 && unreg) regvar[r] = b.scalar(rs.name + ".registered", 0, 1, 1);
    if (unmapped) mapvar[r] = b.scalar(rs.name + ".mapped", 0, 1, 1);
  }
  for (size_t c = 0; c < s.ctxs.size(); ++c) {
    bool closed = false;
    for (const ThreadSpec& th : s.threads) {
      for (const OpSpec& o : th.ops) closed |= o.op == Op::Close && o.ctx == static_cast<int>(c);
    }
    if (closed) cv[c].released = b.scalar(s.ctxs[c].name + ".released", 0, 1, 0);
  }
  (void)closes;
  if (forks) {
    std::vector<Value> none(n, kPteNone), absent(n, kTokAbsent);
    forked = b.scalar("forked", 0, 1, 0);
    cpte = b.array("child.pte", static_cast<uint32_t>(n), 0, kPteMax, none, pte_labels());
    cmem = b.array("child.page", static_cast<uint32_t>(n), 0, kTokMax, absent, tok_labels());
    if (pz != kNoId) cpz = b.array("child.poisoned", static_cast<uint32_t>(n), 0, 1, {0});
    cregvar.assign(s.regions.size(), kNoId);
    for (size_t r = 0; r < s.regions.size(); ++r) {
      const RegionSpec& rs = s.regions[r];
      if (rs.ctx >= 0 && s.ctxs[rs.ctx].event_fork) {
        cregvar[r] = b.scalar("child." + rs.name + ".registered", 0, 1, 0);
      }
    }
  }

  tv.resize(s.threads.size());
  for (size_t t = 0; t < s.threads.size(); ++t) {
    const ThreadSpec& th = s.threads[t];
    ThreadVars& x = tv[t];
    x.actor = b.actor(th.name);
    x.pc = b.scalar(th.name + ".pc", 0, static_cast<Value>(th.ops.size()), 0);
    x.ph = b.scalar(th.name + ".ph", 0, kPhMax, 0);
    bool waits = false;
    for (const OpSpec& o : th.ops) {
      if (!is_access(o.op) || th.child) continue;
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
      // The output field of a paged ioctl (copy, zeropage, mapped,
      // updated, move): pages done, or -ERRNO (shown as the negated outcome
      // label, so `c_out == -EAGAIN` reads as in C).
      std::vector<std::string> out_labels;
      for (Value v = -(kOutcomeCount - 1); v <= o.len; ++v) {
        out_labels.push_back(v < 0 ? "-" + outcome_labels()[static_cast<size_t>(-v)]
                                   : std::to_string(v));
      }
      x.out.push_back(
          o.reg.empty() || !is_paged_ioctl(o.op)
              ? kNoId
              : b.scalar(o.reg + "_out", -(kOutcomeCount - 1), o.len, 0, out_labels, o.loc));
    }
  }
  // Event generators and the event queue of each context.
  for (size_t t = 0; t < s.threads.size(); ++t) {
    for (size_t i = 0; i < s.threads[t].ops.size(); ++i) {
      int c = event_ctx(static_cast<int>(t), static_cast<int>(i));
      if (c >= 0) cv[c].gens.emplace_back(static_cast<int>(t), static_cast<int>(i));
    }
  }
  for (size_t c = 0; c < s.ctxs.size(); ++c) {
    if (cv[c].gens.empty()) continue;
    auto gens = static_cast<Value>(cv[c].gens.size());
    cv[c].changing = b.scalar(s.ctxs[c].name + ".mmap_changing", 0, gens, 0);
    cv[c].ev = b.array(s.ctxs[c].name + ".events", static_cast<uint32_t>(gens), 0,
                       static_cast<Value>(s.threads.size()), {0});
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
    x.actor = b.actor(ms.name, ms.fair);
    x.st = b.scalar(ms.name + ".st", 0, kMonDeferred, kMonIdle,
                    {"idle", "have-msg", "wrote-cache", "wake", "eexist", "deferred"});
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
      else if (op == Op::GuardInstall || op == Op::GuardRemove)
        guard_op(ti, oi);
      else if (op == Op::Fork)
        fork_op(ti, oi);
      else if (op == Op::Mremap)
        mremap_op(ti, oi);
      else if (op == Op::Munmap)
        munmap_op(ti, oi);
      else if (op == Op::Unregister)
        unregister_op(ti, oi);
      else if (op == Op::Move)
        move_op(ti, oi);
    }
  }
  for (size_t m = 0; m < s.monitors.size(); ++m) monitor(static_cast<int>(m));
  properties();
  locate_hooks();
}

}  // namespace fl::model::mm

#include "postcopy_fixture.h"

#include <string>
#include <vector>

#include "model/builder.h"

namespace fl::test {

using model::BinaryOp;
using model::Builder;
using model::Id;
using model::PropertyKind;

namespace {

constexpr int kNone = 0;
constexpr int kPresent = 1;
constexpr int kPoison = 2;
constexpr int kIdle = -1;  // handler: IDLE, or RESOLVING(p) as p

struct Postcopy {
  Builder& b;
  int V, P;
  Id pte, pending, pc, blocked, handler, prefetch_pc;

  // Element i of array `var` (a constant index).
  Id at(Id var, int i) { return b.elem(var, b.lit(i)); }

  Id page(int v) { return b.binary(BinaryOp::Mod, b.add(b.lit(v), at(pc, v)), b.lit(P)); }
  Id poisoned(Id p) { return b.eq(b.binary(BinaryOp::Mod, p, b.lit(3)), b.lit(2)); }
  Id install(Id p) { return b.assign(pte, p, b.ite(poisoned(p), b.lit(kPoison), b.lit(kPresent))); }
  Id wake(Id p) {
    std::vector<Id> body;
    for (int v = 0; v < V; ++v) {
      Id cond = b.all({b.eq(at(blocked, v), b.lit(1)), b.eq(page(v), p)});
      body.push_back(b.if_(cond, b.assign(blocked, b.lit(v), b.lit(0))));
    }
    return b.seq(body);
  }

  void access(int v) {
    Id actor = b.actor("vcpu[" + std::to_string(v) + "]", true);
    Id guard = b.all({b.eq(at(blocked, v), b.lit(0)), b.lt(at(pc, v), b.lit(P))});
    Id page_local = b.new_local();
    Id p = b.local(page_local);
    Id body = b.seq(
        {b.let(page_local, page(v)),
         b.if_(b.ne(b.elem(pte, p), b.lit(kNone)),
               b.assign(pc, b.lit(v), b.add(at(pc, v), b.lit(1))),
               b.seq({b.assign(pending, p, b.lit(1)), b.assign(blocked, b.lit(v), b.lit(1))}))});
    b.action(actor, "access", "handle_userfault", guard, body);
  }

  void handler_actions() {
    Id actor = b.actor("handler");
    for (int p = 0; p < P; ++p) {
      Id guard = b.all({b.eq(b.var(handler), b.lit(kIdle)), b.eq(at(pending, p), b.lit(1))});
      Id body = b.seq({b.assign(pending, b.lit(p), b.lit(0)), b.assign(handler, b.lit(p))});
      b.action(actor, "read(p=" + std::to_string(p) + ")", "userfaultfd_read", guard, body);
    }
    Id h = b.var(handler);
    Id body = b.seq({b.if_(b.eq(b.elem(pte, h), b.lit(kNone)), b.seq({install(h), wake(h)})),
                     b.assign(handler, b.lit(kIdle))});
    b.action(actor, "resolve", "userfaultfd_copy", b.ne(h, b.lit(kIdle)), body);
  }

  void prefetcher() {
    Id actor = b.actor("prefetcher");
    Id q = b.var(prefetch_pc);
    std::vector<Id> then_s{install(q)};
    if (wake_prefetch) then_s.push_back(wake(q));
    Id body = b.seq({b.if_(b.eq(b.elem(pte, q), b.lit(kNone)), b.seq(then_s)),
                     b.assign(prefetch_pc, b.add(q, b.lit(1)))});
    b.action(actor, "prefetch", "userfaultfd_copy", b.lt(q, b.lit(P)), body);
  }

  void properties() {
    std::vector<Id> data;
    for (int p = 0; p < P; ++p) {
      const bool bad = p % 3 == 2;
      data.push_back(
          b.binary(BinaryOp::Implies, b.eq(at(pte, p), b.lit(kPresent)), b.lit(bad ? 0 : 1)));
      data.push_back(
          b.binary(BinaryOp::Implies, b.eq(at(pte, p), b.lit(kPoison)), b.lit(bad ? 1 : 0)));
    }
    b.property("data", PropertyKind::Invariant, b.all(data));
    std::vector<Id> wake_ok, done;
    for (int v = 0; v < V; ++v) {
      wake_ok.push_back(b.binary(BinaryOp::Implies, b.eq(at(blocked, v), b.lit(1)),
                                 b.eq(b.elem(pte, page(v)), b.lit(kNone))));
      done.push_back(b.eq(at(pc, v), b.lit(P)));
    }
    b.property("no-lost-wakeup", PropertyKind::Invariant, b.all(wake_ok));
    b.property("no-stuck-vcpu", PropertyKind::Deadlock, b.all(done));
  }

  bool wake_prefetch;
};

}  // namespace

model::Model postcopy_model(int vcpus, int pages, bool wake_prefetch) {
  model::Model m;
  m.scenario = "postcopy";
  m.params = {{"V", vcpus}, {"P", pages}, {"WAKE_PREFETCH", wake_prefetch ? 1 : 0}};
  Builder b(m);
  std::vector<std::string> handler_labels{"IDLE"};
  for (int p = 0; p < pages; ++p) handler_labels.push_back("RESOLVING(" + std::to_string(p) + ")");
  Postcopy pc{b, vcpus, pages, 0, 0, 0, 0, 0, 0, wake_prefetch};
  pc.pte = b.array("pte", pages, kNone, kPoison, {kNone}, {"NONE", "PRESENT", "POISON"});
  pc.pending = b.array("pending", pages, 0, 1, {0});
  pc.pc = b.array("pc", vcpus, 0, pages, {0});
  pc.blocked = b.array("blocked", vcpus, 0, 1, {0});
  pc.handler = b.scalar("handler", kIdle, pages - 1, kIdle, handler_labels);
  pc.prefetch_pc = b.scalar("prefetch_pc", 0, pages, 0);
  for (int v = 0; v < vcpus; ++v) pc.access(v);
  pc.handler_actions();
  pc.prefetcher();
  pc.properties();
  b.finalize();
  return m;
}

}  // namespace fl::test

#include "tests/proofs/helpers.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "model/builder.h"
#include "model/load/loader.h"
#include "model/variants.h"
#include "proofs/encode.h"

namespace fl::test {

using model::BinaryOp;
using model::Builder;
using model::Id;
using model::Value;

model::Model postcopy(const PostcopyOptions& o) {
  model::Model m;
  m.scenario = "postcopy";
  Builder b(m);
  const int V = o.vcpus, P = o.pages;
  std::vector<std::string> handler_labels = {"IDLE"};
  for (int p = 0; p < P; ++p) handler_labels.push_back("RESOLVING(" + std::to_string(p) + ")");
  Id pte = b.array("pte", P, 0, 2, {0}, {"NONE", "PRESENT", "POISON"});
  Id pending = b.array("pending", P, 0, 1, {0});
  Id pc = b.array("pc", V, 0, P, {0});
  Id blocked = b.array("blocked", V, 0, 1, {0});
  Id handler = b.scalar("handler", 0, P, 0, handler_labels);
  Id prefetch_pc = b.scalar("prefetch_pc", 0, P, 0);
  Id l = b.new_local();

  auto at = [&](Id var, int i) { return b.elem(var, b.lit(i)); };
  auto page = [&](int v) { return b.binary(BinaryOp::Mod, b.add(b.lit(v), at(pc, v)), b.lit(P)); };
  auto install = [&](Id p) {
    Id poisoned = b.eq(b.binary(BinaryOp::Mod, p, b.lit(3)), b.lit(2));
    return b.assign(pte, p, b.ite(poisoned, b.lit(2), b.lit(1)));
  };
  auto wake = [&](Id p) {
    std::vector<Id> body;
    for (int v = 0; v < V; ++v) {
      body.push_back(b.if_(b.all({b.eq(at(blocked, v), b.lit(1)), b.eq(page(v), p)}),
                           b.assign(blocked, b.lit(v), b.lit(0))));
    }
    return b.seq(body);
  };

  for (int v = 0; v < V; ++v) {
    Id actor = b.actor("vcpu[" + std::to_string(v) + "]");
    Id guard = b.all({b.eq(at(blocked, v), b.lit(0)), b.lt(at(pc, v), b.lit(P))});
    Id body = b.seq({b.let(l, page(v)), b.if_(b.ne(b.elem(pte, b.local(l)), b.lit(0)),
                                              b.assign(pc, b.lit(v), b.add(at(pc, v), b.lit(1))),
                                              b.seq({b.assign(pending, b.local(l), b.lit(1)),
                                                     b.assign(blocked, b.lit(v), b.lit(1))}))});
    b.action(actor, "access", "handle_userfault", guard, body);
  }
  Id h = b.actor("handler");
  for (int p = 0; p < P; ++p) {
    Id guard = b.all({b.eq(b.var(handler), b.lit(0)), b.eq(at(pending, p), b.lit(1))});
    Id body = b.seq({b.assign(pending, b.lit(p), b.lit(0)), b.assign(handler, b.lit(p + 1))});
    b.action(h, "read[" + std::to_string(p) + "]", "userfaultfd_read", guard, body);
  }
  {
    Id body = b.seq({b.let(l, b.binary(BinaryOp::Sub, b.var(handler), b.lit(1))),
                     b.if_(b.eq(b.elem(pte, b.local(l)), b.lit(0)),
                           b.seq({install(b.local(l)), wake(b.local(l))})),
                     b.assign(handler, b.lit(0))});
    b.action(h, "resolve", "userfaultfd_copy", b.ne(b.var(handler), b.lit(0)), body);
  }
  {
    Id pf = b.actor("prefetcher");
    std::vector<Id> fill = {install(b.local(l))};
    if (o.wake_prefetch) fill.push_back(wake(b.local(l)));
    Id body = b.seq({b.let(l, b.var(prefetch_pc)),
                     b.if_(b.eq(b.elem(pte, b.local(l)), b.lit(0)), b.seq(fill)),
                     b.assign(prefetch_pc, b.add(b.var(prefetch_pc), b.lit(1)))});
    b.action(pf, "prefetch", "userfaultfd_copy", b.lt(b.var(prefetch_pc), b.lit(P)), body);
  }

  std::vector<Id> data, nlw, stuck, request;
  for (int p = 0; p < P; ++p) {
    Id poisoned = b.lit(p % 3 == 2);
    data.push_back(b.binary(BinaryOp::Implies, b.eq(at(pte, p), b.lit(1)), b.not_(poisoned)));
    data.push_back(b.binary(BinaryOp::Implies, b.eq(at(pte, p), b.lit(2)), poisoned));
  }
  for (int v = 0; v < V; ++v) {
    Id is_blocked = b.eq(at(blocked, v), b.lit(1));
    nlw.push_back(b.binary(BinaryOp::Implies, is_blocked, b.eq(b.elem(pte, page(v)), b.lit(0))));
    stuck.push_back(b.eq(at(pc, v), b.lit(P)));
    request.push_back(b.binary(BinaryOp::Implies, is_blocked,
                               b.any({b.eq(b.elem(pending, page(v)), b.lit(1)),
                                      b.eq(b.var(handler), b.add(page(v), b.lit(1)))})));
  }
  b.property("data", model::PropertyKind::Invariant, b.all(data));
  b.property("no-lost-wakeup", model::PropertyKind::Invariant, b.all(nlw));
  if (o.blocked_has_request) {
    b.property("blocked-has-request", model::PropertyKind::Invariant, b.all(request));
  }
  b.property("no-stuck-vcpu", model::PropertyKind::Deadlock, b.all(stuck));
  b.finalize();
  return m;
}

model::Model token_ring() {
  model::Model m;
  m.scenario = "token-ring";
  Builder b(m);
  Id token = b.scalar("token", 0, 1, 0);
  Id crit = b.array("crit", 2, 0, 1, {0});
  Id rounds = b.scalar("rounds", 0, 3, 0);
  for (int i = 0; i < 2; ++i) {
    Id a = b.actor("proc[" + std::to_string(i) + "]");
    Id me = b.lit(i);
    b.action(a, "enter", "", b.all({b.eq(b.var(token), me), b.eq(b.elem(crit, me), b.lit(0))}),
             b.assign(crit, me, b.lit(1)));
    Id next = b.binary(BinaryOp::Mod, b.add(b.var(rounds), b.lit(1)), b.lit(4));
    b.action(a, "leave", "", b.eq(b.elem(crit, me), b.lit(1)),
             b.seq({b.assign(crit, me, b.lit(0)), b.assign(token, b.lit(1 - i)),
                    b.assign(rounds, next)}));
  }
  std::vector<Id> holds;
  for (int i = 0; i < 2; ++i) {
    holds.push_back(b.binary(BinaryOp::Implies, b.eq(b.elem(crit, b.lit(i)), b.lit(1)),
                             b.eq(b.var(token), b.lit(i))));
  }
  b.property("mutex", model::PropertyKind::Invariant,
             b.not_(b.all({b.eq(b.elem(crit, b.lit(0)), b.lit(1)),
                           b.eq(b.elem(crit, b.lit(1)), b.lit(1))})));
  b.property("crit-holds-token", model::PropertyKind::Invariant, b.all(holds));
  b.property("rounds-small", model::PropertyKind::Invariant, b.lt(b.var(rounds), b.lit(4)));
  b.property("never-stuck", model::PropertyKind::Deadlock, b.lit(0));
  b.finalize();
  return m;
}

namespace {

// Generates random IR, keeping a bound on every value's magnitude so that
// the evaluator's int64 arithmetic never overflows (which would be
// undefined behaviour, not a semantics to compare against).
class Gen {
 public:
  Gen(model::Model& m, std::mt19937_64& rng) : m_(m), b_(m), rng_(rng) {}

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  struct E {
    Id id;
    double bound;
  };

  void vars() {
    int n = pick(1, 3);
    for (int i = 0; i < n; ++i) {
      Value lo = pick(-3, 2), hi = lo + pick(1, 5);
      scalars_.push_back(b_.scalar("s" + std::to_string(i), lo, hi, pick(lo, hi)));
    }
    int k = pick(1, 2);
    for (int i = 0; i < k; ++i) {
      Value lo = pick(-2, 1), hi = lo + pick(1, 4);
      uint32_t len = pick(1, 4);
      std::vector<Value> init;
      for (uint32_t j = 0; j < len; ++j) init.push_back(pick(lo, hi));
      arrays_.push_back(b_.array("a" + std::to_string(i), len, lo, hi, init));
    }
    locals_ = {b_.new_local(), b_.new_local()};
  }

  E constant() {
    int r = pick(0, 19);
    Value v = r == 0 ? 0 : r == 1 ? pick(-100000, 100000) : pick(-4, 4);
    return {b_.lit(v), std::abs(static_cast<double>(v))};
  }

  E expr(int depth, bool locals) {
    int kind = depth <= 0 ? pick(0, 3) : pick(0, 9);
    switch (kind) {
      case 0:
        return constant();
      case 1: {
        Id v = scalars_[pick(0, static_cast<int>(scalars_.size()) - 1)];
        return {b_.var(v), bound(v)};
      }
      case 2: {
        Id v = arrays_[pick(0, static_cast<int>(arrays_.size()) - 1)];
        E i = depth > 0 && pick(0, 1) ? expr(depth - 1, locals)
                                      : E{b_.lit(pick(-1, m_.vars[v].length)), 0};
        return {b_.elem(v, i.id), bound(v)};
      }
      case 3:
        if (locals) return {b_.local(locals_[pick(0, 1)]), kLocalBound};
        return constant();
      case 4: {
        E a = expr(depth - 1, locals);
        if (pick(0, 1)) return {b_.not_(a.id), 1};
        return {b_.unary(model::UnaryOp::Neg, a.id), a.bound};
      }
      case 9: {
        E c = expr(depth - 1, locals), x = expr(depth - 1, locals), y = expr(depth - 1, locals);
        return {b_.ite(c.id, x.id, y.id), std::max(x.bound, y.bound)};
      }
      default: {
        auto op = static_cast<BinaryOp>(pick(0, static_cast<int>(BinaryOp::Max)));
        E x = expr(depth - 1, locals), y = expr(depth - 1, locals);
        double bd = x.bound + y.bound;
        switch (op) {
          case BinaryOp::Mul:
            if (x.bound * y.bound > 1e15)
              op = BinaryOp::Add;
            else
              bd = x.bound * y.bound;
            break;
          case BinaryOp::Div:
            bd = x.bound;
            break;
          case BinaryOp::Mod:
            bd = 2 * y.bound;
            break;
          case BinaryOp::Min:
          case BinaryOp::Max:
            bd = std::max(x.bound, y.bound);
            break;
          case BinaryOp::Add:
          case BinaryOp::Sub:
            break;
          default:
            bd = 1;
            break;
        }
        return {b_.binary(op, x.id, y.id), bd};
      }
    }
  }

  Id stmt(int depth) {
    int kind = depth <= 0 ? pick(0, 1) : pick(0, 5);
    switch (kind) {
      case 0:
        return assign();
      case 1: {
        E v = expr(2, true);
        // Locals feed later expressions, so keep them small.
        if (v.bound > kLocalBound) v = constant();
        return b_.let(locals_[pick(0, 1)], v.id);
      }
      case 2:
        return b_.if_(expr(2, true).id, stmt(depth - 1),
                      pick(0, 1) ? stmt(depth - 1) : model::kNoId);
      case 3:
        return b_.seq({stmt(depth - 1), stmt(depth - 1), stmt(depth - 1)});
      case 4:
        return b_.assert_(expr(2, true).id, "random assert");
      default:
        return b_.skip();
    }
  }

  Id assign() {
    bool array = pick(0, 1) == 1;
    Id var = array ? arrays_[pick(0, static_cast<int>(arrays_.size()) - 1)]
                   : scalars_[pick(0, static_cast<int>(scalars_.size()) - 1)];
    const model::Var& v = m_.vars[var];
    Id value;
    int how = pick(0, 2);
    if (how == 0) {
      value = b_.lit(pick(static_cast<int>(v.min) - 1, static_cast<int>(v.max) + 1));
    } else if (how == 1) {
      value = expr(2, true).id;
    } else {  // clamped into the range with min/max
      value = b_.binary(BinaryOp::Min, b_.binary(BinaryOp::Max, expr(2, true).id, b_.lit(v.min)),
                        b_.lit(v.max));
    }
    if (!array) return b_.assign(var, value);
    Id index = pick(0, 2) ? b_.lit(pick(-1, v.length)) : expr(1, true).id;
    return b_.assign(var, index, value);
  }

  void build() {
    vars();
    Id actor = b_.actor("p");
    int n = pick(1, 4);
    for (int i = 0; i < n; ++i) {
      b_.action(actor, "a" + std::to_string(i), "", expr(2, false).id, stmt(3));
    }
    b_.property("inv0", model::PropertyKind::Invariant, expr(3, false).id);
    b_.property("inv1", model::PropertyKind::Invariant, expr(3, false).id);
    b_.property("dead", model::PropertyKind::Deadlock, expr(2, false).id);
    b_.finalize();
  }

 private:
  static constexpr double kLocalBound = 1e6;
  double bound(Id var) const {
    return std::max(std::abs(static_cast<double>(m_.vars[var].min)),
                    std::abs(static_cast<double>(m_.vars[var].max)));
  }
  model::Model& m_;
  Builder b_;
  std::mt19937_64& rng_;
  std::vector<Id> scalars_, arrays_, locals_;
};

}  // namespace

model::Model random_model(std::mt19937_64& rng) {
  model::Model m;
  m.scenario = "random";
  Gen(m, rng).build();
  return m;
}

model::State random_state(const model::Model& m, std::mt19937_64& rng) {
  model::State s;
  for (const model::Slot& slot : m.slots) {
    const model::Var& v = m.vars[slot.var];
    s.push_back(std::uniform_int_distribution<Value>(v.min, v.max)(rng));
  }
  return s;
}

std::vector<std::pair<std::string, model::Model>> shipped_scenarios() {
  std::vector<std::pair<std::string, model::Model>> out;
  std::string dir = std::string(FL_SOURCE_DIR) + "/scenarios";
  if (!std::filesystem::exists(dir)) return out;
  for (const std::string& file : model::find_scenarios(dir)) {
    try {
      out.emplace_back(file, model::load_scenario(file).elaborate(model::kBaselineVariant, {}));
    } catch (const std::exception& e) {
      std::cerr << "skipping " << file << ": " << e.what() << "\n";
    }
  }
  return out;
}

Bfs bfs(const model::Model& m, size_t max_depth, size_t max_states) {
  Bfs out;
  std::vector<proofs::Goal> goals = proofs::goals(m);
  std::vector<model::State> frontier = {model::initial_state(m)};
  out.reachable.insert(frontier.front());
  for (size_t depth = 0; !frontier.empty(); ++depth) {
    out.depth = depth;
    for (const model::State& s : frontier) {
      for (const proofs::Goal& g : goals) {
        if (!out.shortest.count(g.name) && proofs::violated_natively(m, g, s)) {
          out.shortest[g.name] = depth;
        }
      }
    }
    if (depth == max_depth) {
      out.complete = false;
      break;
    }
    std::vector<model::State> next;
    for (const model::State& s : frontier) {
      for (Id a = 0; a < m.actions.size(); ++a) {
        model::EvalError err;
        auto en = model::enabled(m, a, s, err);
        if (!en || !*en) continue;
        auto succ = model::successor(m, a, s, err);
        if (succ && out.reachable.insert(*succ).second) next.push_back(std::move(*succ));
      }
    }
    if (out.reachable.size() > max_states) {
      out.complete = false;
      break;
    }
    frontier = std::move(next);
  }
  return out;
}

}  // namespace fl::test

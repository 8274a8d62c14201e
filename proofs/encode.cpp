#include "proofs/encode.h"

#include <limits>
#include <stdexcept>

namespace fl::proofs {

using model::BinaryOp;
using model::Expr;
using model::ExprKind;
using model::Id;
using model::kNoId;
using model::Stmt;
using model::StmtKind;
using model::UnaryOp;
using model::Value;
using smt::BitVec;
using smt::Bool;

namespace {

// The symbolic twin of model/eval.cpp's Walker and exec(): one case per
// case there, in the same order, so that the two can be read side by side.
// Instead of stopping at the first error it accumulates the condition under
// which an error happens.
class SymExec {
 public:
  SymExec(Encoder& enc, SymState state)
      : enc_(enc), m_(enc.model()), c_(enc.ctx()), state_(std::move(state)) {
    locals_.assign(m_.num_locals, enc_.lit(0));
    err_ = enc_.falsity();
  }

  const SymState& state() const { return state_; }
  Bool error() const { return err_; }

  SymValue value_of(BitVec v, Bool err, bool ground) {
    return SymValue{v, v != enc_.lit(0), err, ground};
  }
  SymValue boolean(Bool b, Bool err, bool ground) {
    return SymValue{ite(b, enc_.lit(1), enc_.lit(0)), b, err, ground};
  }

  // Element `index` of array `var`: an ite chain over the elements, and an
  // error when the index is outside [0, length).
  SymValue element(Id var, const SymValue& index) {
    const model::Var& v = m_.vars[var];
    if (auto i = index.ground ? c_.ground_value(index.value) : std::nullopt) {
      Value iv = sign_extend(*i);
      if (iv < 0 || iv >= static_cast<Value>(v.length)) {
        return value_of(enc_.lit(0), enc_.truth(), true);
      }
      return value_of(state_[v.first_slot + static_cast<size_t>(iv)], index.error, false);
    }
    BitVec acc = state_[v.first_slot + v.length - 1];
    for (uint32_t j = v.length - 1; j-- > 0;) {
      acc = ite(index.value == enc_.lit(j), state_[v.first_slot + j], acc);
    }
    return value_of(acc, enc_.or_(index.error, out_of_range(index.value, v.length)), false);
  }

  Bool out_of_range(BitVec index, uint32_t length) {
    return slt(index, enc_.lit(0)) || !slt(index, enc_.lit(length));
  }

  Value sign_extend(uint64_t u) const {
    unsigned w = enc_.width();
    if (w < 64 && ((u >> (w - 1)) & 1)) u |= ~uint64_t{0} << w;
    return static_cast<Value>(u);
  }

  SymValue binary(BinaryOp op, Id a, Id b) {
    SymValue x = run(a);
    SymValue y = run(b);
    bool g = x.ground && y.ground;
    // Lazy operators: the right operand's error only counts when the left
    // operand lets evaluation reach it.
    switch (op) {
      case BinaryOp::And:
        return boolean(x.truth && y.truth, enc_.or_(x.error, enc_.and_(x.truth, y.error)), g);
      case BinaryOp::Or:
        return boolean(x.truth || y.truth, enc_.or_(x.error, enc_.and_(!x.truth, y.error)), g);
      case BinaryOp::Implies:
        return boolean(!x.truth || y.truth, enc_.or_(x.error, enc_.and_(x.truth, y.error)), g);
      default:
        break;
    }
    Bool err = enc_.or_(x.error, y.error);
    BitVec zero = enc_.lit(0);
    switch (op) {
      case BinaryOp::Add:
        return value_of(x.value + y.value, err, g);
      case BinaryOp::Sub:
        return value_of(x.value - y.value, err, g);
      case BinaryOp::Mul:
        return value_of(x.value * y.value, err, g);
      case BinaryOp::Div:
        return value_of(sdiv(x.value, y.value), enc_.or_(err, y.value == zero), g);
      case BinaryOp::Mod:
        return value_of(srem(srem(x.value, y.value) + y.value, y.value),
                        enc_.or_(err, y.value == zero), g);
      case BinaryOp::Eq:
        return boolean(x.value == y.value, err, g);
      case BinaryOp::Ne:
        return boolean(x.value != y.value, err, g);
      case BinaryOp::Lt:
        return boolean(slt(x.value, y.value), err, g);
      case BinaryOp::Le:
        return boolean(sle(x.value, y.value), err, g);
      case BinaryOp::Gt:
        return boolean(slt(y.value, x.value), err, g);
      case BinaryOp::Ge:
        return boolean(sle(y.value, x.value), err, g);
      case BinaryOp::Min:
        return value_of(ite(slt(x.value, y.value), x.value, y.value), err, g);
      case BinaryOp::Max:
        return value_of(ite(slt(y.value, x.value), x.value, y.value), err, g);
      default:
        return value_of(zero, enc_.truth(), g);
    }
  }

  SymValue run(Id id) {
    const Expr& e = m_.exprs[id];
    switch (e.kind) {
      case ExprKind::Const:
        return value_of(enc_.lit(e.value), enc_.falsity(), true);
      case ExprKind::Var:
        return value_of(state_[m_.vars[e.var].first_slot], enc_.falsity(), false);
      case ExprKind::Elem:
        return element(e.var, run(e.args[0]));
      case ExprKind::Local:
        return value_of(locals_[e.local], enc_.falsity(), false);
      case ExprKind::Unary: {
        SymValue x = run(e.args[0]);
        if (e.uop == UnaryOp::Not) return boolean(!x.truth, x.error, x.ground);
        return value_of(-x.value, x.error, x.ground);
      }
      case ExprKind::Binary:
        return binary(e.bop, e.args[0], e.args[1]);
      case ExprKind::Ite: {
        SymValue c = run(e.args[0]);
        SymValue a = run(e.args[1]);
        SymValue b = run(e.args[2]);
        return value_of(ite(c.truth, a.value, b.value),
                        enc_.or_(c.error, ite(c.truth, a.error, b.error)),
                        c.ground && a.ground && b.ground);
      }
    }
    return value_of(enc_.lit(0), enc_.truth(), true);
  }

  void fail_if(Bool cond) { err_ = enc_.or_(err_, cond); }

  void exec(Id id) {
    const Stmt& s = m_.stmts[id];
    switch (s.kind) {
      case StmtKind::Skip:
        return;
      case StmtKind::Let: {
        SymValue v = run(s.value);
        fail_if(v.error);
        locals_[s.local] = v.value;
        return;
      }
      case StmtKind::Assign:
        return assign(s);
      case StmtKind::If: {
        SymValue c = run(s.cond);
        fail_if(c.error);
        SymExec then_x = branch(s.body[0]);
        SymExec else_x = branch(s.body[1]);
        merge(c.truth, then_x, else_x);
        return;
      }
      case StmtKind::Seq:
        for (Id b : s.body) exec(b);
        return;
      case StmtKind::Assert: {
        SymValue c = run(s.cond);
        fail_if(enc_.or_(c.error, !c.truth));
        return;
      }
    }
  }

  void assign(const Stmt& s) {
    const model::Var& var = m_.vars[s.var];
    std::optional<SymValue> index;
    if (s.index != kNoId) {
      index = run(s.index);
      fail_if(index->error);
      fail_if(out_of_range(index->value, var.length));
    }
    SymValue v = run(s.value);
    fail_if(v.error);
    fail_if(slt(v.value, enc_.lit(var.min)) || slt(enc_.lit(var.max), v.value));
    if (!index) {
      state_[var.first_slot] = v.value;
    } else if (auto i = index->ground ? c_.ground_value(index->value) : std::nullopt) {
      Value iv = sign_extend(*i);
      if (iv >= 0 && iv < static_cast<Value>(var.length)) {
        state_[var.first_slot + static_cast<size_t>(iv)] = v.value;
      }
    } else {
      for (uint32_t j = 0; j < var.length; ++j) {
        BitVec& slot = state_[var.first_slot + j];
        slot = ite(index->value == enc_.lit(j), v.value, slot);
      }
    }
  }

  // Runs one branch of an if from the current state, with its own error.
  SymExec branch(Id body) {
    SymExec x(enc_, state_);
    x.locals_ = locals_;
    if (body != kNoId) x.exec(body);
    return x;
  }

  void merge(Bool c, const SymExec& a, const SymExec& b) {
    for (size_t i = 0; i < state_.size(); ++i) {
      state_[i] =
          c_.same(a.state_[i], b.state_[i]) ? a.state_[i] : ite(c, a.state_[i], b.state_[i]);
    }
    for (size_t i = 0; i < locals_.size(); ++i) {
      locals_[i] =
          c_.same(a.locals_[i], b.locals_[i]) ? a.locals_[i] : ite(c, a.locals_[i], b.locals_[i]);
    }
    if (!(c_.same(a.err_, enc_.falsity()) && c_.same(b.err_, enc_.falsity()))) {
      fail_if(ite(c, a.err_, b.err_));
    }
  }

 private:
  Encoder& enc_;
  const model::Model& m_;
  smt::Context& c_;
  SymState state_;
  std::vector<BitVec> locals_;
  Bool err_;
};

}  // namespace

std::vector<Goal> goals(const model::Model& m) {
  std::vector<Goal> out;
  for (Id p = 0; p < m.properties.size(); ++p) {
    const model::Property& prop = m.properties[p];
    if (prop.kind == model::PropertyKind::Liveness) continue;
    out.push_back(Goal{prop.name, model::to_string(prop.kind), p});
  }
  out.push_back(Goal{kModelErrorProperty, "error", kNoId});
  return out;
}

std::optional<std::string> violated_natively(const model::Model& m, const Goal& goal,
                                             std::span<const Value> s) {
  std::vector<Value> locals(m.num_locals);
  model::EvalError err;
  if (goal.property == kNoId) {
    for (Id a = 0; a < m.actions.size(); ++a) {
      auto en = model::enabled(m, a, s, err);
      if (en && *en) {
        if (model::successor(m, a, s, err)) continue;
      } else if (en) {
        continue;
      }
      return "action '" + m.actors[m.actions[a].actor].name + "." + m.actions[a].name +
             "': " + err.message;
    }
    return std::nullopt;
  }
  const model::Property& p = m.properties[goal.property];
  if (p.kind == model::PropertyKind::Deadlock) {
    for (Id a = 0; a < m.actions.size(); ++a) {
      auto en = model::enabled(m, a, s, err);
      if (!en || *en) return std::nullopt;  // not a final state (or an error, reported apart)
    }
  }
  auto v = model::eval(m, p.expr, s, locals, err);
  if (!v) return "evaluating '" + p.name + "': " + err.message;
  if (*v != 0) return std::nullopt;
  return p.kind == model::PropertyKind::Deadlock ? "final state where '" + p.name + "' is false"
                                                 : "'" + p.name + "' is false";
}

Encoder::Encoder(const model::Model& m, smt::Context& c) : Encoder(m, c, value_width(m)) {}

Encoder::Encoder(const model::Model& m, smt::Context& c, unsigned width)
    : m_(m), c_(c), width_(width), true_(c.bool_val(true)), false_(c.bool_val(false)) {
  // A bound that does not fit would be truncated and could make every
  // query vacuously unsatisfiable: refuse it rather than "prove" anything.
  const Value lo = width >= 64 ? std::numeric_limits<Value>::min() : -(Value{1} << (width - 1));
  const Value hi = width >= 64 ? std::numeric_limits<Value>::max() : (Value{1} << (width - 1)) - 1;
  for (const model::Var& v : m.vars) {
    if (width < 2 || width > 64 || v.min < lo || v.max > hi) {
      throw std::invalid_argument("proofs: " + std::to_string(width) +
                                  "-bit encoding cannot hold " + v.name + " in " +
                                  std::to_string(v.min) + ".." + std::to_string(v.max));
    }
  }
}

Bool Encoder::or_(Bool a, Bool b) {
  if (c_.same(a, false_) || c_.same(b, true_)) return b;
  if (c_.same(b, false_) || c_.same(a, true_)) return a;
  return a || b;
}

Bool Encoder::and_(Bool a, Bool b) {
  if (c_.same(a, true_) || c_.same(b, false_)) return b;
  if (c_.same(b, true_) || c_.same(a, false_)) return a;
  return a && b;
}

SymState Encoder::fresh_state(const std::string& tag) {
  SymState s;
  s.reserve(m_.num_slots());
  for (uint32_t i = 0; i < m_.num_slots(); ++i) {
    s.push_back(c_.bv_var(m_.slot_name(i) + "@" + tag, width_));
  }
  return s;
}

SymState Encoder::const_state(std::span<const Value> s) {
  SymState out;
  out.reserve(s.size());
  for (Value v : s) out.push_back(lit(v));
  return out;
}

BitVec Encoder::action_var(const std::string& tag) {
  unsigned w = 1;
  while (w < 32 && (uint64_t{1} << w) <= m_.actions.size()) ++w;
  return c_.bv_var("act@" + tag, w);
}

Bool Encoder::in_range(const SymState& s) {
  std::vector<Bool> terms;
  for (uint32_t i = 0; i < m_.num_slots(); ++i) {
    const model::Var& v = m_.vars[m_.slots[i].var];
    terms.push_back(sle(lit(v.min), s[i]) && sle(s[i], lit(v.max)));
  }
  return smt::all_of(c_, terms);
}

Bool Encoder::is_initial(const SymState& s) {
  return equal(s, const_state(model::initial_state(m_)));
}

Bool Encoder::equal(const SymState& a, const SymState& b) {
  std::vector<Bool> terms;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!c_.same(a[i], b[i])) terms.push_back(a[i] == b[i]);
  }
  return smt::all_of(c_, terms);
}

SymValue Encoder::expr(Id e, const SymState& s) {
  return SymExec(*this, s).run(e);
}

std::vector<SymAction> Encoder::actions(const SymState& s) {
  std::vector<SymAction> out;
  out.reserve(m_.actions.size());
  for (const model::Action& a : m_.actions) {
    SymValue g = SymExec(*this, s).run(a.guard);
    SymExec body(*this, s);
    body.exec(a.body);
    SymAction sa;
    sa.enabled = and_(g.truth, !g.error);
    sa.fires = and_(sa.enabled, !body.error());
    sa.error = or_(g.error, and_(g.truth, body.error()));
    sa.post = body.state();
    out.push_back(std::move(sa));
  }
  return out;
}

Bool Encoder::transition(const std::vector<SymAction>& acts, BitVec act, const SymState& t) {
  if (acts.empty()) return false_;
  // Functional form: each successor slot is an ite over the selector, so
  // that Z3's equation solving substitutes the successor away instead of
  // searching over it; an action that leaves a slot alone adds nothing.
  const size_t n = acts.size();
  auto is = [&](size_t a) { return act == c_.bv_val(a, act.width()); };
  std::vector<Bool> terms;
  terms.push_back(act < c_.bv_val(n, act.width()));
  Bool fires = acts[n - 1].fires;
  for (size_t a = n - 1; a-- > 0;) fires = ite(is(a), acts[a].fires, fires);
  terms.push_back(fires);
  for (size_t j = 0; j < t.size(); ++j) {
    BitVec v = acts[n - 1].post[j];
    for (size_t a = n - 1; a-- > 0;) {
      if (!c_.same(acts[a].post[j], v)) v = ite(is(a), acts[a].post[j], v);
    }
    if (!c_.same(v, t[j])) terms.push_back(t[j] == v);
  }
  return smt::all_of(c_, terms);
}

Bool Encoder::any_error(const std::vector<SymAction>& acts) {
  Bool out = false_;
  for (const SymAction& a : acts) out = or_(out, a.error);
  return out;
}

Bool Encoder::deadlocked(const std::vector<SymAction>& acts) {
  // An action whose guard errs is not "disabled": the state is an error.
  Bool out = true_;
  for (const SymAction& a : acts) out = and_(out, !or_(a.enabled, a.error));
  return out;
}

Bool Encoder::good(const Goal& goal, const SymState& s, const std::vector<SymAction>& acts) {
  if (goal.property == kNoId) return !any_error(acts);
  const model::Property& p = m_.properties[goal.property];
  SymValue v = expr(p.expr, s);
  Bool holds = and_(v.truth, !v.error);
  if (p.kind == model::PropertyKind::Deadlock) return or_(!deadlocked(acts), holds);
  return holds;
}

model::State Encoder::read_state(const smt::Solver& solver, const SymState& s) const {
  model::State out;
  out.reserve(s.size());
  for (const BitVec& b : s) out.push_back(solver.svalue(b));
  return out;
}

}  // namespace fl::proofs

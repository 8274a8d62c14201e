#include "model/eval.h"

namespace fl::model {

namespace {

struct Walker {
  const Model& m;
  std::span<const Value> state;
  std::span<const Value> locals;
  EvalError& err;
  bool failed = false;

  Value fail(const std::string& msg) {
    if (!failed) err.message = msg;
    failed = true;
    return 0;
  }

  Value element(Id var, Value index) {
    const Var& v = m.vars[var];
    if (index < 0 || index >= static_cast<Value>(v.length)) {
      return fail("index " + std::to_string(index) + " out of range for '" + v.name + "[" +
                  std::to_string(v.length) + "]'");
    }
    return state[v.first_slot + static_cast<size_t>(index)];
  }

  Value binary(BinaryOp op, Id a, Id b) {
    Value x = run(a);
    if (failed) return 0;
    // Lazy operators look at the left operand first.
    switch (op) {
      case BinaryOp::And:
        return x != 0 ? (run(b) != 0) : 0;
      case BinaryOp::Or:
        return x != 0 ? 1 : (run(b) != 0);
      case BinaryOp::Implies:
        return x == 0 ? 1 : (run(b) != 0);
      default:
        break;
    }
    Value y = run(b);
    if (failed) return 0;
    switch (op) {
      case BinaryOp::Add:
        return x + y;
      case BinaryOp::Sub:
        return x - y;
      case BinaryOp::Mul:
        return x * y;
      case BinaryOp::Div:
        return y == 0 ? fail("division by zero") : x / y;
      case BinaryOp::Mod:
        return y == 0 ? fail("modulo by zero") : ((x % y) + y) % y;
      case BinaryOp::Eq:
        return x == y;
      case BinaryOp::Ne:
        return x != y;
      case BinaryOp::Lt:
        return x < y;
      case BinaryOp::Le:
        return x <= y;
      case BinaryOp::Gt:
        return x > y;
      case BinaryOp::Ge:
        return x >= y;
      case BinaryOp::Min:
        return x < y ? x : y;
      case BinaryOp::Max:
        return x > y ? x : y;
      default:
        return fail("bad operator");
    }
  }

  Value run(Id id) {
    const Expr& e = m.exprs[id];
    switch (e.kind) {
      case ExprKind::Const:
        return e.value;
      case ExprKind::Var:
        return state[m.vars[e.var].first_slot];
      case ExprKind::Elem: {
        Value i = run(e.args[0]);
        return failed ? 0 : element(e.var, i);
      }
      case ExprKind::Local:
        return locals[e.local];
      case ExprKind::Unary: {
        Value x = run(e.args[0]);
        return e.uop == UnaryOp::Not ? (x == 0) : -x;
      }
      case ExprKind::Binary:
        return binary(e.bop, e.args[0], e.args[1]);
      case ExprKind::Ite: {
        Value c = run(e.args[0]);
        if (failed) return 0;
        return run(c != 0 ? e.args[1] : e.args[2]);
      }
    }
    return fail("bad expression");
  }
};

bool exec(const Model& m, Id id, std::span<Value> state, std::span<Value> locals, EvalError& err) {
  const Stmt& s = m.stmts[id];
  Walker w{m, state, locals, err};
  switch (s.kind) {
    case StmtKind::Skip:
      return true;
    case StmtKind::Let: {
      Value v = w.run(s.value);
      if (w.failed) return false;
      locals[s.local] = v;
      return true;
    }
    case StmtKind::Assign: {
      const Var& var = m.vars[s.var];
      Value index = 0;
      if (s.index != kNoId) {
        index = w.run(s.index);
        if (w.failed) return false;
        if (index < 0 || index >= static_cast<Value>(var.length)) {
          err = {"index " + std::to_string(index) + " out of range for '" + var.name + "[" +
                     std::to_string(var.length) + "]'",
                 s.loc};
          return false;
        }
      }
      Value v = w.run(s.value);
      if (w.failed) return false;
      if (v < var.min || v > var.max) {
        err = {"value " + std::to_string(v) + " out of range " + std::to_string(var.min) + ".." +
                   std::to_string(var.max) + " of '" + var.name + "'",
               s.loc};
        return false;
      }
      state[var.first_slot + static_cast<size_t>(index)] = v;
      return true;
    }
    case StmtKind::If: {
      Value c = w.run(s.cond);
      if (w.failed) return false;
      Id branch = c != 0 ? s.body[0] : s.body[1];
      return branch == kNoId || exec(m, branch, state, locals, err);
    }
    case StmtKind::Seq:
      for (Id b : s.body) {
        if (!exec(m, b, state, locals, err)) return false;
      }
      return true;
    case StmtKind::Assert: {
      Value c = w.run(s.cond);
      if (w.failed) return false;
      if (c == 0) {
        err = {"assertion failed: " + s.message, s.loc};
        return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

State initial_state(const Model& m) {
  State s(m.slots.size());
  for (const Var& v : m.vars) {
    for (uint32_t i = 0; i < v.length; ++i) s[v.first_slot + i] = v.init[i];
  }
  return s;
}

std::optional<Value> eval(const Model& m, Id e, std::span<const Value> state,
                          std::span<const Value> locals, EvalError& err) {
  Walker w{m, state, locals, err};
  Value v = w.run(e);
  if (w.failed) return std::nullopt;
  return v;
}

bool execute(const Model& m, Id s, std::span<Value> state, std::span<Value> locals,
             EvalError& err) {
  return exec(m, s, state, locals, err);
}

std::optional<bool> enabled(const Model& m, Id action, std::span<const Value> state,
                            EvalError& err) {
  std::vector<Value> locals(m.num_locals);
  auto v = eval(m, m.actions[action].guard, state, locals, err);
  if (!v) {
    err.loc = m.actions[action].loc;
    return std::nullopt;
  }
  return *v != 0;
}

std::optional<State> successor(const Model& m, Id action, std::span<const Value> state,
                               EvalError& err) {
  State next(state.begin(), state.end());
  std::vector<Value> locals(m.num_locals);
  if (!exec(m, m.actions[action].body, next, locals, err)) {
    if (err.loc.line == 0) err.loc = m.actions[action].loc;
    return std::nullopt;
  }
  return next;
}

std::string to_text(const Model& m, Id id) {
  const Expr& e = m.exprs[id];
  switch (e.kind) {
    case ExprKind::Const:
      return std::to_string(e.value);
    case ExprKind::Var:
      return m.vars[e.var].name;
    case ExprKind::Elem:
      return m.vars[e.var].name + "[" + to_text(m, e.args[0]) + "]";
    case ExprKind::Local:
      return "$" + std::to_string(e.local);
    case ExprKind::Unary:
      return std::string(spelling(e.uop)) + to_text(m, e.args[0]);
    case ExprKind::Binary:
      if (e.bop == BinaryOp::Min || e.bop == BinaryOp::Max) {
        return std::string(spelling(e.bop)) + "(" + to_text(m, e.args[0]) + ", " +
               to_text(m, e.args[1]) + ")";
      }
      return "(" + to_text(m, e.args[0]) + " " + spelling(e.bop) + " " + to_text(m, e.args[1]) +
             ")";
    case ExprKind::Ite:
      return "(" + to_text(m, e.args[0]) + " ? " + to_text(m, e.args[1]) + " : " +
             to_text(m, e.args[2]) + ")";
  }
  return "?";
}

}  // namespace fl::model

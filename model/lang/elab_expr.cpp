// Elaboration of expressions: name resolution, constant folding with the
// exact semantics of the reference evaluator (model/eval.cpp), def
// expansion and quantifier unrolling.
#include <algorithm>

#include "model/lang/elab.h"
#include "model/lang/suggest.h"

namespace fl::lang {

using model::BinaryOp;
using model::Id;
using model::SourceLoc;
using model::Value;

namespace {

// Folds `x op y` for the strict operators as model/eval.cpp computes them.
// Returns false where eval.cpp would fail at run time (division or modulo
// by zero) or where the result does not fit (where eval.cpp's C++
// arithmetic is undefined); the caller then keeps the operation in the IR.
bool fold(BinaryOp op, Value x, Value y, Value& out) {
  switch (op) {
    case BinaryOp::Add:
      return !__builtin_add_overflow(x, y, &out);
    case BinaryOp::Sub:
      return !__builtin_sub_overflow(x, y, &out);
    case BinaryOp::Mul:
      return !__builtin_mul_overflow(x, y, &out);
    case BinaryOp::Div:
      if (y == 0 || (y == -1 && x == INT64_MIN)) return false;
      out = x / y;
      return true;
    case BinaryOp::Mod: {
      if (y == 0 || y == -1) {
        out = 0;
        return y == -1;  // ((x % -1) + -1) % -1 is 0 for every x
      }
      Value r = x % y;
      if (__builtin_add_overflow(r, y, &r)) return false;
      out = r % y;
      return true;
    }
    case BinaryOp::Eq:
      out = x == y;
      return true;
    case BinaryOp::Ne:
      out = x != y;
      return true;
    case BinaryOp::Lt:
      out = x < y;
      return true;
    case BinaryOp::Le:
      out = x <= y;
      return true;
    case BinaryOp::Gt:
      out = x > y;
      return true;
    case BinaryOp::Ge:
      out = x >= y;
      return true;
    case BinaryOp::Min:
      out = std::min(x, y);
      return true;
    case BinaryOp::Max:
      out = std::max(x, y);
      return true;
    default:
      return false;
  }
}

const char* why_unfoldable(BinaryOp op, Value y) {
  if ((op == BinaryOp::Div || op == BinaryOp::Mod) && y == 0) return "it divides by zero";
  return "it overflows 64 bits";
}

}  // namespace

void Elaborator::check_budget(const SourceLoc& loc) const {
  if (model_.exprs.size() > kMaxExprs) {
    fail(loc, "the scenario expands to more than " + std::to_string(kMaxExprs) +
                  " expressions (nested unrolling?)");
  }
}

Id Elaborator::ir(const Val& v) {
  return v.is_const ? b_->lit(v.value) : v.id;
}

Val Elaborator::expr(const AstExpr& e) {
  check_budget(e.loc);
  switch (e.kind) {
    case AstExprKind::Int:
      return Val::constant(e.value);
    case AstExprKind::Variant:
      return Val::constant(e.name == variant_);
    case AstExprKind::Name:
      return name(e);
    case AstExprKind::Index:
      return index(e);
    case AstExprKind::Call:
      return call(e);
    case AstExprKind::Unary:
      return unary(e);
    case AstExprKind::Binary:
      return binary(e);
    case AstExprKind::Ternary:
      return ternary(e);
    case AstExprKind::Quant:
      return quantifier(e);
  }
  fail(e.loc, "unknown expression");
}

Value Elaborator::require_const(const AstExpr& e, const std::string& what) {
  Val v = expr(e);
  if (!v.is_const) fail(v.why_loc, what + " must be constant, but " + v.why);
  return v.value;
}

std::vector<Value> Elaborator::range(const AstRange& r, const std::string& what) {
  return range(*r.lo, *r.hi, what);
}

std::vector<Value> Elaborator::range(const AstExpr& lo_e, const AstExpr& hi_e,
                                     const std::string& what) {
  Value lo = require_const(lo_e, "the lower bound of " + what);
  Value hi = require_const(hi_e, "the upper bound of " + what);
  if (lo > hi) {
    fail(lo_e.loc, "empty range " + std::to_string(lo) + ".." + std::to_string(hi) + " in " + what);
  }
  Value span = 0;
  if (__builtin_sub_overflow(hi, lo, &span) || span >= kMaxUnroll) {
    fail(lo_e.loc, "range " + std::to_string(lo) + ".." + std::to_string(hi) + " of " + what +
                       " has more than " + std::to_string(kMaxUnroll) + " values");
  }
  std::vector<Value> out;
  for (Value k = lo; k <= hi; ++k) out.push_back(k);
  return out;
}

// --- names -----------------------------------------------------------------------

const Symbol* Elaborator::lookup(const std::string& name) const {
  for (size_t i = locals_.size(); i > barrier_; --i) {
    if (locals_[i - 1].first == name) return &locals_[i - 1].second;
  }
  auto it = globals_.find(name);
  return it == globals_.end() ? nullptr : &it->second;
}

Symbol* Elaborator::lookup_global(const std::string& name) {
  auto it = globals_.find(name);
  return it == globals_.end() ? nullptr : &it->second;
}

void Elaborator::unknown(const std::string& name, const SourceLoc& loc) const {
  std::vector<std::string> known;
  for (size_t i = barrier_; i < locals_.size(); ++i) known.push_back(locals_[i].first);
  for (const auto& [n, s] : globals_) known.push_back(n);
  for (const model::Var& v : model_.vars) known.push_back(v.name);
  fail(loc, "unknown identifier '" + name + "'" + suggestion(name, known));
}

void Elaborator::declare_local(const std::string& name, Symbol s) {
  const Symbol* old = lookup(name);
  if (old != nullptr) {
    fail(s.loc, "'" + name + "' is already declared (line " + std::to_string(old->loc.line) + ")");
  }
  if (model_.find_var(name) != model::kNoId) {
    fail(s.loc, "'" + name + "' is already declared as a state variable");
  }
  locals_.emplace_back(name, std::move(s));
}

Value Elaborator::global_const(const std::string& name, Symbol& s) {
  if (s.state == Symbol::Busy) fail(s.loc, "constant '" + name + "' is defined in terms of itself");
  if (s.state == Symbol::Pending) {
    s.state = Symbol::Busy;
    size_t saved = barrier_;
    barrier_ = locals_.size();  // a const sees only global names
    Value v = require_const(*s.const_decl->value, "constant '" + name + "'");
    barrier_ = saved;
    s.val = Val::constant(v);
    s.state = Symbol::Done;
  }
  return s.val.value;
}

// A state variable by name (declared in the file or by a kernel extension).
Id Elaborator::state_var(const std::string& name, const SourceLoc& loc, bool indexed) {
  Id id = model_.find_var(name);
  const Symbol* s = lookup(name);
  if (s != nullptr && s->kind == SymKind::Var && s->id == model::kNoId) {
    fail(loc, "'" + name + "' is a state variable, which is not available in a constant");
  }
  if (id == model::kNoId) return id;
  const model::Var& v = model_.vars[id];
  if (indexed && !v.is_array) fail(loc, "'" + name + "' is not an array");
  if (!indexed && v.is_array) fail(loc, "array '" + name + "' needs an index");
  return id;
}

Val Elaborator::name(const AstExpr& e) {
  const Symbol* s = lookup(e.name);
  if (s == nullptr || s->kind == SymKind::Var) {
    Id id = state_var(e.name, e.loc, false);
    if (id == model::kNoId) unknown(e.name, e.loc);
    return Val{false, 0, b_->var(id), e.loc, "'" + e.name + "' is a state variable"};
  }
  switch (s->kind) {
    case SymKind::Const:
      if (s->const_decl != nullptr)
        return Val::constant(global_const(e.name, *lookup_global(e.name)));
      return s->val;
    case SymKind::Local:
      return Val{false, 0, b_->local(s->id), e.loc, "'" + e.name + "' is computed from the state"};
    case SymKind::Bound:
      return s->val;
    case SymKind::EnumType:
      fail(e.loc, "'" + e.name + "' is an enum type, not a value");
    case SymKind::Def:
      fail(e.loc, "'" + e.name + "' is a def and needs its arguments");
    case SymKind::Proc:
      fail(e.loc, "'" + e.name + "' is a proc, not a value");
    case SymKind::Var:
      break;
  }
  fail(e.loc, "'" + e.name + "' is not a value");
}

Val Elaborator::index(const AstExpr& e) {
  const Symbol* s = lookup(e.name);
  if (s != nullptr && s->kind != SymKind::Var) fail(e.loc, "'" + e.name + "' is not an array");
  Id id = state_var(e.name, e.loc, true);
  if (id == model::kNoId) unknown(e.name, e.loc);
  Val i = expr(*e.args[0]);
  return Val{false, 0, b_->elem(id, ir(i)), e.loc, "'" + e.name + "' is a state variable"};
}

// --- defs ---------------------------------------------------------------------------

void Elaborator::enter_macro(const std::string& name, const void* decl, size_t params, size_t args,
                             const SourceLoc& loc) {
  if (params != args) {
    fail(loc, "'" + name + "' takes " + std::to_string(params) + " argument" +
                  (params == 1 ? "" : "s") + ", given " + std::to_string(args));
  }
  if (std::find(active_decls_.begin(), active_decls_.end(), decl) != active_decls_.end()) {
    std::string chain;
    for (const std::string& a : active_) chain += a + " -> ";
    fail(loc, "recursive call of '" + name + "' (" + chain + name + ")");
  }
  if (active_.size() >= static_cast<size_t>(kMaxNesting)) {
    fail(loc, "calls nested too deeply (the limit is " + std::to_string(kMaxNesting) + ")");
  }
  active_.push_back(name);
  active_decls_.push_back(decl);
}

void Elaborator::leave_macro(size_t mark, size_t saved_barrier) {
  locals_.resize(mark);
  barrier_ = saved_barrier;
  active_.pop_back();
  active_decls_.pop_back();
}

Val Elaborator::call(const AstExpr& e) {
  const Symbol* s = lookup(e.name);
  if (s == nullptr) unknown(e.name, e.loc);
  if (s->kind == SymKind::Proc) fail(e.loc, "'" + e.name + "' is a proc; it has no value");
  if (s->kind != SymKind::Def) fail(e.loc, "'" + e.name + "' is not a def");
  const DefDecl& d = *s->def;
  enter_macro(e.name, &d, d.params.size(), e.args.size(), e.loc);
  // Arguments are computed in the caller's scope, then bound by value.
  std::vector<Val> args;
  for (const AstExprPtr& a : e.args) args.push_back(expr(*a));
  size_t mark = locals_.size(), saved = barrier_;
  barrier_ = mark;
  for (size_t i = 0; i < args.size(); ++i) {
    Symbol p;
    p.kind = args[i].is_const ? SymKind::Const : SymKind::Bound;
    p.loc = d.params[i].loc;
    p.val = args[i];
    declare_local(d.params[i].name, std::move(p));
  }
  Val v = expr(*d.body);
  leave_macro(mark, saved);
  return v;
}

// --- operators --------------------------------------------------------------------------

Val Elaborator::unary(const AstExpr& e) {
  Val a = expr(*e.args[0]);
  if (e.uop == model::UnaryOp::Not) {
    if (a.is_const) return Val::constant(a.value == 0);
  } else if (a.is_const && a.value != INT64_MIN) {
    return Val::constant(-a.value);
  }
  Val out = a;
  out.is_const = false;
  out.id = b_->unary(e.uop, ir(a));
  if (a.is_const) out = Val{false, 0, out.id, e.loc, "it overflows 64 bits"};
  return out;
}

Val Elaborator::binary(const AstExpr& e) {
  Val a = expr(*e.args[0]);
  Val b = expr(*e.args[1]);
  return combine(e.bop, a, b, e.loc);
}

Val Elaborator::combine(BinaryOp op, const Val& a, const Val& b, const SourceLoc& loc) {
  // The lazy operators are decided by a constant left operand alone, as the
  // evaluator never looks at the right one then.
  if (a.is_const) {
    if (op == BinaryOp::And && a.value == 0) return Val::constant(0);
    if (op == BinaryOp::Or && a.value != 0) return Val::constant(1);
    if (op == BinaryOp::Implies && a.value == 0) return Val::constant(1);
    bool lazy = op == BinaryOp::And || op == BinaryOp::Or || op == BinaryOp::Implies;
    if (lazy && b.is_const) return Val::constant(b.value != 0);
  }
  Value out = 0;
  if (a.is_const && b.is_const && fold(op, a.value, b.value, out)) return Val::constant(out);
  Val v = a.is_const ? b : a;
  if (a.is_const && b.is_const) v = Val{false, 0, 0, loc, why_unfoldable(op, b.value)};
  v.is_const = false;
  v.id = b_->binary(op, ir(a), ir(b));
  return v;
}

Val Elaborator::ternary(const AstExpr& e) {
  Val c = expr(*e.args[0]);
  Val a = expr(*e.args[1]);
  Val b = expr(*e.args[2]);
  if (c.is_const) return c.value != 0 ? a : b;
  c.id = b_->ite(c.id, ir(a), ir(b));
  return c;
}

// forall / exists / count unroll into a balanced tree of && / || / +, which
// evaluates left to right exactly like the flat chain but stays shallow.
Val Elaborator::quantifier(const AstExpr& e) {
  std::vector<Value> values = range(*e.args[0], *e.args[1], "the quantifier");
  std::vector<Val> terms;
  for (Value k : values) {
    size_t mark = locals_.size();
    Symbol s;
    s.loc = e.loc;
    s.val = Val::constant(k);
    declare_local(e.name, std::move(s));
    Val t = expr(*e.args[2]);
    locals_.resize(mark);
    // Each term becomes 0 or 1, so that the result is a boolean (or a count).
    if (e.quant == Quantifier::Count || values.size() == 1) {
      t = combine(BinaryOp::Ne, t, Val::constant(0), e.loc);
    }
    terms.push_back(std::move(t));
  }
  BinaryOp op = e.quant == Quantifier::Forall   ? BinaryOp::And
                : e.quant == Quantifier::Exists ? BinaryOp::Or
                                                : BinaryOp::Add;
  return reduce(op, terms, 0, terms.size(), e.loc);
}

Val Elaborator::reduce(BinaryOp op, const std::vector<Val>& terms, size_t lo, size_t hi,
                       const SourceLoc& loc) {
  if (hi - lo == 1) return terms[lo];
  size_t mid = lo + (hi - lo) / 2;
  return combine(op, reduce(op, terms, lo, mid, loc), reduce(op, terms, mid, hi, loc), loc);
}

}  // namespace fl::lang

// The bit-vector width of the encoding: an interval analysis over every
// expression and statement a proof can encode.  If every intermediate value
// provably fits in W-bit two's complement, then W-bit arithmetic gives the
// same results as the evaluator's int64 arithmetic, and the solver works on
// far smaller circuits than with 64 bits (a 64-bit divider is expensive to
// bit-blast, a 6-bit one is not).

#include <algorithm>

#include "proofs/encode.h"

namespace fl::proofs {

namespace {

using model::BinaryOp;
using model::ExprKind;
using model::Id;
using model::kNoId;
using model::StmtKind;
using I128 = __int128;

constexpr I128 kMin64 = std::numeric_limits<int64_t>::min();
constexpr I128 kMax64 = std::numeric_limits<int64_t>::max();

struct Iv {
  I128 lo = 0;
  I128 hi = 0;
};

Iv hull(Iv a, Iv b) {
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}
I128 magnitude(Iv a) {
  return std::max(a.lo < 0 ? -a.lo : a.lo, a.hi < 0 ? -a.hi : a.hi);
}

class WidthAnalysis {
 public:
  explicit WidthAnalysis(const model::Model& m) : m_(m), locals_(m.num_locals) {}

  unsigned run() {
    // Locals get their intervals from the lets that assign them, and a let
    // may read a local, so iterate to a fixpoint; a model whose locals keep
    // growing is given up on (64 bits).
    // Range and initial-state constraints mention every variable's bounds,
    // used by an expression or not.
    for (model::Id v = 0; v < m_.vars.size(); ++v) note(var_range(v));
    bool changed = true;
    for (int pass = 0; changed && pass < 16; ++pass) {
      changed = false;
      for (const model::Action& a : m_.actions) {
        expr(a.guard);
        stmt(a.body, changed);
      }
      for (const model::Property& p : m_.properties) expr(p.expr);
      for (const model::Observation& o : m_.observations) expr(o.expr);
      for (const model::Expectation& e : m_.expectations) {
        if (e.expr != kNoId) expr(e.expr);
      }
    }
    if (changed || overflow_) return 64;
    unsigned w = 2;
    while (w < 64) {
      I128 lo = -(I128{1} << (w - 1));
      I128 hi = (I128{1} << (w - 1)) - 1;
      if (lo <= lo_ && hi_ <= hi) break;
      ++w;
    }
    return w;
  }

 private:
  // Records that a value in `v` is computed; clamps to int64 so that later
  // products stay inside 128 bits.
  Iv note(Iv v) {
    if (v.lo < kMin64 || v.hi > kMax64) overflow_ = true;
    v.lo = std::clamp(v.lo, kMin64, kMax64);
    v.hi = std::clamp(v.hi, kMin64, kMax64);
    lo_ = std::min(lo_, v.lo);
    hi_ = std::max(hi_, v.hi);
    return v;
  }

  Iv var_range(Id var) const { return {m_.vars[var].min, m_.vars[var].max}; }

  Iv binary(BinaryOp op, Iv a, Iv b) {
    switch (op) {
      case BinaryOp::Add:
        return {a.lo + b.lo, a.hi + b.hi};
      case BinaryOp::Sub:
        return {a.lo - b.hi, a.hi - b.lo};
      case BinaryOp::Mul: {
        I128 p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
        return {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
      }
      case BinaryOp::Div: {
        I128 m = magnitude(a);
        return {-m, m};
      }
      case BinaryOp::Mod: {
        // ((x % y) + y) % y: the inner remainder is below |y| and |x|, the
        // sum is an intermediate value too.
        I128 y = magnitude(b);
        I128 r = std::min(magnitude(a), y);
        note({-r + b.lo, r + b.hi});
        return {-y, y};
      }
      case BinaryOp::Min:
        return {std::min(a.lo, b.lo), std::min(a.hi, b.hi)};
      case BinaryOp::Max:
        return {std::max(a.lo, b.lo), std::max(a.hi, b.hi)};
      default:
        return {0, 1};  // comparisons and logic
    }
  }

  Iv expr(Id id) {
    const model::Expr& e = m_.exprs[id];
    switch (e.kind) {
      case ExprKind::Const:
        return note({e.value, e.value});
      case ExprKind::Var:
        return note(var_range(e.var));
      case ExprKind::Elem:
        expr(e.args[0]);
        note({0, m_.vars[e.var].length});
        return note(var_range(e.var));
      case ExprKind::Local:
        return note(locals_[e.local]);
      case ExprKind::Unary: {
        Iv x = expr(e.args[0]);
        if (e.uop == model::UnaryOp::Not) return note({0, 1});
        return note({-x.hi, -x.lo});
      }
      case ExprKind::Binary:
        return note(binary(e.bop, expr(e.args[0]), expr(e.args[1])));
      case ExprKind::Ite:
        expr(e.args[0]);
        return note(hull(expr(e.args[1]), expr(e.args[2])));
    }
    overflow_ = true;
    return {};
  }

  void stmt(Id id, bool& changed) {
    if (id == kNoId) return;
    const model::Stmt& s = m_.stmts[id];
    switch (s.kind) {
      case StmtKind::Skip:
        return;
      case StmtKind::Assign:
        if (s.index != kNoId) expr(s.index);
        note({0, m_.vars[s.var].length});
        note(var_range(s.var));
        expr(s.value);
        return;
      case StmtKind::Let: {
        Iv v = hull(locals_[s.local], expr(s.value));
        if (v.lo != locals_[s.local].lo || v.hi != locals_[s.local].hi) changed = true;
        locals_[s.local] = v;
        return;
      }
      case StmtKind::If:
        expr(s.cond);
        stmt(s.body[0], changed);
        stmt(s.body[1], changed);
        return;
      case StmtKind::Seq:
        for (Id b : s.body) stmt(b, changed);
        return;
      case StmtKind::Assert:
        expr(s.cond);
        return;
    }
  }

  const model::Model& m_;
  std::vector<Iv> locals_;  // starts at [0, 0]: locals are zero until a let
  I128 lo_ = 0, hi_ = 1;
  bool overflow_ = false;
};

}  // namespace

unsigned value_width(const model::Model& m) {
  return WidthAnalysis(m).run();
}

}  // namespace fl::proofs

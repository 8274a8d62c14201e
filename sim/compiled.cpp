#include "sim/compiled.h"

#include <cstring>
#include <map>

#include "sim/compiled_ops.h"

namespace fl::sim {

using model::BinaryOp;
using model::ExprKind;
using model::Id;
using model::kNoId;
using model::StmtKind;
using model::UnaryOp;
using model::Value;

namespace {

// While compiling, temporaries and constants get tagged numbers, because
// their final place in the frame is known only once every program is
// compiled (constants sit before the temporaries).
constexpr uint32_t kTempTag = 0x80000000U;
constexpr uint32_t kConstTag = 0x40000000U;
constexpr uint32_t kTagMask = kTempTag | kConstTag;

bool is_jump(Op op) {
  return op == Op::Jz || op == Op::Jnz || op == Op::Jmp || (op >= Op::JEq && op <= Op::JGe);
}

bool is_comparison(BinaryOp op) {
  return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le ||
         op == BinaryOp::Gt || op == BinaryOp::Ge;
}

// The jump taken when comparison `op` holds, or (negated) when it fails.
Op compare_jump(BinaryOp op, bool negated) {
  switch (op) {
    case BinaryOp::Eq:
      return negated ? Op::JNe : Op::JEq;
    case BinaryOp::Ne:
      return negated ? Op::JEq : Op::JNe;
    case BinaryOp::Lt:
      return negated ? Op::JGe : Op::JLt;
    case BinaryOp::Le:
      return negated ? Op::JGt : Op::JLe;
    case BinaryOp::Gt:
      return negated ? Op::JLe : Op::JGt;
    default:
      return negated ? Op::JLt : Op::JGe;
  }
}

}  // namespace

// Turns the IR into bytecode, folding constant subexpressions whose
// evaluation cannot fail (a division by a constant zero is left for run
// time, where it fails exactly when the reference would).
class ProgramCompiler {
 public:
  explicit ProgramCompiler(Compiled& c) : c_(c), m_(c.m_) {}

  Program expr_program(Id e) {
    sp_ = 0;
    Program p;
    p.entry = here();
    if (is_condition(e)) {
      // Jump form: two exits, each setting the result.
      Label no;
      jump_if(e, false, no);
      p.result = alloc_temp();
      emit(Op::Mov, p.result, const_reg(1));
      emit(Op::Halt);
      bind(no);
      emit(Op::Mov, p.result, const_reg(0));
    } else {
      p.result = reg(expr(e));
    }
    emit(Op::Halt);
    p.reads_locals = reads_locals(p.entry);
    return p;
  }

  // Every guard in one program: guard a's value (0 or 1) lands in temporary
  // a, so the explorer learns all enabled actions in one call.
  Program all_guards_program() {
    const auto n = static_cast<uint32_t>(m_.actions.size());
    sp_ = n;
    if (max_sp_ < n) max_sp_ = n;
    Program p;
    p.entry = here();
    p.result = kTempTag;
    for (uint32_t a = 0; a < n; ++a) {
      const Id g = m_.actions[a].guard;
      const uint32_t dst = kTempTag | a;
      if (is_condition(g)) {
        emit(Op::Mov, dst, const_reg(0));
        Label no;
        jump_if(g, false, no);
        emit(Op::Mov, dst, const_reg(1));
        bind(no);
      } else {
        move_into(dst, expr(g), true);
      }
      sp_ = n;
    }
    emit(Op::Halt);
    p.reads_locals = reads_locals(p.entry);
    return p;
  }

  Program stmt_program(Id s) {
    sp_ = 0;
    Program p;
    p.entry = here();
    stmt(s);
    emit(Op::Halt);
    p.reads_locals = reads_locals(p.entry);
    return p;
  }

  // Whether the code from `entry` to here reads a local register (only
  // then must the locals be zeroed before it runs, as the reference starts
  // every action with fresh locals).
  bool reads_locals(uint32_t entry) const {
    const uint32_t first = c_.num_slots_;
    const uint32_t last = first + c_.num_locals_;
    auto local = [&](uint32_t r) { return r >= first && r < last; };
    for (uint32_t i = entry; i < here(); ++i) {
      const Insn& in = c_.code_[i];
      if (local(in.a) || (in.op == Op::StoreElem && local(in.dst))) return true;
      if (in.op != Op::Load && in.op != Op::Store && in.op != Op::StoreElem && local(in.b))
        return true;
    }
    return false;
  }

  // Gives temporaries and constants their final registers.
  void finish() {
    const uint32_t const_base = c_.num_slots_ + c_.num_locals_;
    const uint32_t temp_base = const_base + static_cast<uint32_t>(c_.constants_.size());
    auto place = [&](uint32_t& r) {
      if (r & kTempTag) {
        r = temp_base + (r & ~kTagMask);
      } else if (r & kConstTag) {
        r = const_base + (r & ~kTagMask);
      }
    };
    for (Insn& i : c_.code_) {
      if (!is_jump(i.op)) place(i.dst);
      place(i.a);
      if (i.op != Op::Load && i.op != Op::StoreElem && i.op != Op::Store) place(i.b);
    }
    auto place_results = [&](std::vector<Program>& ps) {
      for (Program& p : ps) place(p.result);
    };
    place_results(c_.guards_);
    place(c_.all_guards_.result);
    place_results(c_.properties_);
    place_results(c_.observations_);
    place_results(c_.expectations_);
    c_.frame_size_ = temp_base + max_sp_;
  }

 private:
  struct Operand {
    uint32_t reg = 0;
    bool is_const = false;
    Value value = 0;
  };

  // The jumps that go to one place, patched when the place is known.
  using Label = std::vector<uint32_t>;

  void bind(Label& label) {
    for (uint32_t j : label) c_.code_[j].dst = here();
    label_at_ = here();
    label.clear();
  }

  void jump_to(Label& label, Op op, uint32_t a = 0, uint32_t b = 0) {
    label.push_back(emit(op, 0, a, b));
  }

  // Whether `e` is worth compiling in jump form: a comparison, a logical
  // operator or a negation (anything else is a value tested against zero).
  bool is_condition(Id id) const {
    const model::Expr& e = m_.exprs[id];
    if (e.kind == ExprKind::Unary) return e.uop == UnaryOp::Not;
    if (e.kind != ExprKind::Binary) return false;
    return is_comparison(e.bop) || e.bop == BinaryOp::And || e.bop == BinaryOp::Or ||
           e.bop == BinaryOp::Implies;
  }

  // Code that jumps to `to` when the truth of `e` equals `when` and falls
  // through otherwise.  Operands run in the same order, and && || -> skip
  // their right operand in the same cases, as in value form, so errors are
  // those of the reference.
  void jump_if(Id id, bool when, Label& to) {
    const model::Expr& e = m_.exprs[id];
    const uint32_t saved = sp_;
    if (e.kind == ExprKind::Unary && e.uop == UnaryOp::Not) return jump_if(e.args[0], !when, to);
    if (e.kind == ExprKind::Binary && !is_comparison(e.bop) && is_condition(id)) {
      // And: both must hold; Or: one must; Implies: the left fails or the right holds.
      const bool left_decides_true = e.bop != BinaryOp::And;
      const bool left_truth = e.bop == BinaryOp::Or;  // the left value that decides it
      if (when == left_decides_true) {
        jump_if(e.args[0], left_truth, to);
        jump_if(e.args[1], when, to);
      } else {
        Label skip;
        jump_if(e.args[0], left_truth, skip);
        jump_if(e.args[1], when, to);
        bind(skip);
      }
      return;
    }
    if (e.kind == ExprKind::Binary && is_comparison(e.bop)) {
      const Operand x = expr(e.args[0]);
      const Operand y = expr(e.args[1]);
      Value folded = 0;
      if (x.is_const && y.is_const && ops::binary(e.bop, x.value, y.value, folded)) {
        if ((folded != 0) == when) jump_to(to, Op::Jmp);
      } else {
        const uint32_t a = reg(x);
        jump_to(to, compare_jump(e.bop, !when), a, reg(y));
      }
      sp_ = saved;
      return;
    }
    const Operand v = expr(id);
    if (v.is_const) {
      if ((v.value != 0) == when) jump_to(to, Op::Jmp);
    } else {
      jump_to(to, when ? Op::Jnz : Op::Jz, v.reg);
    }
    sp_ = saved;
  }

  static Operand constant(Value v) { return Operand{0, true, v}; }
  static Operand in(uint32_t r) { return Operand{r, false, 0}; }

  uint32_t here() const { return static_cast<uint32_t>(c_.code_.size()); }

  uint32_t emit(Op op, uint32_t dst = 0, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0,
                uint32_t aux = 0) {
    c_.code_.push_back(Insn{op, dst, a, b, c, aux});
    return here() - 1;
  }

  void patch_target(uint32_t insn) {
    c_.code_[insn].dst = here();
    label_at_ = here();
  }

  static bool writes_value(Op op) { return op <= Op::Mov || op == Op::Load; }
  static bool writes_bool(Op op) {
    return (op >= Op::Eq && op <= Op::Ge) || op == Op::Not || op == Op::Bool;
  }

  // dst = !value.  !(a == b) becomes a != b when the comparison was the
  // last instruction (and no jump lands after it).
  void negate_into(uint32_t dst, const Operand& value) {
    if ((value.reg & kTempTag) && here() > 0 && label_at_ != here()) {
      Insn& last = c_.code_.back();
      if (last.dst == value.reg && last.op >= Op::Eq && last.op <= Op::Ge) {
        static constexpr Op kFlip[] = {Op::Ne, Op::Eq, Op::Ge, Op::Gt, Op::Le, Op::Lt};
        last.op = kFlip[static_cast<int>(last.op) - static_cast<int>(Op::Eq)];
        last.dst = dst;
        return;
      }
    }
    emit(Op::Not, dst, value.reg);
  }

  // dst = value (as a boolean when `as_bool`).  When the value is a
  // temporary just computed by the last instruction, and no jump lands after
  // that instruction, the instruction is retargeted instead of adding a
  // move: guards like `a == 0 && b < n` then take four instructions, not six.
  void move_into(uint32_t dst, const Operand& value, bool as_bool) {
    if (!value.is_const && (value.reg & kTempTag) && here() > 0 && label_at_ != here()) {
      Insn& last = c_.code_.back();
      if (last.dst == value.reg && (as_bool ? writes_bool(last.op) : writes_value(last.op))) {
        last.dst = dst;
        return;
      }
    }
    emit(as_bool ? Op::Bool : Op::Mov, dst, reg(value));
  }

  uint32_t site(SiteKind kind, Id var, Id stmt = kNoId) {
    c_.sites_.push_back(ErrorSite{kind, var, stmt});
    return static_cast<uint32_t>(c_.sites_.size() - 1);
  }

  uint32_t alloc_temp() {
    const uint32_t r = kTempTag | sp_++;
    if (sp_ > max_sp_) max_sp_ = sp_;
    return r;
  }

  uint32_t const_reg(Value v) {
    auto [it, fresh] = const_index_.try_emplace(v, static_cast<uint32_t>(c_.constants_.size()));
    if (fresh) c_.constants_.push_back(v);
    return kConstTag | it->second;
  }

  uint32_t reg(const Operand& o) { return o.is_const ? const_reg(o.value) : o.reg; }

  uint32_t local_reg(Id local) const { return c_.num_slots_ + local; }

  Operand expr(Id id) {
    const model::Expr& e = m_.exprs[id];
    switch (e.kind) {
      case ExprKind::Const:
        return constant(e.value);
      case ExprKind::Var:
        return in(m_.vars[e.var].first_slot);
      case ExprKind::Local:
        return in(local_reg(e.local));
      case ExprKind::Elem:
        return element(e);
      case ExprKind::Unary:
        return unary(e);
      case ExprKind::Binary:
        return binary(e);
      case ExprKind::Ite:
        return ite(e);
    }
    return constant(0);
  }

  Operand element(const model::Expr& e) {
    const model::Var& v = m_.vars[e.var];
    const uint32_t saved = sp_;
    Operand index = expr(e.args[0]);
    const uint32_t s = site(SiteKind::ElemIndex, e.var);
    if (index.is_const) {
      if (index.value >= 0 && index.value < static_cast<Value>(v.length)) {
        return in(v.first_slot + static_cast<uint32_t>(index.value));
      }
      emit(Op::Fail, 0, const_reg(index.value), 0, 0, s);
      return constant(0);  // never read: the program has failed
    }
    sp_ = saved;
    const uint32_t dst = alloc_temp();
    emit(Op::Load, dst, index.reg, v.first_slot, v.length, s);
    return in(dst);
  }

  Operand unary(const model::Expr& e) {
    const uint32_t saved = sp_;
    Operand x = expr(e.args[0]);
    if (x.is_const) return constant(e.uop == UnaryOp::Not ? (x.value == 0) : ops::neg(x.value));
    sp_ = saved;
    const uint32_t dst = alloc_temp();
    if (e.uop == UnaryOp::Not) {
      negate_into(dst, x);
    } else {
      emit(Op::Neg, dst, x.reg);
    }
    return in(dst);
  }

  // &&, || and ->: the right operand runs only when the left one does not
  // decide the result.
  Operand lazy(const model::Expr& e) {
    const uint32_t saved = sp_;
    const uint32_t dst = alloc_temp();
    Operand x = expr(e.args[0]);
    if (x.is_const) {
      sp_ = saved;
      const bool decided =
          e.bop == BinaryOp::And ? x.value == 0 : (e.bop == BinaryOp::Or) == (x.value != 0);
      if (decided) return constant(e.bop == BinaryOp::And ? 0 : 1);
      const uint32_t saved2 = sp_;
      Operand y = expr(e.args[1]);
      if (y.is_const) return constant(y.value != 0);
      sp_ = saved2;
      const uint32_t d = alloc_temp();
      emit(Op::Bool, d, y.reg);
      return in(d);
    }
    // A literal right operand needs no jump: x -> 0 is !x, x && 1 is x != 0,
    // x -> 1 and x || 1 are 1 (x has run, so its errors happen).
    const model::Expr& right = m_.exprs[e.args[1]];
    if (right.kind == ExprKind::Const) {
      const bool y = right.value != 0;
      sp_ = saved;
      if (e.bop == BinaryOp::And ? !y : y) return constant(e.bop == BinaryOp::And ? 0 : 1);
      const uint32_t d = alloc_temp();
      if (e.bop == BinaryOp::Implies) {
        negate_into(d, x);
      } else {
        move_into(d, x, true);
      }
      return in(d);
    }
    // dst = the value that decides the result early, if it does.
    if (e.bop == BinaryOp::Implies) {
      negate_into(dst, x);
    } else {
      move_into(dst, x, true);
    }
    const uint32_t jump = emit(e.bop == BinaryOp::And ? Op::Jz : Op::Jnz, 0, dst);
    sp_ = dst_top(dst);
    Operand y = expr(e.args[1]);
    move_into(dst, y, true);
    patch_target(jump);
    sp_ = dst_top(dst);
    return in(dst);
  }

  static uint32_t dst_top(uint32_t temp) { return (temp & ~kTagMask) + 1; }

  Operand binary(const model::Expr& e) {
    if (e.bop == BinaryOp::And || e.bop == BinaryOp::Or || e.bop == BinaryOp::Implies) {
      return lazy(e);
    }
    const uint32_t saved = sp_;
    Operand x = expr(e.args[0]);
    Operand y = expr(e.args[1]);
    Value folded = 0;
    if (x.is_const && y.is_const && ops::binary(e.bop, x.value, y.value, folded)) {
      sp_ = saved;
      return constant(folded);
    }
    const uint32_t a = reg(x);
    const uint32_t b = reg(y);
    sp_ = saved;
    const uint32_t dst = alloc_temp();
    uint32_t aux = 0;
    if (e.bop == BinaryOp::Div) aux = site(SiteKind::DivZero, kNoId);
    if (e.bop == BinaryOp::Mod) aux = site(SiteKind::ModZero, kNoId);
    emit(binary_op(e.bop), dst, a, b, 0, aux);
    return in(dst);
  }

  static Op binary_op(BinaryOp op) {
    switch (op) {
      case BinaryOp::Add:
        return Op::Add;
      case BinaryOp::Sub:
        return Op::Sub;
      case BinaryOp::Mul:
        return Op::Mul;
      case BinaryOp::Div:
        return Op::Div;
      case BinaryOp::Mod:
        return Op::Mod;
      case BinaryOp::Eq:
        return Op::Eq;
      case BinaryOp::Ne:
        return Op::Ne;
      case BinaryOp::Lt:
        return Op::Lt;
      case BinaryOp::Le:
        return Op::Le;
      case BinaryOp::Gt:
        return Op::Gt;
      case BinaryOp::Ge:
        return Op::Ge;
      case BinaryOp::Min:
        return Op::Min;
      case BinaryOp::Max:
        return Op::Max;
      default:
        return Op::Halt;
    }
  }

  Operand ite(const model::Expr& e) {
    const uint32_t saved = sp_;
    const uint32_t dst = alloc_temp();
    if (is_condition(e.args[0])) {
      Label no;
      jump_if(e.args[0], false, no);
      sp_ = dst_top(dst);
      move_into(dst, expr(e.args[1]), false);
      const uint32_t to_end = emit(Op::Jmp);
      bind(no);
      sp_ = dst_top(dst);
      move_into(dst, expr(e.args[2]), false);
      patch_target(to_end);
      sp_ = dst_top(dst);
      return in(dst);
    }
    Operand c = expr(e.args[0]);
    if (c.is_const) {
      sp_ = saved;
      return expr(c.value != 0 ? e.args[1] : e.args[2]);
    }
    const uint32_t to_else = emit(Op::Jz, 0, c.reg);
    sp_ = dst_top(dst);
    move_into(dst, expr(e.args[1]), false);
    const uint32_t to_end = emit(Op::Jmp);
    patch_target(to_else);
    sp_ = dst_top(dst);
    move_into(dst, expr(e.args[2]), false);
    patch_target(to_end);
    sp_ = dst_top(dst);
    return in(dst);
  }

  void stmt(Id id) {
    const model::Stmt& s = m_.stmts[id];
    const uint32_t saved = sp_;
    switch (s.kind) {
      case StmtKind::Skip:
        break;
      case StmtKind::Let:
        move_into(local_reg(s.local), expr(s.value), false);
        break;
      case StmtKind::Assign:
        assign(id, s);
        break;
      case StmtKind::If:
        if_stmt(s);
        break;
      case StmtKind::Seq:
        for (Id b : s.body) stmt(b);
        break;
      case StmtKind::Assert:
        assert_stmt(id, s);
        break;
    }
    sp_ = saved;
  }

  void assign(Id id, const model::Stmt& s) {
    const model::Var& v = m_.vars[s.var];
    if (s.index == kNoId) {
      store(id, s, v.first_slot, expr(s.value));
      return;
    }
    Operand index = expr(s.index);
    if (index.is_const) {
      if (index.value < 0 || index.value >= static_cast<Value>(v.length)) {
        emit(Op::Fail, 0, const_reg(index.value), 0, 0, site(SiteKind::AssignIndex, s.var, id));
        return;
      }
      store(id, s, v.first_slot + static_cast<uint32_t>(index.value), expr(s.value));
      return;
    }
    emit(Op::CheckIndex, 0, index.reg, 0, v.length, site(SiteKind::AssignIndex, s.var, id));
    Operand value = expr(s.value);
    emit(Op::StoreElem, reg(value), index.reg, v.first_slot, s.var,
         site(SiteKind::AssignValue, s.var, id));
  }

  void store(Id id, const model::Stmt& s, uint32_t slot, Operand value) {
    const model::Var& v = m_.vars[s.var];
    const uint32_t at = site(SiteKind::AssignValue, s.var, id);
    if (!value.is_const) {
      emit(Op::Store, slot, value.reg, s.var, 0, at);
    } else if (value.value >= v.min && value.value <= v.max) {
      emit(Op::StoreConst, slot, const_reg(value.value));
    } else {
      emit(Op::Fail, 0, const_reg(value.value), 0, 0, at);
    }
  }

  void if_stmt(const model::Stmt& s) {
    if (is_condition(s.cond)) {
      Label no;
      jump_if(s.cond, false, no);
      stmt(s.body[0]);
      if (s.body[1] == kNoId) {
        bind(no);
        return;
      }
      const uint32_t to_end = emit(Op::Jmp);
      bind(no);
      stmt(s.body[1]);
      patch_target(to_end);
      return;
    }
    Operand c = expr(s.cond);
    if (c.is_const) {
      const Id branch = c.value != 0 ? s.body[0] : s.body[1];
      if (branch != kNoId) stmt(branch);
      return;
    }
    const uint32_t to_else = emit(Op::Jz, 0, c.reg);
    stmt(s.body[0]);
    if (s.body[1] == kNoId) {
      patch_target(to_else);
      return;
    }
    const uint32_t to_end = emit(Op::Jmp);
    patch_target(to_else);
    stmt(s.body[1]);
    patch_target(to_end);
  }

  void assert_stmt(Id id, const model::Stmt& s) {
    Operand c = expr(s.cond);
    const uint32_t at = site(SiteKind::Assert, kNoId, id);
    if (!c.is_const) {
      emit(Op::Assert, 0, c.reg, 0, 0, at);
    } else if (c.value == 0) {
      emit(Op::Fail, 0, const_reg(0), 0, 0, at);
    }
  }

  Compiled& c_;
  const model::Model& m_;
  uint32_t sp_ = 0;
  uint32_t max_sp_ = 0;
  uint32_t label_at_ = ~0U;  // where the last jump target is
  std::map<Value, uint32_t> const_index_;
};

Compiled::Compiled(const model::Model& m, const StateLayout& layout)
    : m_(m), layout_(layout), num_slots_(m.num_slots()), num_locals_(m.num_locals) {
  for (const model::Var& v : m.vars) {
    var_min_.push_back(v.min);
    var_max_.push_back(v.max);
    var_length_.push_back(v.length);
  }
  ProgramCompiler pc(*this);
  for (const model::Action& a : m.actions) {
    guards_.push_back(pc.expr_program(a.guard));
    bodies_.push_back(pc.stmt_program(a.body));
  }
  all_guards_ = pc.all_guards_program();
  for (const model::Property& p : m.properties) properties_.push_back(pc.expr_program(p.expr));
  for (const model::Observation& o : m.observations) {
    observations_.push_back(pc.expr_program(o.expr));
  }
  for (const model::Expectation& e : m.expectations) {
    expectations_.push_back(e.expr == kNoId ? Program{} : pc.expr_program(e.expr));
  }
  pc.finish();
}

}  // namespace fl::sim

// The run-time half of the compiled evaluator: the bytecode interpreter and
// the reference-compatible API over it.  The compiler is sim/compiled.cpp.

#include <cstring>

#include "sim/compiled.h"
#include "sim/compiled_ops.h"

namespace fl::sim {

using model::Id;
using model::kNoId;
using model::Value;

std::vector<Value> Compiled::new_frame() const {
  std::vector<Value> frame(frame_size_, 0);
  std::copy(constants_.begin(), constants_.end(), frame.begin() + num_slots_ + num_locals_);
  return frame;
}

void Compiled::clear_locals(Value* frame) const {
  std::memset(frame + num_slots_, 0, sizeof(Value) * num_locals_);
}

// Dispatch is threaded (a computed goto per instruction, GCC and clang's
// labels-as-values): each instruction ends with its own indirect jump, which
// the branch predictor learns per site, instead of one shared switch jump.
bool Compiled::exec(uint32_t pc, Value* r, uint64_t* packed, RunError& err) const {
  static const void* const kTargets[] = {
      &&Add,        &&Sub,   &&Mul,       &&Div,        &&Mod,    &&Eq,   &&Ne,   &&Lt,  &&Le,
      &&Gt,         &&Ge,    &&Min,       &&Max,        &&Not,    &&Neg,  &&Bool, &&Mov, &&Load,
      &&Jz,         &&Jnz,   &&Jmp,       &&JEq,        &&JNe,    &&JLt,  &&JLe,  &&JGt, &&JGe,
      &&CheckIndex, &&Store, &&StoreElem, &&StoreConst, &&Assert, &&Fail, &&Halt};
  static_assert(sizeof(kTargets) / sizeof(kTargets[0]) == static_cast<size_t>(Op::Halt) + 1);
  const Insn* const code = code_.data();
  const Insn* i = code + pc;
#define FL_NEXT() goto* kTargets[static_cast<uint8_t>((++i)->op)]
#define FL_JUMP(cond)                              \
  do {                                             \
    if (cond) {                                    \
      i = code + i->dst;                           \
      goto* kTargets[static_cast<uint8_t>(i->op)]; \
    }                                              \
    FL_NEXT();                                     \
  } while (0)
  goto* kTargets[static_cast<uint8_t>(i->op)];
Add:
  r[i->dst] = ops::add(r[i->a], r[i->b]);
  FL_NEXT();
Sub:
  r[i->dst] = ops::sub(r[i->a], r[i->b]);
  FL_NEXT();
Mul:
  r[i->dst] = ops::mul(r[i->a], r[i->b]);
  FL_NEXT();
Div:
  if (r[i->b] == 0) {
    err = {i->aux, 0};
    return false;
  }
  r[i->dst] = ops::div(r[i->a], r[i->b]);
  FL_NEXT();
Mod:
  if (r[i->b] == 0) {
    err = {i->aux, 0};
    return false;
  }
  r[i->dst] = ops::mod(r[i->a], r[i->b]);
  FL_NEXT();
Eq:
  r[i->dst] = r[i->a] == r[i->b];
  FL_NEXT();
Ne:
  r[i->dst] = r[i->a] != r[i->b];
  FL_NEXT();
Lt:
  r[i->dst] = r[i->a] < r[i->b];
  FL_NEXT();
Le:
  r[i->dst] = r[i->a] <= r[i->b];
  FL_NEXT();
Gt:
  r[i->dst] = r[i->a] > r[i->b];
  FL_NEXT();
Ge:
  r[i->dst] = r[i->a] >= r[i->b];
  FL_NEXT();
Min:
  r[i->dst] = r[i->a] < r[i->b] ? r[i->a] : r[i->b];
  FL_NEXT();
Max:
  r[i->dst] = r[i->a] > r[i->b] ? r[i->a] : r[i->b];
  FL_NEXT();
Not:
  r[i->dst] = r[i->a] == 0;
  FL_NEXT();
Neg:
  r[i->dst] = ops::neg(r[i->a]);
  FL_NEXT();
Bool:
  r[i->dst] = r[i->a] != 0;
  FL_NEXT();
Mov:
  r[i->dst] = r[i->a];
  FL_NEXT();
Load : {
  const Value index = r[i->a];
  if (static_cast<uint64_t>(index) >= i->c) {
    err = {i->aux, index};
    return false;
  }
  r[i->dst] = r[i->b + static_cast<uint32_t>(index)];
  FL_NEXT();
}
Jz:
  FL_JUMP(r[i->a] == 0);
Jnz:
  FL_JUMP(r[i->a] != 0);
Jmp:
  FL_JUMP(true);
JEq:
  FL_JUMP(r[i->a] == r[i->b]);
JNe:
  FL_JUMP(r[i->a] != r[i->b]);
JLt:
  FL_JUMP(r[i->a] < r[i->b]);
JLe:
  FL_JUMP(r[i->a] <= r[i->b]);
JGt:
  FL_JUMP(r[i->a] > r[i->b]);
JGe:
  FL_JUMP(r[i->a] >= r[i->b]);
CheckIndex:
  if (static_cast<uint64_t>(r[i->a]) >= i->c) {
    err = {i->aux, r[i->a]};
    return false;
  }
  FL_NEXT();
Store : {
  const Value v = r[i->a];
  if (v < var_min_[i->b] || v > var_max_[i->b]) {
    err = {i->aux, v};
    return false;
  }
  r[i->dst] = v;
  layout_.set(packed, i->dst, v);
  FL_NEXT();
}
StoreElem : {
  const Value v = r[i->dst];
  if (v < var_min_[i->c] || v > var_max_[i->c]) {
    err = {i->aux, v};
    return false;
  }
  const uint32_t slot = i->b + static_cast<uint32_t>(r[i->a]);
  r[slot] = v;
  layout_.set(packed, slot, v);
  FL_NEXT();
}
StoreConst:
  r[i->dst] = r[i->a];
  layout_.set(packed, i->dst, r[i->a]);
  FL_NEXT();
Assert:
  if (r[i->a] == 0) {
    err = {i->aux, 0};
    return false;
  }
  FL_NEXT();
Fail:
  err = {i->aux, r[i->a]};
  return false;
Halt:
  return true;
#undef FL_JUMP
#undef FL_NEXT
}

model::EvalError Compiled::describe(const RunError& err) const {
  const ErrorSite& s = sites_[err.site];
  const model::Var* v = s.var == kNoId ? nullptr : &m_.vars[s.var];
  const model::SourceLoc none;
  const model::SourceLoc& at = s.stmt == kNoId ? none : m_.stmts[s.stmt].loc;
  switch (s.kind) {
    case SiteKind::ElemIndex:
    case SiteKind::AssignIndex:
      return {"index " + std::to_string(err.value) + " out of range for '" + v->name + "[" +
                  std::to_string(v->length) + "]'",
              at};
    case SiteKind::AssignValue:
      return {"value " + std::to_string(err.value) + " out of range " + std::to_string(v->min) +
                  ".." + std::to_string(v->max) + " of '" + v->name + "'",
              at};
    case SiteKind::DivZero:
      return {"division by zero", at};
    case SiteKind::ModZero:
      return {"modulo by zero", at};
    case SiteKind::Assert:
      return {"assertion failed: " + m_.stmts[s.stmt].message, at};
  }
  return {"?", at};
}

std::optional<Value> Compiled::eval(const Program& p, std::span<const Value> state,
                                    model::EvalError& err) const {
  std::vector<Value> frame = new_frame();
  std::copy(state.begin(), state.end(), frame.begin());
  RunError e;
  if (!run(p, frame.data(), nullptr, e)) {
    err = describe(e);
    return std::nullopt;
  }
  return frame[p.result];
}

std::optional<bool> Compiled::enabled(Id action, std::span<const Value> state,
                                      model::EvalError& err) const {
  auto v = eval(guards_[action], state, err);
  if (!v) {
    err.loc = m_.actions[action].loc;
    return std::nullopt;
  }
  return *v != 0;
}

std::optional<model::State> Compiled::successor(Id action, std::span<const Value> state,
                                                model::EvalError& err) const {
  std::vector<Value> frame = new_frame();
  std::copy(state.begin(), state.end(), frame.begin());
  std::vector<uint64_t> packed(layout_.words());
  layout_.pack(frame.data(), packed.data());
  RunError e;
  if (!run(bodies_[action], frame.data(), packed.data(), e)) {
    err = describe(e);
    if (err.loc.line == 0) err.loc = m_.actions[action].loc;
    return std::nullopt;
  }
  return model::State(frame.begin(), frame.begin() + num_slots_);
}

}  // namespace fl::sim

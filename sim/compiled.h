#pragma once
// A compiled form of the IR for the explorer: register bytecode over an
// unpacked state.
//
// Its semantics are those of the reference interpreter (model/eval.cpp),
// including every run-time error and its message, and the laziness of &&,
// ||, -> and ?:.  tests/sim/compiled_test.cpp checks this differentially.
//
// Register file ("frame") of one evaluation context:
//   [0, S)             the state, one Value per flat slot
//   [S, S+L)           the action's locals (lets)
//   [S+L, S+L+C)       constants (filled by init_frame, never written)
//   [S+L+C, size)      temporaries
// Reading a variable or a constant therefore costs no instruction, and an
// element with a constant index is a plain register.  Stores also update the
// packed words of the state, so a successor is ready to hash when its body
// finishes.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"
#include "sim/state_layout.h"

namespace fl::sim {

enum class Op : uint8_t {
  // dst = a (op) b
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Min,
  Max,
  // dst = op a
  Not,
  Neg,
  Bool,
  Mov,
  Load,  // dst = frame[b + frame[a]] if frame[a] < c (the length), else fail at site aux
  Jz,    // if frame[a] == 0 goto dst
  Jnz,   // if frame[a] != 0 goto dst
  Jmp,   // goto dst
  // Fused compare-and-branch: if frame[a] (op) frame[b] goto dst.  Guards,
  // properties and `if` conditions are compiled in jump form (a condition
  // decides where to go, not which value to compute), so `a == 0 && b < n`
  // takes two instructions.
  JEq,
  JNe,
  JLt,
  JLe,
  JGt,
  JGe,
  CheckIndex,  // fail at site aux unless 0 <= frame[a] < c
  Store,       // slot dst = frame[a] if it is in the range of variable b, else fail at site aux
  StoreElem,   // slot (b + frame[a]) = frame[dst], range-checked against variable c
  StoreConst,  // slot dst = frame[a], known to be in range
  Assert,      // fail at site aux if frame[a] == 0
  Fail,        // fail at site aux with value frame[a]
  Halt,
};

struct Insn {
  Op op = Op::Halt;
  uint32_t dst = 0;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t c = 0;
  uint32_t aux = 0;
};

// A place in the model where a run-time error can happen.
enum class SiteKind : uint8_t { ElemIndex, AssignIndex, AssignValue, DivZero, ModZero, Assert };

struct ErrorSite {
  SiteKind kind = SiteKind::Assert;
  model::Id var = model::kNoId;
  model::Id stmt = model::kNoId;  // for errors the reference reports at a statement
};

// What failed: a site and the offending value (index or assigned value).
struct RunError {
  uint32_t site = 0;
  model::Value value = 0;
};

// One compiled expression or statement: where it starts and, for an
// expression, the register holding its value when it halts.
struct Program {
  uint32_t entry = 0;
  uint32_t result = 0;
  bool reads_locals = false;
};

class Compiled {
 public:
  // Compiles every guard, body, property, observation and exists/forall
  // expectation of `m` (which must be finalized).
  Compiled(const model::Model& m, const StateLayout& layout);

  const model::Model& model() const { return m_; }
  const StateLayout& layout() const { return layout_; }
  uint32_t num_slots() const { return num_slots_; }
  uint32_t frame_size() const { return frame_size_; }

  // A frame with its constants in place (slots and locals zero).
  std::vector<model::Value> new_frame() const;

  const Program& guard(model::Id action) const { return guards_[action]; }
  const Program& body(model::Id action) const { return bodies_[action]; }
  // Every guard at once: after it runs, frame[all_guards().result + a] is 1
  // when action a is enabled, else 0.  On a run-time error the caller finds
  // the failing guard with guard(a), in model order.
  const Program& all_guards() const { return all_guards_; }
  const Program& property(model::Id p) const { return properties_[p]; }
  const Program& observation(model::Id o) const { return observations_[o]; }
  // Only for expectations with an expression (exists / not exists / forall).
  const Program& expectation(model::Id e) const { return expectations_[e]; }

  // Runs `p` over `frame`; stores also update `packed` (may be null for an
  // expression).  Returns false and fills `err` on a model run-time error.
  bool run(const Program& p, model::Value* frame, uint64_t* packed, RunError& err) const {
    if (p.reads_locals) clear_locals(frame);
    return exec(p.entry, frame, packed, err);
  }

  // The reference interpreter's error for `err` (same message, same
  // location before the caller adds its context).
  model::EvalError describe(const RunError& err) const;

  // The reference API, for tests and for the rare paths (traces): guard and
  // successor of an action, with the reference's error locations.
  std::optional<bool> enabled(model::Id action, std::span<const model::Value> state,
                              model::EvalError& err) const;
  std::optional<model::State> successor(model::Id action, std::span<const model::Value> state,
                                        model::EvalError& err) const;
  std::optional<model::Value> eval(const Program& p, std::span<const model::Value> state,
                                   model::EvalError& err) const;

  size_t code_size() const { return code_.size(); }
  const Insn& insn(uint32_t pc) const { return code_[pc]; }

 private:
  friend class ProgramCompiler;
  void clear_locals(model::Value* frame) const;
  bool exec(uint32_t pc, model::Value* frame, uint64_t* packed, RunError& err) const;

  const model::Model& m_;
  const StateLayout& layout_;
  uint32_t num_slots_ = 0;
  uint32_t num_locals_ = 0;
  uint32_t frame_size_ = 0;
  std::vector<Insn> code_;
  std::vector<ErrorSite> sites_;
  std::vector<model::Value> constants_;  // at frame[num_slots_ + num_locals_ + i]
  std::vector<model::Value> var_min_, var_max_;
  std::vector<uint32_t> var_length_;
  Program all_guards_;
  std::vector<Program> guards_, bodies_, properties_, observations_, expectations_;
};

}  // namespace fl::sim

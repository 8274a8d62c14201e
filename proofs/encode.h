#pragma once
// The symbolic encoding of a model::Model for Z3: the same IR the explorer
// executes, read by a symbolic interpreter that follows model/eval.cpp step
// by step (lazy &&, ||, -> and ?:, C++ division, the evaluator's
// non-negative-style modulo ((x % y) + y) % y, and every run-time error).
//
// A state is one bit-vector per flat slot.  The width is the smallest that
// holds every intermediate value of every expression (an interval analysis
// over the model, proofs/width.cpp), so W-bit two's complement arithmetic
// computes exactly what the evaluator's int64 arithmetic computes; a model
// whose values could leave the int64 range gets 64 bits, which wraps as the
// evaluator does in practice.
//
// Run-time errors (index out of range, division or modulo by zero, an
// assigned value outside its variable's range, a failed assert, an error
// while evaluating a guard) are never silently allowed: they make up the
// special property "model-error", and the transition relation only contains
// steps that complete without error.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"
#include "proofs/smt.h"

namespace fl::proofs {

inline constexpr const char* kModelErrorProperty = "model-error";

using SymState = std::vector<smt::BitVec>;

// The value of an expression, its truth (value != 0) and whether evaluating
// it hits a run-time error.
struct SymValue {
  smt::BitVec value;
  smt::Bool truth;
  smt::Bool error;
  bool ground = false;  // built from constants only (so its value is known)
};

// One action in one symbolic state.
struct SymAction {
  smt::Bool enabled;  // the guard holds and evaluates without error
  smt::Bool fires;    // enabled, and the body runs without error
  smt::Bool error;    // the guard errs, or it holds and the body errs
  SymState post;      // the successor (meaningful when `fires`)
};

// Something checked in every state: an invariant, a deadlock property (as
// the state predicate "some action is enabled, or the expression holds") or
// the special model-error property.  Liveness properties are not goals.
struct Goal {
  std::string name;
  std::string kind;                   // "invariant", "deadlock" or "error"
  model::Id property = model::kNoId;  // kNoId for model-error
};

// Invariants and deadlock properties in declaration order, then model-error.
std::vector<Goal> goals(const model::Model& m);

// The reference verdict: why `goal` is violated in the concrete state `s`
// according to model/eval.cpp, or nullopt when it is not.
std::optional<std::string> violated_natively(const model::Model& m, const Goal& goal,
                                             std::span<const model::Value> s);

// Smallest two's complement width that holds every value the model's
// expressions and statements can produce from in-range states (64 when it
// cannot be bounded).
unsigned value_width(const model::Model& m);

class Encoder {
 public:
  Encoder(const model::Model& m, smt::Context& c);
  Encoder(const model::Model& m, smt::Context& c, unsigned width);

  const model::Model& model() const { return m_; }
  smt::Context& ctx() const { return c_; }
  unsigned width() const { return width_; }

  // Fresh variables, one per slot, named "<slot>@<tag>" (e.g. "pte[3]@2").
  SymState fresh_state(const std::string& tag);
  SymState const_state(std::span<const model::Value> s);
  // The selector of the action taken in a step ("act@<tag>").
  smt::BitVec action_var(const std::string& tag);

  smt::Bool in_range(const SymState& s);    // min <= slot <= max for every slot
  smt::Bool is_initial(const SymState& s);  // every slot equals Var::init
  smt::Bool equal(const SymState& a, const SymState& b);

  SymValue expr(model::Id e, const SymState& s);  // locals are zero, as in eval
  std::vector<SymAction> actions(const SymState& s);

  // T(s, t): action `act` fires in s (guard true, body without error) and
  // t is its successor.
  smt::Bool transition(const std::vector<SymAction>& acts, smt::BitVec act, const SymState& t);
  smt::Bool any_error(const std::vector<SymAction>& acts);
  // No action is enabled and no guard errs (a final state).
  smt::Bool deadlocked(const std::vector<SymAction>& acts);
  // `goal` is not violated in s.
  smt::Bool good(const Goal& goal, const SymState& s, const std::vector<SymAction>& acts);

  model::State read_state(const smt::Solver& solver, const SymState& s) const;

  // Helpers shared with the symbolic interpreter.
  smt::BitVec lit(model::Value v) { return c_.bv_val(static_cast<uint64_t>(v), width_); }
  smt::Bool truth() { return true_; }
  smt::Bool falsity() { return false_; }
  // || and && that keep constant operands out of the formula, so that dumped
  // queries stay readable.
  smt::Bool or_(smt::Bool a, smt::Bool b);
  smt::Bool and_(smt::Bool a, smt::Bool b);

 private:
  const model::Model& m_;
  smt::Context& c_;
  unsigned width_;
  smt::Bool true_, false_;
};

}  // namespace fl::proofs

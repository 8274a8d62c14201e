#pragma once
// The reference interpreter of the IR: a direct tree walk over an unpacked
// state (one Value per flat slot).  It is the semantics the faster engines
// (sim/) and the Z3 encoding (proofs/) are tested against.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/ir.h"

namespace fl::model {

// A run-time error of the model itself (index out of range, division by
// zero, a value outside its variable's range, a failed assert): reported
// like a violation, with the trace that led to it.
struct EvalError {
  std::string message;
  SourceLoc loc;
};

using State = std::vector<Value>;

State initial_state(const Model& m);

// Evaluates expression `e` in `state`; `locals` holds the action's lets.
// Returns nullopt and fills `err` on a run-time error.
std::optional<Value> eval(const Model& m, Id e, std::span<const Value> state,
                          std::span<const Value> locals, EvalError& err);

// Runs statement `s`, updating `state` in place.  Returns false and fills
// `err` on a run-time error (the state is then unspecified).
bool execute(const Model& m, Id s, std::span<Value> state, std::span<Value> locals, EvalError& err);

// Convenience: guard of action a, evaluated with fresh locals.
std::optional<bool> enabled(const Model& m, Id action, std::span<const Value> state,
                            EvalError& err);

// Successor of `state` by action a (which must be enabled).
std::optional<State> successor(const Model& m, Id action, std::span<const Value> state,
                               EvalError& err);

// Renders expression e as source-like text (for reports and docs).
std::string to_text(const Model& m, Id e);

}  // namespace fl::model

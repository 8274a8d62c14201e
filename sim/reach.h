#pragma once
// Is a given state reachable?  Used to classify a counterexample to
// induction from the prover: a reachable pre-state is a real bug (with its
// shortest trace), an unreachable one means the invariant needs a stronger
// companion.  A plain breadth-first search with the reference evaluator:
// CTIs are asked of small scenarios, and this keeps the answer independent
// of the fast engine it is sometimes used to cross-check.

#include <cstdint>
#include <functional>
#include <optional>

#include "model/eval.h"
#include "model/ir.h"
#include "sim/check.h"

namespace fl::sim {

enum class Reachability { Reachable, Unreachable, Unknown };

struct ReachResult {
  Reachability answer = Reachability::Unknown;
  uint64_t states = 0;         // states explored
  std::optional<Trace> trace;  // Reachable: a shortest trace to the state
};

// Explores at most `max_states` states (Unknown when the limit stops it
// before the target is found and the space is exhausted).
ReachResult find_state(const model::Model& m, const model::State& target, uint64_t max_states);

// Calls `visit` on every reachable state in breadth-first order, at most
// `max_states` of them; stops early when `visit` returns false.  Returns
// the number of states visited and whether the space was exhausted.
struct VisitResult {
  uint64_t states = 0;
  bool exhausted = false;
};
VisitResult visit_reachable(const model::Model& m, uint64_t max_states,
                            const std::function<bool(const model::State&)>& visit);

}  // namespace fl::sim

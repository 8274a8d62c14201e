#pragma once
// Traces to outcomes: for each distinct final observation tuple of a model (the outcome set of
// sim::check), one or more shortest traces from the initial state to a final state with that
// outcome.  The kernel shim's differential testing (`faultline diff`) turns them into forced
// orders for the real kernel, so every outcome the model allows is also tried on the kernel.
//
// This is a separate, small breadth-first search over the reference evaluator (model/eval.h):
// the scenarios it serves have at most a few hundred thousand states, and keeping it apart from
// the optimised explorer means it needs nothing from the explorer's internals.

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir.h"

namespace fl::sim {

struct OutcomeTraceOptions {
  uint64_t max_states = 2'000'000;  // stop (complete = false) beyond this many states
  size_t per_outcome = 1;           // traces per outcome, each to a different final state
};

struct OutcomeTrace {
  std::vector<model::Value> outcome;  // one value per model observation
  std::vector<model::Id> actions;     // the actions fired from the initial state, in order
};

struct OutcomeTraces {
  std::vector<OutcomeTrace> traces;  // sorted by outcome, then by length
  bool complete = true;              // false: max_states stopped the search
  std::string error;                 // a run-time error of the model, if one stopped it
};

OutcomeTraces outcome_traces(const model::Model& m, const OutcomeTraceOptions& opts = {});

// The distinct outcomes of the final states reachable from `start` (sorted): what the model
// predicts for a run that has followed a trace to `start` and then goes on in any order.
// Empty if max_states stopped the search or the model hit a run-time error.
std::vector<std::vector<model::Value>> reachable_outcomes(const model::Model& m,
                                                          const std::vector<model::Value>& start,
                                                          uint64_t max_states = 2'000'000);

}  // namespace fl::sim

#pragma once
// Internal to proofs/: a path of symbolic states s0 -> s1 -> ... -> sk
// linked by the transition relation, shared by induction, k-induction and
// bounded model checking, and the way back from a solver model to concrete
// states, actions and a sim::Trace.

#include <optional>
#include <string>
#include <vector>

#include "proofs/encode.h"
#include "sim/check.h"

namespace fl::proofs {

class Unrolling {
 public:
  explicit Unrolling(Encoder& enc) : enc_(enc) {}

  // Makes sure frames 0..k exist (states, their actions, the selectors of
  // the k steps).
  void ensure(size_t k);
  size_t frames() const { return states_.size(); }

  const SymState& state(size_t i) { return ensure(i), states_[i]; }
  const std::vector<SymAction>& actions(size_t i) { return ensure(i), acts_[i]; }
  // Frame i is within the variables' ranges.
  smt::Bool range(size_t i) { return ensure(i), ranges_[i]; }
  // The step from frame i-1 to frame i (i >= 1).
  smt::Bool step(size_t i) { return ensure(i), steps_[i - 1]; }
  smt::BitVec selector(size_t i) { return ensure(i), selectors_[i - 1]; }
  smt::Bool good(const Goal& g, size_t i) { return enc_.good(g, state(i), actions(i)); }
  // Frames i and j differ in some slot (for simple-path constraints).
  smt::Bool distinct(size_t i, size_t j);

 private:
  Encoder& enc_;
  std::vector<SymState> states_;
  std::vector<std::vector<SymAction>> acts_;
  std::vector<smt::Bool> ranges_, steps_;
  std::vector<smt::BitVec> selectors_;
};

// Concrete states and actions read from a solver model.
struct Path {
  std::vector<model::State> states;  // k + 1 states
  std::vector<model::Id> actions;    // k actions: actions[i] leads from states[i] to states[i+1]
};

Path read_path(const smt::Solver& solver, Encoder& enc, Unrolling& u, size_t steps);

// Replays the path with the reference evaluator: every action enabled and
// producing the next state, and (with from_init) the first state initial.
// Returns a description of the first disagreement, or nullopt.
std::optional<std::string> replay_disagreement(const model::Model& m, const Path& path,
                                               bool from_init);

sim::Trace to_trace(const model::Model& m, const Path& path);

// "actor.action" for messages.
std::string action_name(const model::Model& m, model::Id a);

}  // namespace fl::proofs

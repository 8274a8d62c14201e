#pragma once
// Liveness: `liveness NAME : eventually EXPR` under weak fairness of the
// actors marked `fair`, decided on the explored state graph.
//
// A violation is an infinite execution from the initial state, weakly fair
// to every fair actor, on which EXPR never holds.  Such an execution stays
// in the subgraph of states where EXPR is false (the "bad" states) and
// either
//   - ends in a cycle of bad states in which every fair actor that is
//     enabled in every state of the cycle takes a step (weak fairness), or
//   - reaches a bad state with no enabled action, where it stutters forever
//     (a deadlock is an infinite execution that never makes progress).
// A cycle of that kind exists inside a strongly connected component C of
// the bad subgraph exactly when C has an edge and, for every fair actor,
// the actor is disabled in some state of C or has a transition inside C:
// the cycle that walks every state and every edge of C is then fair, and
// conversely any fair cycle in C shows one of the two for each actor.
// (Weak fairness needs no refinement into sub-components; strong fairness
// would.)  The components come from Boost.Graph's strong_components.
//
// The counterexample is a lasso: a shortest path from the initial state
// through bad states (breadth-first over the bad subgraph, edges in the
// order the search fired them) to the entry of the candidate nearest to the
// initial state, then a cycle from that entry back to itself that takes one
// step of every fair actor that is enabled throughout the component.  For a
// deadlock the cycle is empty: Trace::cycle_start == steps.size().

#include <cstdint>
#include <optional>
#include <vector>

#include "model/ir.h"
#include "sim/check.h"
#include "sim/compiled.h"
#include "sim/expand.h"
#include "sim/state_table.h"

namespace fl::sim {

// The explored state graph.  The outgoing edges of stored state s are
// [begin[s], begin[s + 1]), in the order the search fired them (model
// action order), so the graph is the same for any number of threads.  It is
// recorded only for models with a liveness property.
struct StateGraph {
  std::vector<uint64_t> begin{0};
  std::vector<uint32_t> target;
  std::vector<model::Id> action;

  uint64_t expanded() const { return begin.size() - 1; }
  uint64_t bytes() const {
    return begin.capacity() * sizeof(uint64_t) + target.capacity() * sizeof(uint32_t) +
           action.capacity() * sizeof(model::Id);
  }
};

struct LivenessOutcome {
  std::optional<Violation> violation;  // kind "liveness" when the property fails
  std::optional<ChunkError> error;     // evaluating the property failed in some state
};

// Decides liveness property `property` of c.model() on a complete search
// (graph.expanded() == table.size()).
LivenessOutcome check_liveness(const Compiled& c, const StateTable& table, const StateGraph& graph,
                               model::Id property);

}  // namespace fl::sim

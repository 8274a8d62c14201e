#pragma once
// Counterexample traces, rebuilt from the visited set.
//
// The table stores no parent per state.  The search records where each BFS
// level starts; the parent of a state of level d is the first state of
// level d - 1 (in state order) that has it as a successor, because that is
// the state whose expansion stored it: states are expanded in state order,
// and no state of an earlier level has it as a successor (it would then
// belong to an earlier level).  The action of each step is the first
// enabled action (in model order) of the parent whose successor is the
// child, which is the (parent, action) pair that first discovered the
// child.  So the trace is exactly the one the search found, at no memory
// cost per state; rebuilding it re-expands at most one level per step.

#include <cstdint>
#include <vector>

#include "sim/check.h"
#include "sim/compiled.h"
#include "sim/state_table.h"

namespace fl::sim {

// The shortest trace from the initial state to stored state `target`.
// `level_starts[d]` is the number of the first state of BFS level d
// (level_starts[0] == 0); it must cover the level of `target`.
Trace build_trace(const Compiled& c, const StateTable& table,
                  const std::vector<uint64_t>& level_starts, uint64_t target);

// The values of a stored state, one per flat slot.
model::State unpack_state(const Compiled& c, const StateTable& table, uint64_t index);

}  // namespace fl::sim

#pragma once
// Counterexample traces, rebuilt from the visited set.
//
// The table stores, per state, only the number of the state it was first
// reached from.  The action of each step is recomputed: it is the first
// enabled action (in model order) of the parent whose successor is the
// child, which is exactly the (parent, action) pair that first discovered
// the child, because the search fires actions in model order.  So the trace
// is the one the search found, at no memory cost per state.

#include <cstdint>

#include "sim/check.h"
#include "sim/compiled.h"
#include "sim/state_table.h"

namespace fl::sim {

// The shortest trace from the initial state to stored state `target`.
Trace build_trace(const Compiled& c, const StateTable& table, uint64_t target);

// The values of a stored state, one per flat slot.
model::State unpack_state(const Compiled& c, const StateTable& table, uint64_t index);

}  // namespace fl::sim

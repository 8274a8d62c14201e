#pragma once
// Exhaustive breadth-first search: the engine behind sim::check()
// (declared in sim/check.h).
//
// Every stored state is numbered in BFS order (its index in the visited
// set), and the search is defined state by state in that order:
//   1. the state's invariants are evaluated; the first violating state of
//      each property (smallest number, hence a shortest trace) is kept;
//   2. every action's guard is evaluated in model order and each enabled
//      action's successor is looked up and, if new, stored; every such
//      (state, action) pair counts as one transition;
//   3. a state with no enabled action is final: its deadlock properties,
//      observation tuple and exists/not exists/forall expressions are
//      evaluated.
// The search goes on after violations, so that every property's status is
// known, and stops at the first model run-time error (verdict Error).
// Its trace leads to the state where the error happened; an error in an
// action's body adds that action as a last step with no changes.
//
// Limits stop the search cleanly with verdict Incomplete:
//   - max_states N: the search stores at most N states.  It stops when a
//     transition reaches a new state while N are stored: then states == N
//     and the transitions counted include that last one.  A model with
//     exactly N reachable states completes (Pass).  States stored but not
//     expanded still have their invariants checked; final-state results
//     (outcomes, deadlocks) cover the expanded states only.
//   - time_limit_s, max_memory_mib (the visited set's memory), a stop
//     request (request_stop(), "interrupted"), and less than 1 GiB of RAM
//     left on the machine: checked between chunks of states, so where
//     exactly they stop depends on timing.
//
// With threads > 1, chunks of states are expanded in parallel and merged in
// state order, which makes every result identical to threads = 1.

#include "sim/check.h"
#include "sim/compiled.h"
#include "sim/expand.h"

namespace fl::sim {

// The violation of kind "error" for a model run-time error, with `trace`
// leading to the state where it happened (an error in an action's body
// adds that action as a last step with no changes).
Violation make_error_violation(const Compiled& c, const ChunkError& e, Trace trace);

// Asks a running check() to stop as soon as possible with verdict
// Incomplete ("interrupted").  Safe to call from a signal handler.  The
// request stays until clear_stop_request(), so that a CLI running several
// checks stops them all.
void request_stop();
void clear_stop_request();
bool stop_requested();

}  // namespace fl::sim

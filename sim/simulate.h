#pragma once
// Seeded random walks (`faultline simulate`), for state spaces too big to
// explore exhaustively.
//
// Walk w (0-based) draws its choices from its own xoshiro256** stream,
// seeded with mix64(seed) xor mix64(w) (sim/hash.h), so a walk depends
// only on the seed and its number: the same seed reproduces every walk exactly, on any
// machine.  From the initial state each step picks one enabled action
// uniformly; a walk ends after `depth` steps or in a state with no enabled
// action.  Every visited state has its invariants checked, every final
// state its deadlock properties, observations and outcome expectations.
// For each violated property the shortest violating walk prefix is kept
// (the lowest walk number among equally short ones), with the same trace
// form as check().  The verdict is never Pass: walks are not exhaustive,
// so without a violation it is Incomplete ("random walks are not
// exhaustive").  A model run-time error stops the run (verdict Error).
//
// Swarm mode gives each walk its own random configuration: every action is
// kept with probability 1/2, and a walk picks among the enabled actions it
// keeps (among all enabled ones when it keeps none of them, so that a state
// is final only when no action at all is enabled).  Different walks thus
// stress different parts of the model.  Liveness properties are not checked
// by walks.

#include <cstdint>

#include "model/ir.h"
#include "sim/check.h"

namespace fl::sim {

struct SimulateOptions {
  uint64_t seed = 0;
  uint64_t walks = 100;
  uint64_t depth = 1000;
  bool swarm = false;
  // max_states bounds the visited states over all walks, time_limit_s the
  // run; either stops it cleanly between steps.
  Limits limits;
};

CheckResult simulate(const model::Model& m, const SimulateOptions& opts);

// A seed from /dev/urandom (falling back to the clock), for runs without
// --seed; the caller prints it so that the run can be reproduced.
uint64_t random_seed();

}  // namespace fl::sim

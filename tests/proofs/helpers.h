#pragma once
// Models and a reference breadth-first search for the prover's tests.  The
// models are built with model::Builder so that these tests depend on
// neither the scenario language nor the explorer.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"

namespace fl::test {

struct PostcopyOptions {
  int vcpus = 2;
  int pages = 4;
  bool wake_prefetch = true;
  // An extra invariant that holds but is not inductive on its own:
  // blocked[v] -> pending[page(v)] || handler == RESOLVING(page(v)).
  bool blocked_has_request = false;
};

// postcopy(V, P) of shared/bench/postcopy-model.md; handler is 0 for IDLE
// and p + 1 for RESOLVING(p).
model::Model postcopy(const PostcopyOptions& o);

// Two processes taking turns through a shared token; every invariant is
// inductive, one only together with another.
model::Model token_ring();

// A random model exercising every operator, lazy evaluation, lets, ifs,
// asserts, symbolic indexes and every run-time error.
model::Model random_model(std::mt19937_64& rng);

// A random state within the variables' ranges.
model::State random_state(const model::Model& m, std::mt19937_64& rng);

// Every scenario under scenarios/ elaborated for the baseline variant with
// default parameters, by file name.  A scenario that does not load is
// reported on stderr and left out: the language has its own tests.
std::vector<std::pair<std::string, model::Model>> shipped_scenarios();

// Reference breadth-first search over model::successor: the reachable
// states and the depth of the shortest violation of each goal (by name, as
// proofs::goals() names them).
struct Bfs {
  std::set<model::State> reachable;
  std::map<std::string, size_t> shortest;
  size_t depth = 0;  // deepest level expanded
  bool complete = true;
};
Bfs bfs(const model::Model& m, size_t max_depth = SIZE_MAX, size_t max_states = 2'000'000);

}  // namespace fl::test

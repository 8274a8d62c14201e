#pragma once
// The result contract between the engines (sim/, proofs/) and the CLI:
// what checking one model (one scenario, one variant, one parameter
// assignment) produced.  docs/json.md documents its JSON form.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"

namespace fl::sim {

struct Limits {
  uint64_t max_states = 0;      // 0 = no limit
  double time_limit_s = 0;      // 0 = no limit
  uint64_t max_memory_mib = 0;  // 0 = no limit (the engine still stops before exhausting RAM)
};

struct CheckOptions {
  Limits limits;
  unsigned threads = 1;
  bool reduction = true;  // false: every state-space reduction off (--no-reduction)
  uint64_t seed = 0;
  bool progress = false;  // live progress line on stderr (only when it is a terminal)
};

// One step of a counterexample: the action fired and what it changed.
struct Change {
  uint32_t slot = 0;
  model::Value before = 0;
  model::Value after = 0;
};

struct TraceStep {
  model::Id action = model::kNoId;
  std::vector<Change> changes;
};

struct Trace {
  model::State initial;
  std::vector<TraceStep> steps;
  // For a lasso (liveness) counterexample: steps[cycle_start..] repeat forever.
  size_t cycle_start = std::numeric_limits<size_t>::max();
  bool is_lasso() const { return cycle_start != std::numeric_limits<size_t>::max(); }
};

// kind: "invariant", "deadlock", "liveness" or "error" (a run-time error of
// the model itself: index out of range, value out of range, failed assert).
struct Violation {
  std::string property;  // "" for kind "error"
  std::string kind;
  std::string message;
  Trace trace;
  model::SourceLoc loc;  // the property's, or where a model error happened
};

enum class Verdict { Pass, Violation, Incomplete, Error };
const char* to_string(Verdict v);

struct ExpectationResult {
  std::string text;  // as written in the scenario
  bool met = false;
  std::string detail;  // why not, or "" when met
};

struct CheckResult {
  Verdict verdict = Verdict::Pass;
  uint64_t states = 0;       // distinct states stored
  uint64_t transitions = 0;  // (state, enabled action) pairs fired
  uint32_t depth = 0;        // BFS depth reached
  double seconds = 0;
  uint64_t peak_memory_bytes = 0;
  // Set when verdict is Incomplete, and also when a limit stopped a search
  // that had already found a violation (so the verdict is Violation but the
  // other properties and the outcome set were not checked exhaustively).
  std::string incomplete_reason;
  std::vector<Violation> violations;  // the first (shortest) per property, in property order
  std::vector<std::vector<model::Value>> outcomes;  // sorted, distinct final observation tuples
  std::vector<ExpectationResult> expectations;
  bool expectation_met = true;
  uint64_t reduced_from_states = 0;  // states without reductions, when known (0 = unknown)
  uint64_t final_states = 0;         // reachable states with no enabled action
  // Per expectation (index into Model::expectations) of kind exists / not
  // exists / forall: how many final states satisfy its expression and how
  // many do not.  Filled by the engine; read by evaluate_expectations().
  std::vector<uint64_t> final_true;
  std::vector<uint64_t> final_false;
};

// Exhaustive exploration of `m`.
CheckResult check(const model::Model& m, const CheckOptions& opts);

// Fills result.expectations / expectation_met from the scenario's `expect`
// clauses (a property with no clause is expected to hold).
void evaluate_expectations(const model::Model& m, CheckResult& result);

}  // namespace fl::sim

#pragma once
// Inductive proofs of a model's properties for all states, reachable or not
// (docs/proofs.md).
//
// For each invariant and deadlock property P (a deadlock property is the
// state predicate "some action is enabled, or its expression holds"), and
// for the special property model-error:
//   1. Init => P.  A failure is a real violation in the initial state.
//   2. P and T => P' (plain induction).
//   3. If that fails (or with `strengthen`): H and P and T => P', where H is
//      the largest subset of the scenario's invariants (and model-error)
//      that is inductive as a whole (Houdini), so every member of H is
//      itself proved.
//   4. If that fails: k-induction for k = 2..max_k, assuming H in every
//      frame; its base case is bounded model checking, so a real violation
//      within depth max_k - 1 is found here, with its shortest trace.
// Otherwise the result is a counterexample to induction: a pre-state where
// P (and H) holds, an action, and a post-state where P fails.  The
// pre-state may be unreachable (P then needs a stronger companion
// invariant); the CLI asks the explorer which.

#include <optional>
#include <string>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"
#include "proofs/smt.h"
#include "sim/check.h"

namespace fl::proofs {

struct ProveOptions {
  unsigned max_k = 8;                   // k-induction bound (1 = plain induction only)
  bool strengthen = false;              // use the invariant core from the start (--strengthen)
  bool simple_path = false;             // k-induction: frames pairwise distinct
  std::vector<std::string> properties;  // only these (empty: all)
  std::string dump_smt_dir;             // --dump-smt DIR ("" = no dump)
  unsigned timeout_ms = 0;              // per query (0 = no limit)
};

enum class ProofStatus { Proved, Violated, Unknown, Skipped };
const char* to_string(ProofStatus s);

// A counterexample to induction: `pre` satisfies the assumption, `action`
// leads to `post`, which violates the property.
struct Cti {
  model::State pre;
  model::Id action = model::kNoId;
  model::State post;
  // Other properties the evaluator finds false in `pre`: each would rule
  // this pre-state out if it were assumed (a strengthening to try).
  std::vector<std::string> ruled_out_by;
};

struct PropertyProof {
  std::string property;
  std::string kind;  // "invariant", "deadlock", "error", "liveness"
  ProofStatus status = ProofStatus::Unknown;
  unsigned k = 0;  // Proved: 1 for plain induction, else k of k-induction
  std::vector<std::string> strengthened_with;  // Proved using these proved invariants
  std::optional<Cti> plain_cti;                // why plain induction failed (when it did)
  std::optional<Cti> cti;           // Unknown: the counterexample to the strongest 1-step check
  std::optional<sim::Trace> trace;  // Violated: a shortest trace from the initial state
  std::string message;              // Violated: what is wrong; Skipped: why
  double seconds = 0;
  unsigned queries = 0;
};

struct ProveResult {
  std::vector<PropertyProof> properties;
  std::vector<std::string> invariant_core;  // H: proved jointly inductive
  std::vector<smt::QueryRecord> queries;
  unsigned width = 0;  // bit-vector width of the encoding
  double seconds = 0;
  // Set when the solver and the reference evaluator disagreed about a
  // concrete state (a bug in the encoding); the verdicts are then suspect.
  std::string internal_error;

  bool all_proved() const;
  const PropertyProof* find(const std::string& property) const;
};

ProveResult prove(const model::Model& m, const ProveOptions& opts = {});

// "<property> (<kind>): proved (inductive)" lines, with counterexamples.
std::string render(const model::Model& m, const ProveResult& r);

// One line per slot-group, "pte = [NONE, PRESENT]", for reports.
std::string render_state(const model::Model& m, const model::State& s, const std::string& indent);

}  // namespace fl::proofs

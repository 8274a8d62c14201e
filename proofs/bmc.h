#pragma once
// Bounded model checking with Z3: Init(s0) and T(s0, s1) ... T(sk-1, sk),
// for k = 0, 1, ..., depth, asking at each k whether some property not yet
// violated is violated in sk.  Because k grows one step at a time, each
// violation found has a shortest trace, the same length as the explicit
// explorer's breadth-first counterexample (tests/proofs check this).
//
// Checked in every frame: invariants, deadlock properties (a state with no
// enabled action where the expression is false) and model-error (a
// run-time error of the model).  Liveness needs cycles and is left to the
// explorer.

#include <string>
#include <vector>

#include "model/ir.h"
#include "proofs/smt.h"
#include "sim/check.h"

namespace fl::proofs {

struct BmcOptions {
  unsigned depth = 20;
  bool stop_at_first = false;  // false: the shortest violation of every property
  // Also ask, at each depth without a violation, whether a longer loop-free
  // path exists; when none does, every reachable state has been covered
  // and the verdict is exhaustive (costs a quadratic number of terms).
  bool completeness = false;
  std::string dump_smt_dir;  // --dump-smt DIR
  unsigned timeout_ms = 0;   // per query
};

struct BmcResult {
  // The shortest violation of each property, in goal order (invariants and
  // deadlock properties in declaration order, then "model-error").
  std::vector<sim::Violation> violations;
  unsigned depth_checked = 0;  // every path of at most this many steps was examined
  bool complete = false;       // no loop-free path is longer: the result is exhaustive
  bool gave_up = false;        // the solver answered unknown (timeout)
  unsigned width = 0;
  double seconds = 0;
  std::vector<smt::QueryRecord> queries;
  std::string internal_error;  // the solver and the evaluator disagreed (encoding bug)

  const sim::Violation* find(const std::string& property) const;
};

BmcResult bmc(const model::Model& m, const BmcOptions& opts = {});

// The explorer's result form, for the CLI's reports: Violation when
// something was found, Pass when the search was complete, Incomplete
// ("no violation within depth K") otherwise, Error on an internal error.
sim::CheckResult to_check_result(const BmcResult& r);

std::string render(const model::Model& m, const BmcResult& r);

}  // namespace fl::proofs

#pragma once
// The debug switch of `faultline check`: evaluate what the prover encodes
// on concrete states, once through Z3 (the symbolic encoding with the
// state's values substituted) and once with the reference evaluator, and
// report the first disagreement.  An agreement on every explored state is
// evidence that the encoding and model/eval.cpp define the same thing.

#include <memory>
#include <optional>
#include <string>

#include "model/eval.h"
#include "model/ir.h"

namespace fl::proofs {

// Encodes the model once; then checks any number of states cheaply.
class CrossChecker {
 public:
  explicit CrossChecker(const model::Model& m);
  ~CrossChecker();
  CrossChecker(const CrossChecker&) = delete;
  CrossChecker& operator=(const CrossChecker&) = delete;

  // Every property's expression (its value, or its run-time error).
  std::optional<std::string> check_state(const model::State& s);
  // Every action's guard, error and successor state.
  std::optional<std::string> check_actions(const model::State& s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot form of CrossChecker::check_state.
std::optional<std::string> cross_check_state(const model::Model& m, const model::State& s);

}  // namespace fl::proofs

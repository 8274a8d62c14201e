#pragma once
// Test helpers shared by the mm and KVM model suites (test_mm, test_kvm):
// build a model from scenario text, a tiny breadth-first explorer over
// model::enabled / model::successor (the reference semantics; the fast
// explorer in sim/ is tested against the same), a liveness judge, and a
// stepper that fires named actions one by one.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"

namespace fl::model::test {

// Elaborates `text` (a whole scenario, `scenario NAME` line optional).
Model build(const std::string& text, const std::string& variant = "linux-6.18");

struct Explored {
  size_t states = 0;
  std::vector<State> finals;        // states without an enabled action
  std::set<std::string> violated;   // properties violated somewhere
  std::vector<std::string> errors;  // model run-time errors
  bool complete = true;
};
Explored explore(const Model& m, size_t limit = 3'000'000);

// The distinct values (as labels) of observation or variable `name` over
// the final states.
std::set<std::string> finals_of(const Model& m, const Explored& x, const std::string& name);
// The distinct tuples "a=X b=Y" of several names over the final states.
std::set<std::string> tuples_of(const Model& m, const Explored& x,
                                const std::vector<std::string>& names);

// Value of variable `name` (element `index` for arrays) in `s`, as a label.
std::string value(const Model& m, const State& s, const std::string& name, int index = -1);

// Fires `actor`'s action whose name contains `action` (it must be the only
// enabled one matching); fails the test otherwise.
State fire(const Model& m, const State& s, const std::string& actor, const std::string& action);
// Names ("actor.action") of the actions enabled in `s`.
std::vector<std::string> enabled_names(const Model& m, const State& s);
// The kernel_function of the action named like fire() would pick.
std::string kernel_function(const Model& m, const std::string& actor, const std::string& action);

// Whether liveness property `property` fails (kvm_liveness.cpp: the
// definition of sim/liveness.h on the full state graph).
bool liveness_violated(const Model& m, Id property);

// Judges the model's expectations like the explorer would: holds /
// violated against `x.violated`, exists / not exists / forall over the
// final states.  Returns one message per unmet expectation.
std::vector<std::string> unmet_expectations(const Model& m, const Explored& x);

}  // namespace fl::model::test

namespace fl::model::test {
// Shorthand: the final values of register `reg` of the scenario `text`.
std::set<std::string> outcomes(const std::string& text, const std::string& reg,
                               const std::string& variant = "linux-6.18");
using Labels = std::set<std::string>;
}  // namespace fl::model::test

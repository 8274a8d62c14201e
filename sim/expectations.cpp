#include "sim/check.h"

namespace fl::sim {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Pass:
      return "pass";
    case Verdict::Violation:
      return "violation";
    case Verdict::Incomplete:
      return "incomplete";
    case Verdict::Error:
      return "error";
  }
  return "?";
}

namespace {

const Violation* find_violation(const CheckResult& r, const std::string& property) {
  for (const Violation& v : r.violations) {
    if (v.property == property) return &v;
  }
  return nullptr;
}

ExpectationResult judge(const model::Model& m, const CheckResult& r, size_t index) {
  using model::ExpectationKind;
  const model::Expectation& e = m.expectations[index];
  ExpectationResult out;
  out.text = e.text;
  // A Violation found by a search that a limit then stopped is not exhaustive either.
  const bool exhaustive = r.verdict != Verdict::Incomplete && r.incomplete_reason.empty();
  switch (e.kind) {
    case ExpectationKind::Holds:
    case ExpectationKind::Violated: {
      const std::string& name = m.properties.at(e.property).name;
      const bool violated = find_violation(r, name) != nullptr;
      if (e.kind == ExpectationKind::Holds) {
        out.met = !violated && exhaustive;
        out.detail = violated ? name + " is violated" : (exhaustive ? "" : "not exhaustive");
      } else {
        out.met = violated;
        out.detail =
            violated ? "" : (exhaustive ? name + " holds" : "no violation found (not exhaustive)");
      }
      return out;
    }
    case ExpectationKind::Exists:
    case ExpectationKind::NotExists:
    case ExpectationKind::Forall: {
      const uint64_t yes = index < r.final_true.size() ? r.final_true[index] : 0;
      const uint64_t no = index < r.final_false.size() ? r.final_false[index] : 0;
      if (e.kind == ExpectationKind::Exists) {
        out.met = yes > 0;
        out.detail =
            out.met ? ""
                    : (exhaustive ? "no final state satisfies it" : "not found (not exhaustive)");
      } else if (e.kind == ExpectationKind::NotExists) {
        out.met = yes == 0 && exhaustive;
        out.detail = yes > 0 ? std::to_string(yes) + " final state(s) satisfy it"
                             : (exhaustive ? "" : "not exhaustive");
      } else {
        out.met = no == 0 && exhaustive;
        out.detail = no > 0 ? std::to_string(no) + " final state(s) do not satisfy it"
                            : (exhaustive ? "" : "not exhaustive");
      }
      return out;
    }
  }
  return out;
}

}  // namespace

void evaluate_expectations(const model::Model& m, CheckResult& result) {
  result.expectations.clear();
  result.expectation_met = true;
  std::vector<bool> mentioned(m.properties.size(), false);
  for (size_t i = 0; i < m.expectations.size(); ++i) {
    const model::Expectation& e = m.expectations[i];
    if (e.property != model::kNoId) mentioned[e.property] = true;
    ExpectationResult r = judge(m, result, i);
    result.expectation_met = result.expectation_met && r.met;
    result.expectations.push_back(std::move(r));
  }
  // A property the scenario says nothing about is expected to hold.
  for (size_t p = 0; p < m.properties.size(); ++p) {
    if (mentioned[p]) continue;
    const std::string& name = m.properties[p].name;
    if (find_violation(result, name) != nullptr) {
      result.expectation_met = false;
      result.expectations.push_back({name + " holds (implicit)", false, name + " is violated"});
    }
  }
  if (result.verdict == Verdict::Error) result.expectation_met = false;
}

}  // namespace fl::sim

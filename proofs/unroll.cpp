#include "proofs/unroll.h"

namespace fl::proofs {

void Unrolling::ensure(size_t k) {
  while (states_.size() <= k) {
    size_t i = states_.size();
    std::string tag = std::to_string(i);
    states_.push_back(enc_.fresh_state(tag));
    acts_.push_back(enc_.actions(states_.back()));
    ranges_.push_back(enc_.in_range(states_.back()));
    if (i > 0) {
      selectors_.push_back(enc_.action_var(tag));
      steps_.push_back(enc_.transition(acts_[i - 1], selectors_.back(), states_[i]));
    }
  }
}

smt::Bool Unrolling::distinct(size_t i, size_t j) {
  return !enc_.equal(state(i), state(j));
}

Path read_path(const smt::Solver& solver, Encoder& enc, Unrolling& u, size_t steps) {
  Path p;
  for (size_t i = 0; i <= steps; ++i) p.states.push_back(enc.read_state(solver, u.state(i)));
  for (size_t i = 1; i <= steps; ++i) {
    p.actions.push_back(static_cast<model::Id>(solver.uvalue(u.selector(i))));
  }
  return p;
}

std::string action_name(const model::Model& m, model::Id a) {
  if (a >= m.actions.size()) return "action #" + std::to_string(a);
  return m.actors[m.actions[a].actor].name + "." + m.actions[a].name;
}

std::optional<std::string> replay_disagreement(const model::Model& m, const Path& path,
                                               bool from_init) {
  if (from_init && path.states.front() != model::initial_state(m)) {
    return "the solver's first state is not the initial state";
  }
  for (size_t i = 0; i < path.actions.size(); ++i) {
    model::Id a = path.actions[i];
    std::string where = "step " + std::to_string(i + 1) + " (" + action_name(m, a) + ")";
    if (a >= m.actions.size()) return where + ": no such action";
    model::EvalError err;
    auto en = model::enabled(m, a, path.states[i], err);
    if (!en) return where + ": the guard errs: " + err.message;
    if (!*en) return where + ": the guard is false in the evaluator";
    auto next = model::successor(m, a, path.states[i], err);
    if (!next) return where + ": the body errs: " + err.message;
    if (*next != path.states[i + 1]) {
      for (uint32_t s = 0; s < m.num_slots(); ++s) {
        if ((*next)[s] != path.states[i + 1][s]) {
          return where + ": " + m.slot_name(s) + " is " + std::to_string((*next)[s]) +
                 " in the evaluator and " + std::to_string(path.states[i + 1][s]) +
                 " for the solver";
        }
      }
    }
  }
  return std::nullopt;
}

sim::Trace to_trace(const model::Model& m, const Path& path) {
  sim::Trace t;
  t.initial = path.states.front();
  for (size_t i = 0; i < path.actions.size(); ++i) {
    sim::TraceStep step;
    step.action = path.actions[i];
    for (uint32_t s = 0; s < m.num_slots(); ++s) {
      if (path.states[i][s] != path.states[i + 1][s]) {
        step.changes.push_back({s, path.states[i][s], path.states[i + 1][s]});
      }
    }
    t.steps.push_back(std::move(step));
  }
  return t;
}

}  // namespace fl::proofs

#include "sim/outcome_traces.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "model/eval.h"

namespace fl::sim {

namespace {

struct StateHash {
  size_t operator()(const model::State& s) const {
    uint64_t h = 1469598103934665603ULL;
    for (model::Value v : s) {
      h ^= static_cast<uint64_t>(v);
      h *= 1099511628211ULL;
    }
    return static_cast<size_t>(h);
  }
};

struct Node {
  uint64_t parent = 0;
  model::Id action = model::kNoId;
};

}  // namespace

OutcomeTraces outcome_traces(const model::Model& m, const OutcomeTraceOptions& opts) {
  OutcomeTraces out;
  std::vector<model::State> states;
  std::vector<Node> nodes;
  std::unordered_map<model::State, uint64_t, StateHash> index;
  states.push_back(model::initial_state(m));
  nodes.push_back(Node{});
  index.emplace(states[0], 0);
  // Final states per outcome, in breadth-first order (so the first ones are the shortest).
  std::map<std::vector<model::Value>, std::vector<uint64_t>> finals;
  model::EvalError err;
  for (uint64_t cur = 0; cur < states.size(); ++cur) {
    bool any = false;
    for (model::Id a = 0; a < m.actions.size(); ++a) {
      const auto on = model::enabled(m, a, states[cur], err);
      if (!on) {
        out.error = err.message;
        break;
      }
      if (!*on) continue;
      any = true;
      auto next = model::successor(m, a, states[cur], err);
      if (!next) {
        out.error = err.message;
        break;
      }
      if (index.count(*next) != 0) continue;
      if (states.size() >= opts.max_states) {
        out.complete = false;
        continue;
      }
      index.emplace(*next, states.size());
      states.push_back(std::move(*next));
      nodes.push_back(Node{cur, a});
    }
    if (!out.error.empty()) break;
    if (any) continue;
    std::vector<model::Value> outcome;
    for (const model::Observation& o : m.observations) {
      const auto v = model::eval(m, o.expr, states[cur], {}, err);
      if (!v) {
        out.error = err.message;
        break;
      }
      outcome.push_back(*v);
    }
    if (!out.error.empty()) break;
    auto& list = finals[outcome];
    if (list.size() < opts.per_outcome) list.push_back(cur);
  }
  for (const auto& [outcome, list] : finals) {
    for (uint64_t s : list) {
      OutcomeTrace t;
      t.outcome = outcome;
      for (uint64_t at = s; at != 0; at = nodes[at].parent) t.actions.push_back(nodes[at].action);
      std::reverse(t.actions.begin(), t.actions.end());
      out.traces.push_back(std::move(t));
    }
  }
  return out;
}

std::vector<std::vector<model::Value>> reachable_outcomes(const model::Model& m,
                                                          const std::vector<model::Value>& start,
                                                          uint64_t max_states) {
  std::vector<model::State> states = {start};
  std::unordered_map<model::State, uint64_t, StateHash> index = {{start, 0}};
  std::map<std::vector<model::Value>, bool> outcomes;
  model::EvalError err;
  for (uint64_t cur = 0; cur < states.size(); ++cur) {
    bool any = false;
    for (model::Id a = 0; a < m.actions.size(); ++a) {
      const auto on = model::enabled(m, a, states[cur], err);
      if (!on) return {};
      if (!*on) continue;
      any = true;
      auto next = model::successor(m, a, states[cur], err);
      if (!next) return {};
      if (index.count(*next) != 0) continue;
      if (states.size() >= max_states) return {};
      index.emplace(*next, states.size());
      states.push_back(std::move(*next));
    }
    if (any) continue;
    std::vector<model::Value> outcome;
    for (const model::Observation& o : m.observations) {
      const auto v = model::eval(m, o.expr, states[cur], {}, err);
      if (!v) return {};
      outcome.push_back(*v);
    }
    outcomes[outcome] = true;
  }
  std::vector<std::vector<model::Value>> out;
  for (const auto& [o, unused] : outcomes) out.push_back(o);
  return out;
}

}  // namespace fl::sim

#include "sim/reach.h"

#include <deque>
#include <unordered_map>

namespace fl::sim {

namespace {

struct StateHash {
  size_t operator()(const model::State& s) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (model::Value v : s) {
      h ^= static_cast<uint64_t>(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    }
    return h;
  }
};

struct Visit {
  model::State parent;
  model::Id action = model::kNoId;
  bool root = false;
};

Trace rebuild(const std::unordered_map<model::State, Visit, StateHash>& seen,
              const model::State& target) {
  std::vector<std::pair<model::Id, model::State>> rev;
  model::State cur = target;
  while (!seen.at(cur).root) {
    const Visit& v = seen.at(cur);
    rev.emplace_back(v.action, cur);
    cur = v.parent;
  }
  Trace t;
  t.initial = cur;
  model::State prev = cur;
  for (auto it = rev.rbegin(); it != rev.rend(); ++it) {
    TraceStep step;
    step.action = it->first;
    for (uint32_t s = 0; s < prev.size(); ++s) {
      if (prev[s] != it->second[s]) step.changes.push_back({s, prev[s], it->second[s]});
    }
    t.steps.push_back(std::move(step));
    prev = it->second;
  }
  return t;
}

}  // namespace

ReachResult find_state(const model::Model& m, const model::State& target, uint64_t max_states) {
  ReachResult out;
  std::unordered_map<model::State, Visit, StateHash> seen;
  std::deque<model::State> queue;
  const model::State init = model::initial_state(m);
  seen.emplace(init, Visit{{}, model::kNoId, true});
  queue.push_back(init);
  while (!queue.empty()) {
    const model::State s = std::move(queue.front());
    queue.pop_front();
    ++out.states;
    if (s == target) {
      out.answer = Reachability::Reachable;
      out.trace = rebuild(seen, target);
      return out;
    }
    for (model::Id a = 0; a < m.actions.size(); ++a) {
      model::EvalError err;
      const auto en = model::enabled(m, a, s, err);
      if (!en || !*en) continue;
      auto next = model::successor(m, a, s, err);
      if (!next || seen.count(*next)) continue;
      if (seen.size() >= max_states) return out;  // Unknown: not exhaustive
      seen.emplace(*next, Visit{s, a, false});
      queue.push_back(std::move(*next));
    }
  }
  out.answer = Reachability::Unreachable;
  return out;
}

VisitResult visit_reachable(const model::Model& m, uint64_t max_states,
                            const std::function<bool(const model::State&)>& visit) {
  VisitResult out;
  std::unordered_map<model::State, Visit, StateHash> seen;
  std::deque<model::State> queue;
  const model::State init = model::initial_state(m);
  seen.emplace(init, Visit{{}, model::kNoId, true});
  queue.push_back(init);
  while (!queue.empty()) {
    if (out.states >= max_states) return out;
    const model::State s = std::move(queue.front());
    queue.pop_front();
    ++out.states;
    if (!visit(s)) return out;
    for (model::Id a = 0; a < m.actions.size(); ++a) {
      model::EvalError err;
      const auto en = model::enabled(m, a, s, err);
      if (!en || !*en) continue;
      auto next = model::successor(m, a, s, err);
      if (!next || seen.count(*next)) continue;
      seen.emplace(*next, Visit{s, a, false});
      queue.push_back(std::move(*next));
    }
  }
  out.exhausted = true;
  return out;
}

}  // namespace fl::sim

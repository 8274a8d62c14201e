// A small liveness judge for the kernel-model tests (they do not link sim/,
// whose explorer decides liveness for `faultline check`).  Same definition
// as sim/liveness.h: `eventually EXPR` fails when an execution that is
// weakly fair to every fair actor never reaches a state where EXPR holds,
// either by stopping in a state without enabled actions or by staying in a
// cycle of such states in which every fair actor is disabled somewhere or
// takes a step.

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "tests/support/kernel_model_test.h"

namespace fl::model::test {

bool liveness_violated(const Model& m, Id property) {
  // The states reachable from the initial state through states where EXPR
  // is false (an execution that ever satisfies EXPR is no counterexample).
  auto bad = [&](const State& s) {
    EvalError err;
    auto v = eval(m, m.properties[property].expr, s, {}, err);
    return !v || *v == 0;
  };
  std::map<State, int> index;
  std::vector<State> states;
  std::vector<std::vector<std::pair<int, Id>>> edges;  // (target, actor), bad targets only
  std::vector<std::vector<bool>> enabled_actor;
  std::deque<int> frontier;
  State init = initial_state(m);
  if (!bad(init)) return false;
  index[init] = 0;
  states.push_back(init);
  frontier.push_back(0);
  while (!frontier.empty()) {
    const int i = frontier.front();
    frontier.pop_front();
    edges.resize(states.size());
    enabled_actor.resize(states.size());
    enabled_actor[i].assign(m.actors.size(), false);
    bool any = false;
    for (Id a = 0; a < m.actions.size(); ++a) {
      EvalError err;
      auto en = enabled(m, a, states[i], err);
      if (!en || !*en) continue;
      any = true;
      enabled_actor[i][m.actions[a].actor] = true;
      auto next = successor(m, a, states[i], err);
      if (!next || !bad(*next)) continue;
      auto [it, fresh] = index.emplace(*next, static_cast<int>(states.size()));
      if (fresh) {
        states.push_back(*next);
        frontier.push_back(it->second);
      }
      edges[i].push_back({it->second, m.actions[a].actor});
    }
    if (!any) return true;  // stops where EXPR never held
  }
  edges.resize(states.size());
  // Tarjan's strongly connected components of the bad subgraph.
  const int n = static_cast<int>(states.size());
  std::vector<int> idx(n, -1), low(n, 0), comp(n, -1), stack;
  std::vector<bool> on(n, false);
  int counter = 0, ncomp = 0;
  std::function<void(int)> visit = [&](int v) {
    idx[v] = low[v] = counter++;
    stack.push_back(v);
    on[v] = true;
    for (auto [w, actor] : edges[v]) {
      (void)actor;
      if (idx[w] < 0) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on[w]) {
        low[v] = std::min(low[v], idx[w]);
      }
    }
    if (low[v] == idx[v]) {
      int w = -1;
      do {
        w = stack.back();
        stack.pop_back();
        on[w] = false;
        comp[w] = ncomp;
      } while (w != v);
      ++ncomp;
    }
  };
  for (int v = 0; v < n; ++v) {
    if (idx[v] < 0) visit(v);
  }
  for (int c = 0; c < ncomp; ++c) {
    bool cycle = false;
    std::vector<bool> steps(m.actors.size(), false), disabled(m.actors.size(), false);
    for (int v = 0; v < n; ++v) {
      if (comp[v] != c) continue;
      for (Id a = 0; a < m.actors.size(); ++a) disabled[a] = disabled[a] || !enabled_actor[v][a];
      for (auto [w, actor] : edges[v]) {
        if (comp[w] != c) continue;
        cycle = true;
        steps[actor] = true;
      }
    }
    if (!cycle) continue;
    bool fair = true;
    for (Id a = 0; a < m.actors.size(); ++a) {
      if (m.actors[a].fair && !disabled[a] && !steps[a]) fair = false;
    }
    if (fair) return true;
  }
  return false;
}

}  // namespace fl::model::test

#pragma once
// Helpers shared by the scenario-language tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "model/eval.h"
#include "model/ir.h"
#include "model/lang/frontend.h"

namespace fl::lang::test {

inline std::string source_dir() {
  return FL_SOURCE_DIR;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Parses `text` as file `file` and elaborates it for the baseline variant;
// returns the rendered error, or "" when both succeed.
inline std::string error_of(const std::string& file, const std::string& text,
                            const std::string& variant = "linux-6.18",
                            const std::vector<std::pair<std::string, std::string>>& params = {}) {
  try {
    Scenario::parse(file, text).elaborate(variant, params);
  } catch (const ScenarioError& e) {
    return e.render();
  }
  return "";
}

inline model::Model elaborate(const std::string& text,
                              const std::vector<std::pair<std::string, std::string>>& params = {},
                              const std::string& variant = "linux-6.18") {
  return Scenario::parse("test.fl", text).elaborate(variant, params);
}

// A brute-force breadth-first search with the reference evaluator (no
// reductions), for checking small models exactly.
struct Search {
  uint64_t states = 0;
  uint64_t transitions = 0;
  uint32_t depth = 0;
  // Property name -> BFS depth of the first state that violates it (absent: holds).
  std::map<std::string, uint32_t> first_violation;
  std::vector<model::State> final_states;  // reachable states with no enabled action
};

inline bool holds(const model::Model& m, model::Id expr, const model::State& s) {
  model::EvalError err;
  auto v = model::eval(m, expr, s, {}, err);
  EXPECT_TRUE(v.has_value()) << err.message;
  return v && *v != 0;
}

inline void check_properties(const model::Model& m, const model::State& s, uint32_t depth,
                             bool terminal, Search& out) {
  for (const auto& p : m.properties) {
    bool applies = p.kind == model::PropertyKind::Invariant ||
                   (p.kind == model::PropertyKind::Deadlock && terminal);
    if (applies && !holds(m, p.expr, s)) out.first_violation.emplace(p.name, depth);
  }
}

inline Search bfs(const model::Model& m) {
  Search out;
  std::map<model::State, uint32_t> seen;
  std::deque<model::State> queue;
  model::State init = model::initial_state(m);
  seen.emplace(init, 0);
  queue.push_back(init);
  while (!queue.empty()) {
    model::State s = std::move(queue.front());
    queue.pop_front();
    uint32_t d = seen.at(s);
    out.depth = std::max(out.depth, d);
    bool terminal = true;
    for (model::Id a = 0; a < m.actions.size(); ++a) {
      model::EvalError err;
      auto on = model::enabled(m, a, s, err);
      EXPECT_TRUE(on.has_value()) << err.message;
      if (!on || !*on) continue;
      terminal = false;
      ++out.transitions;
      auto next = model::successor(m, a, s, err);
      EXPECT_TRUE(next.has_value()) << err.message;
      if (next && seen.emplace(*next, d + 1).second) queue.push_back(std::move(*next));
    }
    check_properties(m, s, d, terminal, out);
    if (terminal) out.final_states.push_back(s);
  }
  out.states = seen.size();
  return out;
}

}  // namespace fl::lang::test

#include "tests/support/kernel_model_test.h"

#include <gtest/gtest.h>

#include <deque>
#include <unordered_set>

#include "model/builder.h"
#include "model/lang/frontend.h"
#include "model/load/loader.h"

namespace fl::model::test {

namespace {

struct StateHash {
  size_t operator()(const State& s) const {
    size_t h = 1469598103934665603ull;
    for (Value v : s) h = (h ^ static_cast<size_t>(v)) * 1099511628211ull;
    return h;
  }
};

std::string label(const Model& m, Id var, Value v) {
  const Var& x = m.vars[var];
  if (!x.labels.empty() && v >= x.min && v - x.min < static_cast<Value>(x.labels.size())) {
    return x.labels[static_cast<size_t>(v - x.min)];
  }
  return std::to_string(v);
}

std::string obs_value(const Model& m, const State& s, const std::string& name) {
  for (const Observation& o : m.observations) {
    if (o.name != name) continue;
    EvalError err;
    auto v = eval(m, o.expr, s, {}, err);
    if (!v) return "error";
    Value i = *v - o.label_base;
    if (i >= 0 && i < static_cast<Value>(o.labels.size())) return o.labels[static_cast<size_t>(i)];
    return std::to_string(*v);
  }
  return value(m, s, name);
}

}  // namespace

Model build(const std::string& text, const std::string& variant) {
  std::string src = text;
  if (src.find("scenario ") == std::string::npos) {
    std::string header = "scenario test \"kernel model unit test\"\n";
    if (variant != "linux-6.18") header += "variants linux-6.18, " + variant + "\n";
    src = header + src;
  }
  try {
    lang::Scenario sc = lang::Scenario::parse("test.fl", src, kernel_extensions());
    return sc.elaborate(variant, {});
  } catch (const lang::ScenarioError& e) {
    ADD_FAILURE() << e.render();
    throw;
  }
}

Explored explore(const Model& m, size_t limit) {
  Explored x;
  std::unordered_set<State, StateHash> seen;
  std::deque<State> frontier;
  State init = initial_state(m);
  seen.insert(init);
  frontier.push_back(init);
  std::vector<Id> invariants, deadlocks;
  for (Id p = 0; p < m.properties.size(); ++p) {
    if (m.properties[p].kind == PropertyKind::Invariant) invariants.push_back(p);
    if (m.properties[p].kind == PropertyKind::Deadlock) deadlocks.push_back(p);
  }
  auto holds = [&](Id p, const State& s) {
    EvalError err;
    auto v = eval(m, m.properties[p].expr, s, {}, err);
    if (!v) x.errors.push_back("property " + m.properties[p].name + ": " + err.message);
    return v && *v != 0;
  };
  while (!frontier.empty()) {
    State s = std::move(frontier.front());
    frontier.pop_front();
    for (Id p : invariants) {
      if (!holds(p, s)) x.violated.insert(m.properties[p].name);
    }
    bool any = false;
    for (Id a = 0; a < m.actions.size(); ++a) {
      EvalError err;
      auto en = enabled(m, a, s, err);
      if (!en) {
        x.errors.push_back(m.actions[a].name + ": " + err.message);
        continue;
      }
      if (!*en) continue;
      any = true;
      auto next = successor(m, a, s, err);
      if (!next) {
        x.errors.push_back(m.actors[m.actions[a].actor].name + "." + m.actions[a].name + ": " +
                           err.message);
        continue;
      }
      if (seen.size() >= limit) {
        x.complete = false;
        continue;
      }
      if (seen.insert(*next).second) frontier.push_back(std::move(*next));
    }
    if (!any) {
      for (Id p : deadlocks) {
        if (!holds(p, s)) x.violated.insert(m.properties[p].name);
      }
      x.finals.push_back(s);
    }
  }
  x.states = seen.size();
  return x;
}

std::set<std::string> finals_of(const Model& m, const Explored& x, const std::string& name) {
  std::set<std::string> out;
  for (const State& s : x.finals) out.insert(obs_value(m, s, name));
  return out;
}

std::set<std::string> tuples_of(const Model& m, const Explored& x,
                                const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const State& s : x.finals) {
    std::string t;
    for (const std::string& n : names) t += (t.empty() ? "" : " ") + n + "=" + obs_value(m, s, n);
    out.insert(t);
  }
  return out;
}

std::string value(const Model& m, const State& s, const std::string& name, int index) {
  Id v = m.find_var(name);
  if (v == kNoId) return "<no variable " + name + ">";
  const Var& x = m.vars[v];
  size_t slot = x.first_slot + static_cast<size_t>(index < 0 ? 0 : index);
  return label(m, v, s[slot]);
}

namespace {
std::vector<Id> matching(const Model& m, const std::string& actor, const std::string& action) {
  std::vector<Id> out;
  for (Id a = 0; a < m.actions.size(); ++a) {
    if (m.actors[m.actions[a].actor].name == actor &&
        m.actions[a].name.find(action) != std::string::npos) {
      out.push_back(a);
    }
  }
  return out;
}
}  // namespace

State fire(const Model& m, const State& s, const std::string& actor, const std::string& action) {
  std::vector<Id> en;
  for (Id a : matching(m, actor, action)) {
    EvalError err;
    auto e = enabled(m, a, s, err);
    if (e && *e) en.push_back(a);
  }
  if (en.size() != 1) {
    std::string names;
    for (const std::string& n : enabled_names(m, s)) names += "\n  " + n;
    ADD_FAILURE() << en.size() << " enabled actions match " << actor << " / " << action
                  << "; enabled:" << names;
    return s;
  }
  EvalError err;
  auto next = successor(m, en[0], s, err);
  if (!next) {
    ADD_FAILURE() << "model error: " << err.message;
    return s;
  }
  return *next;
}

std::vector<std::string> enabled_names(const Model& m, const State& s) {
  std::vector<std::string> out;
  for (Id a = 0; a < m.actions.size(); ++a) {
    EvalError err;
    auto e = enabled(m, a, s, err);
    if (e && *e) out.push_back(m.actors[m.actions[a].actor].name + "." + m.actions[a].name);
  }
  return out;
}

std::string kernel_function(const Model& m, const std::string& actor, const std::string& action) {
  std::vector<Id> ids = matching(m, actor, action);
  return ids.empty() ? "" : m.actions[ids[0]].kernel_function;
}

std::vector<std::string> unmet_expectations(const Model& m, const Explored& x) {
  std::vector<std::string> out;
  for (const Expectation& e : m.expectations) {
    bool met = true;
    switch (e.kind) {
      case ExpectationKind::Holds:
      case ExpectationKind::Violated: {
        // Liveness is decided on the state graph, not by explore().
        const Property& p = m.properties[e.property];
        const bool violated = p.kind == PropertyKind::Liveness ? liveness_violated(m, e.property)
                                                               : x.violated.count(p.name) > 0;
        met = (e.kind == ExpectationKind::Violated) == violated;
        break;
      }
      case ExpectationKind::Exists:
      case ExpectationKind::NotExists:
      case ExpectationKind::Forall: {
        size_t n = 0;
        for (const State& s : x.finals) {
          EvalError err;
          auto v = eval(m, e.expr, s, {}, err);
          if (v && *v) ++n;
        }
        met = e.kind == ExpectationKind::Exists      ? n > 0
              : e.kind == ExpectationKind::NotExists ? n == 0
                                                     : n == x.finals.size();
        break;
      }
    }
    if (!met) out.push_back(e.text);
  }
  return out;
}

}  // namespace fl::model::test

namespace fl::model::test {
std::set<std::string> outcomes(const std::string& text, const std::string& reg,
                               const std::string& variant) {
  Model m = build(text, variant);
  Explored x = explore(m);
  EXPECT_TRUE(x.errors.empty()) << (x.errors.empty() ? "" : x.errors.front());
  return finals_of(m, x, reg);
}
}  // namespace fl::model::test

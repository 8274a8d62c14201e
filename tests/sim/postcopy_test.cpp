// Exact state and transition counts of postcopy(V, P), pinned against the
// independent Python reference (shared/bench/postcopy_bfs.py --table, and
// `postcopy_bfs.py 3 6`), and the lengths of the shortest counterexamples
// of the buggy variant against its --first depths.

#include <gtest/gtest.h>

#include "postcopy_fixture.h"
#include "sim/check.h"

namespace fl::sim {
namespace {

struct Expected {
  int v, p;
  bool wake;
  uint64_t states, transitions;
  uint32_t depth;
};

// Copied from `python3 postcopy_bfs.py --table`.
const Expected kTable[] = {
    {1, 1, true, 11, 16, 4},           {1, 3, true, 139, 305, 12},
    {2, 3, true, 1186, 3674, 18},      {2, 4, true, 4612, 15305, 24},
    {3, 3, true, 6467, 25525, 22},     {3, 4, true, 33249, 140407, 30},
    {3, 6, true, 532325, 2415637, 46}, {1, 3, false, 52, 81, 12},
    {2, 3, false, 802, 2043, 20},      {2, 4, false, 2556, 7169, 26},
    {3, 4, false, 34786, 124088, 32},  {3, 6, false, 477613, 1873882, 48},
};

const Violation* find(const CheckResult& r, const std::string& property) {
  for (const Violation& v : r.violations) {
    if (v.property == property) return &v;
  }
  return nullptr;
}

TEST(Postcopy, CountsMatchPythonReference) {
  for (const Expected& e : kTable) {
    SCOPED_TRACE("V=" + std::to_string(e.v) + " P=" + std::to_string(e.p) +
                 " WAKE_PREFETCH=" + std::to_string(e.wake));
    const model::Model m = test::postcopy_model(e.v, e.p, e.wake);
    const CheckResult r = check(m, CheckOptions{});
    ASSERT_NE(r.verdict, Verdict::Error) << r.violations.back().message;
    EXPECT_EQ(r.states, e.states);
    EXPECT_EQ(r.transitions, e.transitions);
    EXPECT_EQ(r.depth, e.depth);
    EXPECT_TRUE(r.incomplete_reason.empty()) << r.incomplete_reason;
    EXPECT_EQ(find(r, "data"), nullptr);
    if (e.wake) {
      EXPECT_EQ(r.verdict, Verdict::Pass);
      EXPECT_TRUE(r.violations.empty());
      EXPECT_TRUE(r.expectation_met);
    } else {
      EXPECT_EQ(r.verdict, Verdict::Violation);
      EXPECT_NE(find(r, "no-lost-wakeup"), nullptr);
      EXPECT_NE(find(r, "no-stuck-vcpu"), nullptr);
      EXPECT_FALSE(r.expectation_met);
    }
  }
}

// `python3 postcopy_bfs.py V P --no-wake-prefetch --first`: the BFS depth of
// the first state violating each property.
TEST(Postcopy, ShortestCounterexamplesMatchPythonDepths) {
  struct Depths {
    int v, p;
    size_t lost_wakeup, stuck;
  };
  const Depths kDepths[] = {{1, 3, 2, 6}, {2, 3, 2, 8}, {2, 4, 2, 9}, {3, 4, 2, 12}, {3, 6, 2, 14}};
  for (const Depths& d : kDepths) {
    SCOPED_TRACE("V=" + std::to_string(d.v) + " P=" + std::to_string(d.p));
    const model::Model m = test::postcopy_model(d.v, d.p, false);
    const CheckResult r = check(m, CheckOptions{});
    const Violation* lost = find(r, "no-lost-wakeup");
    const Violation* stuck = find(r, "no-stuck-vcpu");
    ASSERT_NE(lost, nullptr);
    ASSERT_NE(stuck, nullptr);
    EXPECT_EQ(lost->kind, "invariant");
    EXPECT_EQ(stuck->kind, "deadlock");
    EXPECT_EQ(lost->trace.steps.size(), d.lost_wakeup);
    EXPECT_EQ(stuck->trace.steps.size(), d.stuck);
  }
}

// Replaying a trace with the reference interpreter must reproduce every
// step's changes and end in a state that violates the property.
TEST(Postcopy, TracesReplayWithTheReferenceInterpreter) {
  const model::Model m = test::postcopy_model(2, 4, false);
  const CheckResult r = check(m, CheckOptions{});
  ASSERT_EQ(r.violations.size(), 2U);
  for (const Violation& v : r.violations) {
    model::State s = v.trace.initial;
    EXPECT_EQ(s, model::initial_state(m));
    for (const TraceStep& step : v.trace.steps) {
      model::EvalError err;
      ASSERT_TRUE(model::enabled(m, step.action, s, err).value_or(false));
      auto next = model::successor(m, step.action, s, err);
      ASSERT_TRUE(next.has_value());
      std::vector<Change> changes;
      for (uint32_t i = 0; i < m.num_slots(); ++i) {
        if (s[i] != (*next)[i]) changes.push_back({i, s[i], (*next)[i]});
      }
      ASSERT_EQ(changes.size(), step.changes.size());
      for (size_t i = 0; i < changes.size(); ++i) {
        EXPECT_EQ(changes[i].slot, step.changes[i].slot);
        EXPECT_EQ(changes[i].before, step.changes[i].before);
        EXPECT_EQ(changes[i].after, step.changes[i].after);
      }
      s = *next;
    }
    const model::Property& p = m.properties[m.find_property(v.property)];
    model::EvalError err;
    EXPECT_EQ(model::eval(m, p.expr, s, {}, err), 0) << v.property;
  }
}

}  // namespace
}  // namespace fl::sim

// Liveness under weak fairness (sim/liveness.h): lasso counterexamples with
// pinned prefix and cycle, fairness deciding the verdict, deadlocks as
// infinite stutter, and independence from the number of threads.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/builder.h"
#include "model/load/loader.h"
#include "postcopy_fixture.h"
#include "sim/check.h"

namespace fl::sim {
namespace {

using model::Builder;
using model::Id;

model::Model load(const std::string& file,
                  const std::vector<std::pair<std::string, std::string>>& params) {
  const lang::Scenario sc = model::load_scenario(std::string(FL_SOURCE_DIR) + "/" + file);
  return sc.elaborate("linux-6.18", params);
}

// "actor.action" of every step of a trace.
std::vector<std::string> steps_of(const model::Model& m, const Trace& t) {
  std::vector<std::string> out;
  for (const TraceStep& s : t.steps) {
    const model::Action& a = m.actions[s.action];
    out.push_back(m.actors[a.actor].name + "." + a.name);
  }
  return out;
}

TEST(Liveness, RetryLivelockLasso) {
  const model::Model m = load("scenarios/bench/retry-livelock.fl", {});
  const CheckResult r = check(m, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Violation);
  EXPECT_EQ(r.states, 17U);
  EXPECT_TRUE(r.expectation_met);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.property, "vcpu-maps");
  EXPECT_EQ(v.kind, "liveness");
  EXPECT_EQ(v.message, "'vcpu-maps' never holds on a weakly fair cycle");
  // Two invalidations saturate the counter (the prefix), then the vCPU
  // faults, loses the race and retries, forever (the cycle).
  ASSERT_TRUE(v.trace.is_lasso());
  EXPECT_EQ(v.trace.cycle_start, 2U);
  const std::vector<std::string> want{"invalidator.invalidate",
                                      "invalidator.invalidate",
                                      "vcpu0.faultin",
                                      "invalidator.invalidate",
                                      "vcpu0.map",
                                      "invalidator.invalidate"};
  EXPECT_EQ(steps_of(m, v.trace), want);
  // The cycle ends where it starts.
  model::State s = v.trace.initial;
  model::State entry;
  for (size_t i = 0; i < v.trace.steps.size(); ++i) {
    if (i == v.trace.cycle_start) entry = s;
    for (const Change& c : v.trace.steps[i].changes) {
      EXPECT_EQ(s[c.slot], c.before);
      s[c.slot] = c.after;
    }
  }
  EXPECT_EQ(s, entry);
}

TEST(Liveness, BoundedInvalidatorLetsTheFairVcpuMap) {
  const CheckResult r =
      check(load("scenarios/bench/retry-livelock.fl", {{"BOUNDED", "true"}}), CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.states, 12U);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_TRUE(r.expectation_met);
}

// A worker that finishes in one step and a spinner that toggles a flag until
// then.  Without fairness the spinner may run forever while the worker
// waits; with the worker weakly fair, it must eventually step.
model::Model worker_and_spinner(bool fair_worker) {
  model::Model m;
  Builder b(m);
  Id done = b.scalar("done", 0, 1, 0);
  Id flag = b.scalar("flag", 0, 1, 0);
  Id worker = b.actor("worker", fair_worker);
  b.action(worker, "work", "", b.eq(b.var(done), b.lit(0)), b.assign(done, b.lit(1)));
  Id spinner = b.actor("spinner");
  b.action(spinner, "spin", "", b.eq(b.var(done), b.lit(0)),
           b.assign(flag, b.binary(model::BinaryOp::Sub, b.lit(1), b.var(flag))));
  b.property("finishes", model::PropertyKind::Liveness, b.eq(b.var(done), b.lit(1)));
  b.finalize();
  return m;
}

TEST(Liveness, FairnessDecidesTheVerdict) {
  const model::Model unfair = worker_and_spinner(false);
  const CheckResult u = check(unfair, CheckOptions{});
  EXPECT_EQ(u.verdict, Verdict::Violation);
  ASSERT_EQ(u.violations.size(), 1U);
  EXPECT_EQ(u.violations[0].trace.cycle_start, 0U);
  EXPECT_EQ(steps_of(unfair, u.violations[0].trace),
            (std::vector<std::string>{"spinner.spin", "spinner.spin"}));

  const CheckResult f = check(worker_and_spinner(true), CheckOptions{});
  EXPECT_EQ(f.verdict, Verdict::Pass);
  EXPECT_TRUE(f.violations.empty());
  EXPECT_EQ(f.states, 4U);
}

TEST(Liveness, DeadlockIsAnInfiniteStutter) {
  // x goes 0 -> 1 -> 2 and stops; "eventually x == 3" fails there.
  model::Model m;
  Builder b(m);
  Id x = b.scalar("x", 0, 3, 0);
  Id actor = b.actor("t", true);
  b.action(actor, "step", "", b.lt(b.var(x), b.lit(2)), b.assign(x, b.add(b.var(x), b.lit(1))));
  b.property("reaches-3", model::PropertyKind::Liveness, b.eq(b.var(x), b.lit(3)));
  b.property("reaches-2", model::PropertyKind::Liveness, b.eq(b.var(x), b.lit(2)));
  b.finalize();
  const CheckResult r = check(m, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.property, "reaches-3");
  EXPECT_EQ(v.message,
            "'reaches-3' never holds on an execution that ends in a state with no enabled action");
  EXPECT_EQ(v.trace.steps.size(), 2U);
  EXPECT_EQ(v.trace.cycle_start, 2U);
  EXPECT_TRUE(v.trace.is_lasso());
}

TEST(Liveness, HoldsInTheInitialState) {
  model::Model m;
  Builder b(m);
  Id x = b.scalar("x", 0, 1, 0);
  Id actor = b.actor("t");
  b.action(actor, "flip", "", b.lit(1),
           b.assign(x, b.binary(model::BinaryOp::Sub, b.lit(1), b.var(x))));
  b.property("zero", model::PropertyKind::Liveness, b.eq(b.var(x), b.lit(0)));
  b.finalize();
  EXPECT_EQ(check(m, CheckOptions{}).verdict, Verdict::Pass);
}

// postcopy with "eventually every vCPU finishes": holds with the prefetch
// wake-up (no cycles, no stuck state); without it a stuck state is reached.
model::Model postcopy_with_liveness(int v, int p, bool wake) {
  model::Model m = test::postcopy_model(v, p, wake);
  Builder b(m);
  std::vector<Id> done;
  const Id pc = m.find_var("pc");
  for (int i = 0; i < v; ++i) done.push_back(b.eq(b.elem(pc, b.lit(i)), b.lit(p)));
  b.property("all-finish", model::PropertyKind::Liveness, b.all(done));
  b.finalize();
  return m;
}

TEST(Liveness, Postcopy) {
  const CheckResult ok = check(postcopy_with_liveness(2, 4, true), CheckOptions{});
  EXPECT_EQ(ok.verdict, Verdict::Pass);
  EXPECT_EQ(ok.states, 4612U);
  const CheckResult bad = check(postcopy_with_liveness(2, 4, false), CheckOptions{});
  ASSERT_EQ(bad.violations.size(), 3U);
  EXPECT_EQ(bad.violations[2].property, "all-finish");
  // The stuck state nearest to the start, reached through unfinished states:
  // as deep as the shortest no-stuck-vcpu deadlock.
  EXPECT_EQ(bad.violations[2].trace.steps.size(), 9U);
  EXPECT_EQ(bad.violations[2].trace.cycle_start, 9U);
}

TEST(Liveness, ThreadCountDoesNotChangeTheLasso) {
  for (bool wake : {true, false}) {
    const model::Model m = postcopy_with_liveness(3, 4, wake);
    CheckOptions one;
    CheckOptions two;
    two.threads = 2;
    const CheckResult a = check(m, one);
    const CheckResult b = check(m, two);
    EXPECT_EQ(a.verdict, b.verdict);
    ASSERT_EQ(a.violations.size(), b.violations.size());
    for (size_t i = 0; i < a.violations.size(); ++i) {
      EXPECT_EQ(a.violations[i].trace.cycle_start, b.violations[i].trace.cycle_start);
      ASSERT_EQ(a.violations[i].trace.steps.size(), b.violations[i].trace.steps.size());
      for (size_t k = 0; k < a.violations[i].trace.steps.size(); ++k) {
        EXPECT_EQ(a.violations[i].trace.steps[k].action, b.violations[i].trace.steps[k].action);
      }
    }
  }
}

}  // namespace
}  // namespace fl::sim

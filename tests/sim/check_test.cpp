// Behaviour of sim::check(): limits, model errors, outcomes, deadlocks,
// expectations, determinism and thread-count independence.

#include <gtest/gtest.h>

#include "model/builder.h"
#include "postcopy_fixture.h"
#include "sim/bfs.h"
#include "sim/check.h"

namespace fl::sim {
namespace {

using model::BinaryOp;
using model::Builder;
using model::Id;

CheckOptions with_threads(unsigned n) {
  CheckOptions o;
  o.threads = n;
  return o;
}

// Everything but timing and memory, which legitimately vary.
void expect_same(const CheckResult& a, const CheckResult& b) {
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.states, b.states);
  EXPECT_EQ(a.transitions, b.transitions);
  EXPECT_EQ(a.depth, b.depth);
  EXPECT_EQ(a.final_states, b.final_states);
  EXPECT_EQ(a.incomplete_reason, b.incomplete_reason);
  EXPECT_EQ(a.outcomes, b.outcomes);
  EXPECT_EQ(a.final_true, b.final_true);
  EXPECT_EQ(a.final_false, b.final_false);
  ASSERT_EQ(a.violations.size(), b.violations.size());
  for (size_t i = 0; i < a.violations.size(); ++i) {
    const Violation& x = a.violations[i];
    const Violation& y = b.violations[i];
    EXPECT_EQ(x.property, y.property);
    EXPECT_EQ(x.message, y.message);
    EXPECT_EQ(x.trace.initial, y.trace.initial);
    ASSERT_EQ(x.trace.steps.size(), y.trace.steps.size());
    for (size_t k = 0; k < x.trace.steps.size(); ++k) {
      EXPECT_EQ(x.trace.steps[k].action, y.trace.steps[k].action);
      ASSERT_EQ(x.trace.steps[k].changes.size(), y.trace.steps[k].changes.size());
      for (size_t c = 0; c < x.trace.steps[k].changes.size(); ++c) {
        EXPECT_EQ(x.trace.steps[k].changes[c].slot, y.trace.steps[k].changes[c].slot);
        EXPECT_EQ(x.trace.steps[k].changes[c].after, y.trace.steps[k].changes[c].after);
      }
    }
  }
}

// The store-buffering litmus test under sequential consistency:
//   t0: x = 1; r0 = y        t1: y = 1; r1 = x
// 13 states, 14 transitions, outcomes (r0, r1) in {(0,1), (1,0), (1,1)}.
model::Model litmus() {
  model::Model m;
  Builder b(m);
  Id x = b.scalar("x", 0, 1, 0);
  Id y = b.scalar("y", 0, 1, 0);
  Id r[2] = {b.scalar("r0", 0, 1, 0), b.scalar("r1", 0, 1, 0)};
  Id pc[2] = {b.scalar("pc0", 0, 2, 0), b.scalar("pc1", 0, 2, 0)};
  const Id mine[2] = {x, y};
  const Id other[2] = {y, x};
  for (int t = 0; t < 2; ++t) {
    Id actor = b.actor("t" + std::to_string(t));
    b.action(actor, "store", "", b.eq(b.var(pc[t]), b.lit(0)),
             b.seq({b.assign(mine[t], b.lit(1)), b.assign(pc[t], b.lit(1))}));
    b.action(actor, "load", "", b.eq(b.var(pc[t]), b.lit(1)),
             b.seq({b.assign(r[t], b.var(other[t])), b.assign(pc[t], b.lit(2))}));
  }
  b.observe("r0", b.var(r[0]));
  b.observe("r1", b.var(r[1]));
  Id both_one = b.all({b.eq(b.var(r[0]), b.lit(1)), b.eq(b.var(r[1]), b.lit(1))});
  Id both_zero = b.all({b.eq(b.var(r[0]), b.lit(0)), b.eq(b.var(r[1]), b.lit(0))});
  b.expect({model::ExpectationKind::Exists, model::kNoId, both_one, "exists r0=1 /\\ r1=1", {}});
  b.expect(
      {model::ExpectationKind::NotExists, model::kNoId, both_zero, "~exists r0=0 /\\ r1=0", {}});
  b.expect({model::ExpectationKind::Forall,
            model::kNoId,
            b.binary(BinaryOp::Ge, b.add(b.var(r[0]), b.var(r[1])), b.lit(1)),
            "forall r0+r1>=1",
            {}});
  b.finalize();
  return m;
}

TEST(Check, LitmusOutcomes) {
  const CheckResult r = check(litmus(), CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.states, 13U);
  EXPECT_EQ(r.transitions, 14U);
  EXPECT_EQ(r.depth, 4U);
  EXPECT_EQ(r.final_states, 3U);
  const std::vector<std::vector<model::Value>> want{{0, 1}, {1, 0}, {1, 1}};
  EXPECT_EQ(r.outcomes, want);
  EXPECT_EQ(r.final_true, (std::vector<uint64_t>{1, 0, 3}));
  EXPECT_EQ(r.final_false, (std::vector<uint64_t>{2, 3, 0}));
  EXPECT_TRUE(r.expectation_met);
  ASSERT_EQ(r.expectations.size(), 3U);
  for (const ExpectationResult& e : r.expectations) EXPECT_TRUE(e.met) << e.text << e.detail;
}

// c counts up by one; at c == 3 the next increment leaves the range 0..3.
model::Model overflowing_counter() {
  model::Model m;
  Builder b(m);
  Id c = b.scalar("c", 0, 3, 0);
  Id actor = b.actor("t");
  b.action(actor, "inc", "", b.lit(1), b.assign(c, b.add(b.var(c), b.lit(1))),
           model::SourceLoc{"counter.fl", 7, 3});
  b.finalize();
  return m;
}

TEST(Check, ModelErrorStopsWithItsTrace) {
  const CheckResult r = check(overflowing_counter(), CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Error);
  EXPECT_EQ(r.states, 4U);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.kind, "error");
  EXPECT_EQ(v.property, "");
  EXPECT_EQ(v.message, "in action 't.inc': value 4 out of range 0..3 of 'c'");
  EXPECT_EQ(v.loc.line, 7);
  // Three increments reach c == 3; the fourth (the failing action) ends the
  // trace with no changes.
  ASSERT_EQ(v.trace.steps.size(), 4U);
  EXPECT_EQ(v.trace.steps[2].changes.size(), 1U);
  EXPECT_EQ(v.trace.steps[2].changes[0].after, 3);
  EXPECT_TRUE(v.trace.steps[3].changes.empty());
  EXPECT_FALSE(r.expectation_met);
}

TEST(Check, ErrorInAGuardAndInAProperty) {
  model::Model m;
  Builder b(m);
  Id c = b.scalar("c", 0, 2, 0);
  Id a = b.array("a", 2, 0, 1, {0});
  Id actor = b.actor("t");
  b.action(actor, "inc", "", b.lt(b.var(c), b.lit(2)), b.assign(c, b.add(b.var(c), b.lit(1))));
  // a[c] fails once c == 2.
  b.property("p", model::PropertyKind::Invariant, b.eq(b.elem(a, b.var(c)), b.lit(0)), "",
             model::SourceLoc{"p.fl", 4, 1});
  b.finalize();
  const CheckResult r = check(m, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Error);
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].message, "in property 'p': index 2 out of range for 'a[2]'");
  EXPECT_EQ(r.violations[0].loc.line, 4);
  EXPECT_EQ(r.violations[0].trace.steps.size(), 2U);
}

TEST(Check, DeadlockProperty) {
  // x goes 0 -> 1 -> 2 and stops; "done" wants x == 3 in a final state.
  model::Model m;
  Builder b(m);
  Id x = b.scalar("x", 0, 3, 0);
  Id actor = b.actor("t");
  b.action(actor, "step", "", b.lt(b.var(x), b.lit(2)), b.assign(x, b.add(b.var(x), b.lit(1))));
  b.property("done", model::PropertyKind::Deadlock, b.eq(b.var(x), b.lit(3)));
  b.property("small", model::PropertyKind::Invariant, b.lt(b.var(x), b.lit(3)));
  b.finalize();
  const CheckResult r = check(m, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Violation);
  EXPECT_EQ(r.final_states, 1U);
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].property, "done");
  EXPECT_EQ(r.violations[0].kind, "deadlock");
  EXPECT_EQ(r.violations[0].trace.steps.size(), 2U);
  EXPECT_FALSE(r.expectation_met);
}

TEST(Check, LivenessIsChecked) {
  model::Model m = overflowing_counter();
  Builder b(m);
  m.actions[0].guard = b.lt(b.var(0), b.lit(3));
  b.property("eventually", model::PropertyKind::Liveness, b.eq(b.var(0), b.lit(3)));
  b.finalize();
  const CheckResult r = check(m, CheckOptions{});
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_TRUE(r.incomplete_reason.empty());
}

TEST(Check, StateLimitStoresExactlyTheLimit) {
  const model::Model m = test::postcopy_model(2, 4, true);  // 4612 states
  CheckOptions o;
  o.limits.max_states = 1000;
  const CheckResult r = check(m, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.states, 1000U);
  EXPECT_EQ(r.incomplete_reason, "state limit 1000 reached");
  o.limits.max_states = 4611;
  EXPECT_EQ(check(m, o).states, 4611U);
  EXPECT_EQ(check(m, o).verdict, Verdict::Incomplete);
  // A limit equal to the number of reachable states is never exceeded.
  o.limits.max_states = 4612;
  const CheckResult exact = check(m, o);
  EXPECT_EQ(exact.verdict, Verdict::Pass);
  EXPECT_EQ(exact.transitions, 15305U);
}

TEST(Check, StateLimitKeepsViolationsFound) {
  CheckOptions o;
  o.limits.max_states = 100;
  const CheckResult r = check(test::postcopy_model(2, 4, false), o);
  EXPECT_EQ(r.verdict, Verdict::Violation);
  EXPECT_EQ(r.incomplete_reason, "state limit 100 reached");
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].property, "no-lost-wakeup");
}

TEST(Check, MemoryLimit) {
  CheckOptions o;
  o.limits.max_memory_mib = 4;
  const CheckResult r = check(test::postcopy_model(3, 6, true), o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason, "memory limit 4 MiB reached");
  EXPECT_GT(r.states, 50000U);
  EXPECT_LE(r.peak_memory_bytes, 4U * 1024U * 1024U);
}

TEST(Check, TimeLimit) {
  CheckOptions o;
  o.limits.time_limit_s = 0.2;
  const CheckResult r = check(test::postcopy_model(4, 7, true), o);  // 19 M states
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason, "time limit 0.2 s reached");
  EXPECT_LT(r.seconds, 5.0);
}

TEST(Check, StopRequest) {
  request_stop();
  const CheckResult r = check(test::postcopy_model(3, 6, true), CheckOptions{});
  clear_stop_request();
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason, "interrupted");
  EXPECT_FALSE(stop_requested());
}

TEST(Check, Deterministic) {
  const model::Model m = test::postcopy_model(3, 4, false);
  expect_same(check(m, CheckOptions{}), check(m, CheckOptions{}));
}

TEST(Check, ThreadCountDoesNotChangeResults) {
  for (bool wake : {true, false}) {
    const model::Model m = test::postcopy_model(3, 6, wake);
    const CheckResult one = check(m, with_threads(1));
    for (unsigned n : {2U, 3U}) {
      SCOPED_TRACE("threads " + std::to_string(n));
      expect_same(one, check(m, with_threads(n)));
    }
  }
  // Also when a state limit stops the search in the middle of a chunk.
  CheckOptions limited = with_threads(1);
  limited.limits.max_states = 12345;
  const model::Model m = test::postcopy_model(3, 6, false);
  const CheckResult one = check(m, limited);
  limited.threads = 2;
  expect_same(one, check(m, limited));
  expect_same(check(litmus(), with_threads(1)), check(litmus(), with_threads(4)));
}

}  // namespace
}  // namespace fl::sim

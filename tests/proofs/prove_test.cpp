// Inductive proofs, counterexamples to induction and k-induction.

#include <gtest/gtest.h>

#include "model/builder.h"
#include "proofs/prove.h"
#include "tests/proofs/helpers.h"

namespace fl {
namespace {

using proofs::ProofStatus;

const proofs::PropertyProof& get(const proofs::ProveResult& r, const std::string& name) {
  const proofs::PropertyProof* p = r.find(name);
  if (p == nullptr) throw std::runtime_error("no result for " + name);
  return *p;
}

TEST(Prove, PostcopyInvariantsAreInductive) {
  model::Model m = test::postcopy({});
  proofs::ProveResult r = proofs::prove(m);
  SCOPED_TRACE(proofs::render(m, r));
  EXPECT_TRUE(r.internal_error.empty());
  for (const char* name : {"data", "no-lost-wakeup", "model-error"}) {
    const auto& p = get(r, name);
    EXPECT_EQ(p.status, ProofStatus::Proved) << name;
    EXPECT_EQ(p.k, 1u) << name;
    EXPECT_TRUE(p.strengthened_with.empty()) << name;
    EXPECT_FALSE(p.plain_cti) << name;
  }
  // no-stuck-vcpu holds (the explorer says so) but needs a companion
  // invariant: its counterexample to induction starts in an unreachable
  // state.
  const auto& stuck = get(r, "no-stuck-vcpu");
  EXPECT_EQ(stuck.status, ProofStatus::Unknown);
  ASSERT_TRUE(stuck.cti);
  test::Bfs reach = test::bfs(m);
  ASSERT_TRUE(reach.complete);
  EXPECT_EQ(reach.shortest.count("no-stuck-vcpu"), 0u);
  EXPECT_EQ(reach.reachable.count(stuck.cti->pre), 0u);
}

TEST(Prove, WeakenedInvariantGivesAnUnreachableCtiThenStrengthens) {
  model::Model m = test::postcopy({.blocked_has_request = true});
  proofs::ProveResult r = proofs::prove(m);
  SCOPED_TRACE(proofs::render(m, r));
  EXPECT_TRUE(r.internal_error.empty());
  const auto& req = get(r, "blocked-has-request");
  ASSERT_EQ(req.status, ProofStatus::Proved);
  EXPECT_EQ(req.k, 1u);
  // Alone it is not inductive: the CTI's pre-state is unreachable, and it
  // violates no-lost-wakeup, which the prover then assumes.
  ASSERT_TRUE(req.plain_cti);
  test::Bfs reach = test::bfs(m);
  ASSERT_TRUE(reach.complete);
  EXPECT_EQ(reach.shortest.count("blocked-has-request"), 0u);
  EXPECT_EQ(reach.reachable.count(req.plain_cti->pre), 0u);
  EXPECT_NE(std::find(req.plain_cti->ruled_out_by.begin(), req.plain_cti->ruled_out_by.end(),
                      "no-lost-wakeup"),
            req.plain_cti->ruled_out_by.end());
  EXPECT_NE(std::find(req.strengthened_with.begin(), req.strengthened_with.end(), "no-lost-wakeup"),
            req.strengthened_with.end());
  // With that companion every property of the correct model is proved,
  // the deadlock property included.
  EXPECT_TRUE(r.all_proved());
  EXPECT_EQ(get(r, "no-stuck-vcpu").status, ProofStatus::Proved);
}

TEST(Prove, BuggyVariantIsAViolationWithTheShortestTrace) {
  model::Model m = test::postcopy({.wake_prefetch = false});
  proofs::ProveResult r = proofs::prove(m);
  SCOPED_TRACE(proofs::render(m, r));
  EXPECT_TRUE(r.internal_error.empty());
  const auto& nlw = get(r, "no-lost-wakeup");
  ASSERT_EQ(nlw.status, ProofStatus::Violated);
  ASSERT_TRUE(nlw.trace);
  EXPECT_EQ(nlw.trace->steps.size(), 2u);
  // The plain counterexample to induction is a real one: its pre-state
  // satisfies the invariant and the step breaks it.
  ASSERT_TRUE(nlw.plain_cti);
  EXPECT_EQ(get(r, "data").status, ProofStatus::Proved);
  // Depth 9 is beyond k = 8's base case: not proved, not yet refuted.
  EXPECT_EQ(get(r, "no-stuck-vcpu").status, ProofStatus::Unknown);
  proofs::ProveOptions deeper;
  deeper.max_k = 10;
  deeper.properties = {"no-stuck-vcpu"};
  proofs::ProveResult r2 = proofs::prove(m, deeper);
  ASSERT_EQ(r2.properties.size(), 1u);
  ASSERT_EQ(r2.properties[0].status, ProofStatus::Violated);
  EXPECT_EQ(r2.properties[0].trace->steps.size(), 9u);
}

TEST(Prove, TokenRingNeedsOneStrengthening) {
  model::Model m = test::token_ring();
  proofs::ProveResult r = proofs::prove(m);
  SCOPED_TRACE(proofs::render(m, r));
  EXPECT_TRUE(r.all_proved());
  const auto& mutex = get(r, "mutex");
  EXPECT_TRUE(mutex.plain_cti);
  EXPECT_EQ(mutex.strengthened_with,
            (std::vector<std::string>{"crit-holds-token", "rounds-small", "model-error"}));
  EXPECT_TRUE(get(r, "crit-holds-token").strengthened_with.empty() ||
              !get(r, "crit-holds-token").plain_cti);
  EXPECT_FALSE(get(r, "never-stuck").plain_cti);
}

// x2 = x1, x1 = x0, x0 = 0: "x2 == 0" is 3-inductive, not less.
model::Model shift_register() {
  model::Model m;
  model::Builder b(m);
  model::Id x = b.array("x", 3, 0, 1, {0});
  model::Id a = b.actor("shift");
  b.action(a, "step", "", b.lit(1),
           b.seq({b.assign(x, b.lit(2), b.elem(x, b.lit(1))),
                  b.assign(x, b.lit(1), b.elem(x, b.lit(0))), b.assign(x, b.lit(0), b.lit(0))}));
  b.property("tail-zero", model::PropertyKind::Invariant, b.eq(b.elem(x, b.lit(2)), b.lit(0)));
  b.finalize();
  return m;
}

TEST(Prove, KInduction) {
  model::Model m = shift_register();
  proofs::ProveResult r = proofs::prove(m);
  SCOPED_TRACE(proofs::render(m, r));
  const auto& p = get(r, "tail-zero");
  EXPECT_EQ(p.status, ProofStatus::Proved);
  EXPECT_EQ(p.k, 3u);
  proofs::ProveOptions o;
  o.max_k = 2;
  o.simple_path = true;
  proofs::ProveResult r2 = proofs::prove(m, o);
  const auto& q = get(r2, "tail-zero");
  EXPECT_EQ(q.status, ProofStatus::Unknown);
  ASSERT_TRUE(q.cti);
  EXPECT_EQ(q.cti->post[2], 1);
}

TEST(Prove, ViolationInTheInitialState) {
  model::Model m;
  model::Builder b(m);
  model::Id x = b.scalar("x", 0, 3, 2);
  b.action(b.actor("a"), "inc", "", b.lt(b.var(x), b.lit(3)),
           b.assign(x, b.add(b.var(x), b.lit(1))));
  b.property("small", model::PropertyKind::Invariant, b.lt(b.var(x), b.lit(2)));
  b.finalize();
  proofs::ProveResult r = proofs::prove(m);
  const auto& p = get(r, "small");
  ASSERT_EQ(p.status, ProofStatus::Violated);
  ASSERT_TRUE(p.trace);
  EXPECT_EQ(p.trace->steps.size(), 0u);
  EXPECT_EQ(p.trace->initial, model::initial_state(m));
}

TEST(Prove, ModelErrorIsAProperty) {
  // inc overflows x's range from x == 3: a run-time error at depth 1.
  model::Model m;
  model::Builder b(m);
  model::Id x = b.scalar("x", 0, 3, 2);
  b.action(b.actor("a"), "inc", "", b.lit(1), b.assign(x, b.add(b.var(x), b.lit(1))));
  b.finalize();
  proofs::ProveResult r = proofs::prove(m);
  SCOPED_TRACE(proofs::render(m, r));
  const auto& p = get(r, "model-error");
  ASSERT_EQ(p.status, ProofStatus::Violated);
  EXPECT_EQ(p.trace->steps.size(), 1u);
  EXPECT_NE(p.message.find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace fl

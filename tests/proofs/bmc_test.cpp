// Bounded model checking against breadth-first search: the same verdicts
// and the same shortest counterexample lengths, on postcopy, on random
// models (run-time errors included) and on the shipped scenarios.

#include <gtest/gtest.h>

#include "proofs/bmc.h"
#include "proofs/encode.h"
#include "sim/check.h"
#include "tests/proofs/helpers.h"

namespace fl {
namespace {

// Every goal BFS sees violated within `depth` is violated at the same
// depth for BMC, and nothing else is.
void expect_same_verdicts(const model::Model& m, const proofs::BmcResult& b, const test::Bfs& r,
                          const std::string& what) {
  ASSERT_TRUE(b.internal_error.empty()) << what << ": " << b.internal_error;
  for (const proofs::Goal& g : proofs::goals(m)) {
    const sim::Violation* v = b.find(g.name);
    auto it = r.shortest.find(g.name);
    if (it == r.shortest.end()) {
      EXPECT_EQ(v, nullptr) << what << ": BMC violates " << g.name << ", BFS does not";
      continue;
    }
    ASSERT_NE(v, nullptr) << what << ": BFS violates " << g.name << " at depth " << it->second;
    EXPECT_EQ(v->trace.steps.size(), it->second) << what << ": " << g.name;
    EXPECT_EQ(v->kind, g.kind);
  }
}

TEST(Bmc, BuggyPostcopyShortestTraces) {
  model::Model m = test::postcopy({.wake_prefetch = false});
  proofs::BmcOptions o;
  o.depth = 10;
  proofs::BmcResult b = proofs::bmc(m, o);
  SCOPED_TRACE(proofs::render(m, b));
  ASSERT_NE(b.find("no-lost-wakeup"), nullptr);
  EXPECT_EQ(b.find("no-lost-wakeup")->trace.steps.size(), 2u);
  ASSERT_NE(b.find("no-stuck-vcpu"), nullptr);
  EXPECT_EQ(b.find("no-stuck-vcpu")->trace.steps.size(), 9u);
  EXPECT_EQ(b.find("data"), nullptr);
  expect_same_verdicts(m, b, test::bfs(m, o.depth), "postcopy(2,4) buggy");
  sim::CheckResult c = proofs::to_check_result(b);
  EXPECT_EQ(c.verdict, sim::Verdict::Violation);
}

// The real explorer, when it is built, must agree as well.
TEST(Bmc, AgreesWithTheExplorer) {
  for (bool wake : {true, false}) {
    model::Model m = test::postcopy({.vcpus = 2, .pages = 3, .wake_prefetch = wake});
    sim::CheckOptions co;
    co.reduction = false;
    sim::CheckResult ex = sim::check(m, co);
    // Deep enough for the buggy variant's violations (depths 2 and 8).
    proofs::BmcOptions o;
    o.depth = wake ? 4 : 9;
    proofs::BmcResult b = proofs::bmc(m, o);
    ASSERT_TRUE(b.internal_error.empty()) << b.internal_error;
    for (const sim::Violation& v : ex.violations) {
      const sim::Violation* w = b.find(v.property.empty() ? "model-error" : v.property);
      ASSERT_NE(w, nullptr) << v.property;
      EXPECT_EQ(w->trace.steps.size(), v.trace.steps.size()) << v.property;
    }
    EXPECT_EQ(b.violations.size(), ex.violations.size());
  }
}

TEST(Bmc, CorrectPostcopyIsCleanAndCompleteForOneVcpu) {
  model::Model m = test::postcopy({.vcpus = 1, .pages = 2});
  proofs::BmcOptions o;
  o.depth = 12;
  o.completeness = true;
  proofs::BmcResult b = proofs::bmc(m, o);
  SCOPED_TRACE(proofs::render(m, b));
  EXPECT_TRUE(b.violations.empty());
  EXPECT_TRUE(b.complete);
  test::Bfs r = test::bfs(m);
  ASSERT_TRUE(r.complete);
  // Complete at depth k: BFS finds nothing deeper than k.
  EXPECT_LE(r.depth, b.depth_checked + 1);
  EXPECT_EQ(proofs::to_check_result(b).verdict, sim::Verdict::Pass);
}

TEST(Bmc, BoundedWithoutCompletenessIsIncomplete) {
  model::Model m = test::postcopy({});
  proofs::BmcOptions o;
  o.depth = 5;
  proofs::BmcResult b = proofs::bmc(m, o);
  EXPECT_TRUE(b.violations.empty());
  EXPECT_EQ(b.depth_checked, 5u);
  sim::CheckResult c = proofs::to_check_result(b);
  EXPECT_EQ(c.verdict, sim::Verdict::Incomplete);
  EXPECT_NE(c.incomplete_reason.find("depth 5"), std::string::npos);
}

TEST(Bmc, StopAtFirst) {
  model::Model m = test::postcopy({.wake_prefetch = false});
  proofs::BmcOptions o;
  o.depth = 10;
  o.stop_at_first = true;
  proofs::BmcResult b = proofs::bmc(m, o);
  ASSERT_EQ(b.violations.size(), 1u);
  EXPECT_EQ(b.violations[0].property, "no-lost-wakeup");
  EXPECT_EQ(b.depth_checked, 2u);
}

TEST(Bmc, RandomModelsAgreeWithBfs) {
  std::mt19937_64 rng(77);
  const unsigned depth = 5;
  for (int i = 0; i < 25; ++i) {
    model::Model m = test::random_model(rng);
    proofs::BmcOptions o;
    o.depth = depth;
    proofs::BmcResult b = proofs::bmc(m, o);
    expect_same_verdicts(m, b, test::bfs(m, depth), "random model " + std::to_string(i));
  }
}

// Every scenario shipped under scenarios/, baseline variant, default
// parameters, within a depth this test can afford.

}  // namespace
}  // namespace fl

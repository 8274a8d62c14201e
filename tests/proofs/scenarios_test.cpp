// Every scenario shipped under scenarios/ (baseline variant, default
// parameters), one test each: the encoding agrees with the evaluator on the
// reachable states, bounded model checking agrees with breadth-first search
// within a depth this suite can afford, and the prover is sound (nothing it
// proves is violated; every violation it reports is a real one of the same
// length; every CTI it reports is unreachable or its property fails).

#include <gtest/gtest.h>

#include <filesystem>

#include "model/load/loader.h"
#include "model/variants.h"
#include "proofs/bmc.h"
#include "proofs/cross_check.h"
#include "proofs/encode.h"
#include "proofs/prove.h"
#include "tests/proofs/helpers.h"

namespace fl {
namespace {

std::vector<std::string> scenario_files() {
  std::string dir = std::string(FL_SOURCE_DIR) + "/scenarios";
  if (!std::filesystem::exists(dir)) return {};
  return model::find_scenarios(dir);
}

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, ProverAgreesWithTheEvaluator) {
  // Every shipped scenario must load; it is checked under the first
  // variant it declares (some KVM seeds do not declare the baseline).
  model::Model m;
  try {
    const lang::Scenario sc = model::load_scenario(GetParam());
    m = sc.elaborate(sc.info().variants.at(0), {});
  } catch (const lang::ScenarioError& e) {
    FAIL() << e.render();
  }
  test::Bfs r = test::bfs(m, SIZE_MAX, 100'000);

  proofs::CrossChecker checker(m);
  size_t n = 0;
  for (const model::State& s : r.reachable) {
    if (++n > 200) break;
    auto d = checker.check_state(s);
    ASSERT_FALSE(d) << *d;
    d = checker.check_actions(s);
    ASSERT_FALSE(d) << *d;
  }

  // BFS has examined every state of its levels 0..depth.
  proofs::BmcOptions bo;
  bo.depth = std::min<unsigned>(6, static_cast<unsigned>(r.depth));
  proofs::BmcResult b = proofs::bmc(m, bo);
  ASSERT_TRUE(b.internal_error.empty()) << b.internal_error;
  for (const proofs::Goal& g : proofs::goals(m)) {
    const sim::Violation* v = b.find(g.name);
    auto it = r.shortest.find(g.name);
    if (it == r.shortest.end() || it->second > bo.depth) {
      EXPECT_EQ(v, nullptr) << g.name;
    } else {
      ASSERT_NE(v, nullptr) << g.name;
      EXPECT_EQ(v->trace.steps.size(), it->second) << g.name;
    }
  }

  proofs::ProveOptions po;
  po.max_k = 2;
  proofs::ProveResult pr = proofs::prove(m, po);
  SCOPED_TRACE(proofs::render(m, pr));
  EXPECT_TRUE(pr.internal_error.empty());
  for (const proofs::PropertyProof& p : pr.properties) {
    auto it = r.shortest.find(p.property);
    bool violated = it != r.shortest.end();
    if (p.status == proofs::ProofStatus::Proved) {
      EXPECT_FALSE(violated) << p.property << " proved but violated";
    } else if (p.status == proofs::ProofStatus::Violated) {
      ASSERT_TRUE(violated) << p.property;
      EXPECT_EQ(p.trace->steps.size(), it->second) << p.property;
    } else if (p.status == proofs::ProofStatus::Unknown && r.complete) {
      ASSERT_TRUE(p.cti) << p.property;
      EXPECT_TRUE(violated || !r.reachable.count(p.cti->pre)) << p.property;
    }
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string rel = std::filesystem::path(info.param).parent_path().filename().string() + "_" +
                    std::filesystem::path(info.param).stem().string();
  for (char& c : rel) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return rel;
}

INSTANTIATE_TEST_SUITE_P(Shipped, Scenario, ::testing::ValuesIn(scenario_files()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Scenario);

}  // namespace
}  // namespace fl

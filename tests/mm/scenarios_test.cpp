// Every scenario under scenarios/mm/ loads through the real front end, is
// explored exhaustively by the test BFS for each of its variants, and meets
// every expectation it states.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

std::vector<std::string> mm_scenarios() {
  return find_scenarios(std::string(FL_SOURCE_DIR) + "/scenarios/mm");
}

class MmScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(MmScenario, MeetsItsExpectations) {
  const std::string& path = GetParam();
  lang::Scenario sc = load_scenario(path);
  ASSERT_FALSE(sc.info().variants.empty());
  for (const std::string& variant : sc.info().variants) {
    SCOPED_TRACE(path + " @ " + variant);
    Model m = sc.elaborate(variant, {});
    ASSERT_FALSE(m.expectations.empty()) << "a scenario states what it expects";
    Explored x = explore(m);
    ASSERT_TRUE(x.complete);
    ASSERT_TRUE(x.errors.empty()) << x.errors.front();
    ASSERT_FALSE(x.finals.empty());
    if (getenv("FL_MM_VERBOSE") != nullptr) {
      std::vector<std::string> names;
      for (const Observation& o : m.observations) names.push_back(o.name);
      std::string v;
      for (const std::string& p : x.violated) v += " " + p;
      printf("%s @ %s: %zu states, %zu finals, violated:%s\n", path.c_str(), variant.c_str(),
             x.states, x.finals.size(), v.c_str());
      for (const std::string& t : tuples_of(m, x, names)) printf("    %s\n", t.c_str());
    }
    for (const std::string& unmet : unmet_expectations(m, x))
      ADD_FAILURE() << "unmet: expect " << unmet;
  }
}

INSTANTIATE_TEST_SUITE_P(All, MmScenario, ::testing::ValuesIn(mm_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(info.param.rfind('/') + 1);
                           name = name.substr(0, name.size() - 3);
                           for (char& ch : name) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(MmScenarios, AtLeastFifteen) {
  EXPECT_GE(mm_scenarios().size(), 15u);
}

}  // namespace
}  // namespace fl::model::mm::test

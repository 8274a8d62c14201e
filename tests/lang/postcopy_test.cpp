// The benchmark scenario elaborates to exactly the model of
// shared/bench/postcopy-model.md: a brute-force search with the reference
// evaluator reproduces the state counts and verdicts of the independent
// Python reference (shared/bench/postcopy_bfs.py --table).
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>

#include "model/eval.h"
#include "model/lang/frontend.h"
#include "tests/lang/test_util.h"

namespace {

using fl::lang::test::bfs;
using fl::lang::test::Search;
using fl::model::Model;

Model postcopy(const std::string& v, const std::string& p, const std::string& wake) {
  auto sc = fl::lang::Scenario::load(std::string(FL_SOURCE_DIR) + "/scenarios/bench/postcopy.fl");
  return sc.elaborate("linux-6.18", {{"V", v}, {"P", p}, {"WAKE_PREFETCH", wake}});
}

struct Row {
  const char* v;
  const char* p;
  const char* wake;
  uint64_t states, transitions;
  uint32_t depth;
  int lost_wakeup_depth, stuck_depth;  // -1: the property holds
};

// python3 shared/bench/postcopy_bfs.py --table (the sizes small enough for a unit test).
const Row kRows[] = {
    {"1", "1", "true", 11, 16, 4, -1, -1},      {"1", "3", "true", 139, 305, 12, -1, -1},
    {"2", "3", "true", 1186, 3674, 18, -1, -1}, {"2", "4", "true", 4612, 15305, 24, -1, -1},
    {"1", "3", "false", 52, 81, 12, 2, 6},      {"2", "3", "false", 802, 2043, 20, 2, 8},
    {"2", "4", "false", 2556, 7169, 26, 2, 9},
};

TEST(Postcopy, MatchesThePythonReference) {
  for (const Row& r : kRows) {
    SCOPED_TRACE(std::string("V=") + r.v + " P=" + r.p + " WAKE_PREFETCH=" + r.wake);
    Search s = bfs(postcopy(r.v, r.p, r.wake));
    EXPECT_EQ(s.states, r.states);
    EXPECT_EQ(s.transitions, r.transitions);
    EXPECT_EQ(s.depth, r.depth);
    EXPECT_EQ(s.first_violation.count("data"), 0u);
    auto depth_of = [&](const char* name) {
      auto it = s.first_violation.find(name);
      return it == s.first_violation.end() ? -1 : static_cast<int>(it->second);
    };
    EXPECT_EQ(depth_of("no-lost-wakeup"), r.lost_wakeup_depth);
    EXPECT_EQ(depth_of("no-stuck-vcpu"), r.stuck_depth);
  }
}

}  // namespace

// `faultline simulate` and `faultline show` end to end: the seed line,
// reproduction from a seed, exit codes, and re-rendering a saved trace
// exactly as `check` printed it.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

#include "run_tool.h"

namespace fl::test {
namespace {

const std::vector<std::string> kBuggy = {"--param", "WAKE_PREFETCH=false",
                                         "scenarios/bench/postcopy.fl"};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST(Simulate, PrintsTheSeedAndReproducesFromIt) {
  const ToolRun a = run_faultline(with({"simulate", "--seed", "42", "--walks", "30"}, kBuggy));
  EXPECT_EQ(a.out.rfind("seed: 42\n", 0), 0U) << a.out;
  // Expected violations found, nothing unexpected, but never exhaustive.
  EXPECT_EQ(a.exit_code, 4) << a.out << a.err;
  EXPECT_NE(a.out.find("30 walks"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("violation (no-lost-wakeup, no-stuck-vcpu)"), std::string::npos) << a.out;
  const ToolRun b = run_faultline(with({"simulate", "--seed", "42", "--walks", "30"}, kBuggy));
  const auto strip_time = [](const std::string& s) {
    return std::regex_replace(s, std::regex("[0-9]+\\.[0-9]+ s"), "T s");
  };
  EXPECT_EQ(strip_time(a.out), strip_time(b.out));
}

TEST(Simulate, RandomSeedIsPrinted) {
  const ToolRun r = run_faultline({"simulate", "--walks", "2", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.out.rfind("seed: ", 0), 0U) << r.out;
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.out.find("no violation found"), std::string::npos) << r.out;
}

TEST(Show, RendersCheckJsonLikeCheck) {
  const ToolRun check = run_faultline(with({"check", "--traces"}, kBuggy));
  const ToolRun json = run_faultline(with({"check", "--json"}, kBuggy));
  const std::string path = testing::TempDir() + "/faultline-show-test.json";
  { std::ofstream(path) << json.out; }
  const ToolRun show = run_faultline({"show", path});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  // Each timeline of `check` appears verbatim in `show`.
  const size_t at = check.out.find("    step |");
  ASSERT_NE(at, std::string::npos) << check.out;
  const std::string first = check.out.substr(at, check.out.find("  counterexample", at) - at);
  EXPECT_NE(show.out.find(first), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("postcopy [linux-6.18 V=2 P=4 WAKE_PREFETCH=0]"), std::string::npos)
      << show.out;
  const ToolRun dot = run_faultline({"show", "--dot", path});
  EXPECT_EQ(dot.exit_code, 0);
  EXPECT_EQ(dot.out.rfind("digraph trace {", 0), 0U) << dot.out;
  std::remove(path.c_str());
}

TEST(Show, LassoIsMarked) {
  const ToolRun r = run_faultline({"check", "--traces", "scenarios/bench/retry-livelock.fl"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("-- cycle: steps 3..6 repeat forever"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-- back to step 3 "), std::string::npos) << r.out;
}

TEST(Show, BadInputIsAUsageError) {
  EXPECT_EQ(run_faultline({"show", "no-such-file.json"}).exit_code, 2);
  EXPECT_EQ(run_faultline({"show", source_path("scenarios/bench/postcopy.fl")}).exit_code, 2);
}

}  // namespace
}  // namespace fl::test

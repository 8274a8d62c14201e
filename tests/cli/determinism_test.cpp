// Same input, same output: for every shipped scenario, `check --json` is
// byte-identical (minus the wall time and memory figures) across runs and
// for --threads 1 and --threads 2, counterexamples included.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fl::test {
namespace {

using nlohmann::ordered_json;

std::string without_timings(const std::string& out) {
  ordered_json j = ordered_json::parse(out);
  for (ordered_json& res : j["results"]) {
    res.erase("seconds");
    res.erase("peak_memory_bytes");
  }
  return j.dump(1);
}

TEST(Determinism, EveryShippedScenarioGivesTheSameJsonForAnyThreadCount) {
  const ToolRun first = run_faultline({"check", "--json", "--threads", "1", "scenarios"});
  const ToolRun again = run_faultline({"check", "--json", "--threads", "1", "scenarios"});
  const ToolRun two = run_faultline({"check", "--json", "--threads", "2", "scenarios"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const std::string reference = without_timings(first.out);
  EXPECT_EQ(reference, without_timings(again.out));
  EXPECT_EQ(reference, without_timings(two.out));
  // Sanity: the comparison covers real work, counterexamples included.
  const ordered_json j = ordered_json::parse(first.out);
  EXPECT_GE(j["results"].size(), 60u);
  size_t traces = 0;
  for (const ordered_json& res : j["results"]) traces += res["violations"].size();
  EXPECT_GE(traces, 20u);
}

TEST(Determinism, TheBenchmarkModelIsIdenticalForOneAndTwoThreadsAtScale) {
  // postcopy(3,4) without the prefetch wake-up: 34,786 states and two
  // counterexamples, enough for the parallel expansion to split work.
  const std::vector<std::string> args = {"--param",
                                         "V=3",
                                         "--param",
                                         "P=4",
                                         "--param",
                                         "WAKE_PREFETCH=false",
                                         "scenarios/bench/postcopy.fl"};
  std::vector<std::string> one = {"check", "--json", "--threads", "1"};
  std::vector<std::string> two = {"check", "--json", "--threads", "2"};
  one.insert(one.end(), args.begin(), args.end());
  two.insert(two.end(), args.begin(), args.end());
  const ToolRun a = run_faultline(one);
  const ToolRun b = run_faultline(two);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(without_timings(a.out), without_timings(b.out));
  EXPECT_EQ(ordered_json::parse(a.out)["results"][0]["states"], 34786);
}

}  // namespace
}  // namespace fl::test

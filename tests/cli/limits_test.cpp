// The limits stop exploration cleanly with verdict `incomplete`, exit 4 and
// the statistics so far (docs/cli.md), before the machine runs out of
// memory; SIGINT does the same.  postcopy(8,16) has far more states than
// any of these limits allow.

#include <gtest/gtest.h>

#include <csignal>

#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fl::test {
namespace {

using nlohmann::json;

const std::vector<std::string> kHuge = {"--param", "V=8", "--param", "P=16",
                                        "scenarios/bench/postcopy.fl"};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST(Limits, MemoryLimitStopsBeforeTheStateSpaceIsExhausted) {
  const ToolRun r = run_faultline(with({"check", "--json", "--max-memory", "64"}, kHuge));
  ASSERT_EQ(r.exit_code, 4) << r.err;
  const json res = json::parse(r.out)["results"][0];
  EXPECT_EQ(res["verdict"], "incomplete");
  EXPECT_EQ(res["incomplete_reason"], "memory limit 64 MiB reached");
  EXPECT_GT(res["states"].get<uint64_t>(), 100000u);
  EXPECT_LE(res["peak_memory_bytes"].get<uint64_t>(), 64u << 20);
}

TEST(Limits, TimeLimitStopsWithTheStatisticsSoFar) {
  const ToolRun r = run_faultline(with({"check", "--json", "--time-limit", "0.5"}, kHuge));
  ASSERT_EQ(r.exit_code, 4) << r.err;
  const json res = json::parse(r.out)["results"][0];
  EXPECT_EQ(res["verdict"], "incomplete");
  EXPECT_EQ(res["incomplete_reason"], "time limit 0.5 s reached");
  EXPECT_GT(res["states"].get<uint64_t>(), 0u);
}

TEST(Limits, StateLimitIsExact) {
  const ToolRun r = run_faultline(with({"check", "--json", "--max-states", "1000"}, kHuge));
  ASSERT_EQ(r.exit_code, 4) << r.err;
  const json res = json::parse(r.out)["results"][0];
  EXPECT_EQ(res["states"], 1000);
  EXPECT_EQ(res["incomplete_reason"], "state limit 1000 reached");
}

TEST(Limits, InterruptStopsCleanly) {
  const ToolRun r = run_faultline_signalled(with({"check", "--json"}, kHuge), SIGINT, 700);
  ASSERT_EQ(r.exit_code, 4) << r.err;
  const json res = json::parse(r.out)["results"][0];
  EXPECT_EQ(res["verdict"], "incomplete");
  EXPECT_EQ(res["incomplete_reason"], "interrupted");
}

TEST(Limits, TextOutputSaysIncomplete) {
  const ToolRun r = run_faultline(with({"check", "--max-states", "50"}, kHuge));
  ASSERT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(
      r.out.rfind("INCOMPLETE postcopy [linux-6.18 V=8 P=16 WAKE_PREFETCH=1]  states 50  ", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("incomplete: state limit 50 reached"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fl::test

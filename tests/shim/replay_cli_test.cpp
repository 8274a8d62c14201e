// End to end through the faultline binary: `replay --probe`, `diff` over every mm scenario (zero
// mismatches on this kernel), and `repro` (the generated C program is compiled with cc and run).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace {

struct Output {
  int code = -1;
  std::string out;
};

// Runs a shell command under a watchdog (coreutils timeout) and captures stdout.
Output run(const std::string& cmd, int timeout_s = 600) {
  Output o;
  const std::string full = "timeout -s KILL " + std::to_string(timeout_s) + " " + cmd;
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  const int status = pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

std::string tool() {
  return std::string(FL_BINARY_DIR) + "/faultline";
}

std::string source(const std::string& rel) {
  return std::string(FL_SOURCE_DIR) + "/" + rel;
}

class ReplayCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st {};
    if (stat(tool().c_str(), &st) != 0) GTEST_SKIP() << "build the faultline target first";
  }
};

TEST_F(ReplayCliTest, ProbeJson) {
  const Output o = run(tool() + " replay --probe --json");
  ASSERT_EQ(o.code, 0);
  const auto j = nlohmann::json::parse(o.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j.contains("userfaultfd"));
  EXPECT_TRUE(j.contains("kernel_release"));
}

// Every scenario of scenarios/mm either replays with every observed outcome allowed by the
// model, or is skipped with a reason.  A mismatch is printed with both sides.
TEST_F(ReplayCliTest, DiffHasNoMismatch) {
  const Output o = run(tool() + " diff --json --runs 2 " + source("scenarios/mm"));
  const auto j = nlohmann::json::parse(o.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << o.out;
  int replayed = 0;
  for (const auto& r : j["results"]) {
    SCOPED_TRACE(r.dump(2));
    EXPECT_FALSE(r.contains("error"));
    if (r.contains("skipped")) {
      EXPECT_FALSE(r["skipped"].get<std::string>().empty());
      continue;
    }
    ++replayed;
    EXPECT_TRUE(r["mismatches"].empty());
    EXPECT_GE(r["orders"].get<int>(), 2) << "the natural order and at least one model trace";
  }
  EXPECT_GE(replayed, 15);
  EXPECT_EQ(o.code, 0);
}

TEST_F(ReplayCliTest, ReplayExitsThreeWhenACapabilityIsMissing) {
  const Output o = run(tool() + " replay " + source("scenarios/mm/uffdio-sigbus-v1.fl") +
                       " --variant uffdio-sigbus-v1");
  EXPECT_EQ(o.code, 3) << o.out;
  EXPECT_NE(o.out.find("skip"), std::string::npos);
}

// A counterexample of `check --json` becomes a C program that builds warning-free with cc and
// reproduces the trace on this kernel.
TEST_F(ReplayCliTest, ReproCompilesAndReproduces) {
  const std::string dir = ::testing::TempDir();
  for (const char* name : {"dontwake-without-wake", "close-with-waiter", "minor-continue-stale"}) {
    SCOPED_TRACE(name);
    const std::string json = dir + "/fl-trace-" + name + ".json";
    const std::string c = dir + "/fl-repro-" + name + ".c";
    const std::string bin = dir + "/fl-repro-" + name;
    run(tool() + " check --json " + source(std::string("scenarios/mm/") + name + ".fl") + " > " +
        json);
    ASSERT_EQ(run(tool() + " repro " + json + " -o " + c).code, 0);
    ASSERT_EQ(run("cc -std=gnu11 -Wall -Wextra -Werror -O2 -pthread -o " + bin + " " + c).code, 0);
    const Output o = run(bin + " --runs 3", 120);
    EXPECT_EQ(o.code, 0) << o.out;
    EXPECT_NE(o.out.find("3 of 3 runs reproduced"), std::string::npos) << o.out;
    std::remove(json.c_str());
    std::remove(c.c_str());
    std::remove(bin.c_str());
  }
}

}  // namespace

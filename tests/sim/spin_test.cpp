// The differential check of the explorer against SPIN: with no reduction,
// our number of distinct states of postcopy(V, P) must equal SPIN's
// "states, stored" for the Promela twin (bench/postcopy.pml) compiled with
// -DNOREDUCE.  Skipped, with a reason, when spin or gcc is not installed.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "postcopy_fixture.h"
#include "sim/check.h"

namespace fl::sim {
namespace {

namespace fs = std::filesystem;

bool have(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs `command` and returns its standard output.
std::string output_of(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// SPIN's "states, stored" for postcopy(v, p), or -1 when a step failed.
long long spin_states(int v, int p, const fs::path& dir) {
  const fs::path pml = fs::path(FL_SOURCE_DIR) / "bench" / "postcopy.pml";
  const std::string defs =
      "-DV=" + std::to_string(v) + " -DP=" + std::to_string(p) + " -DWAKE_PREFETCH=1";
  const std::string cmd = "cd '" + dir.string() + "' && spin " + defs + " -a '" + pml.string() +
                          "' >/dev/null 2>&1 && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c " +
                          ">/dev/null 2>&1 && ./pan -m100000 -w20";
  const std::string out = output_of(cmd);
  const size_t at = out.find("states, stored");
  if (at == std::string::npos) return -1;
  size_t begin = out.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return std::stoll(out.substr(begin, at - begin));
}

TEST(Spin, StateCountsEqualSpinStatesStored) {
  if (!have("spin")) GTEST_SKIP() << "spin is not installed";
  if (!have("gcc")) GTEST_SKIP() << "gcc is not installed (needed to compile SPIN's pan.c)";
  const fs::path dir = fs::temp_directory_path() /
                       ("faultline-spin-" + std::to_string(static_cast<long>(::getpid())));
  fs::create_directories(dir);
  for (auto [v, p] : {std::pair{2, 4}, std::pair{3, 4}}) {
    SCOPED_TRACE("V=" + std::to_string(v) + " P=" + std::to_string(p));
    CheckOptions opts;
    opts.reduction = false;
    const CheckResult r = check(test::postcopy_model(v, p, true), opts);
    EXPECT_EQ(static_cast<long long>(r.states), spin_states(v, p, dir));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fl::sim

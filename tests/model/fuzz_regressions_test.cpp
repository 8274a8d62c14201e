// Every input a fuzzer ever crashed on (tests/fuzz/regressions/) stays a
// test: loading it with every kernel extension attached must end in a model
// or a located ScenarioError, never a crash.

#include <gtest/gtest.h>

#include <filesystem>

#include "model/lang/frontend.h"
#include "model/load/loader.h"

namespace fl {
namespace {

TEST(FuzzRegressions, EveryRegressionFileLoadsOrFailsCleanly) {
  const std::string dir = std::string(FL_SOURCE_DIR) + "/tests/fuzz/regressions";
  size_t files = 0, errors = 0;
  for (const std::string& file : model::find_scenarios(dir)) {
    ++files;
    try {
      const lang::Scenario sc = model::load_scenario(file);
      for (const std::string& v : sc.info().variants) (void)sc.elaborate(v, {});
    } catch (const lang::ScenarioError& e) {
      ++errors;
      EXPECT_EQ(e.render().rfind(file + ":", 0), 0u) << e.render();
    }
  }
  EXPECT_GE(files, 4u);
  EXPECT_EQ(errors, files);  // each of these files is malformed
}

}  // namespace
}  // namespace fl

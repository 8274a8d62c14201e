// Trace artifacts carry a format version, the tool version and a hash of
// the scenario, variant and parameters; reading one back against a changed
// scenario is a one-line error with exit 2 (cli/artifact.h).

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fl::test {
namespace {

namespace fs = std::filesystem;

class Artifact : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fl-artifact-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    scenario_ = (dir_ / "s12.fl").string();
    fs::copy_file(source_path("scenarios/mm/poison-late-waiter-s12.fl"), scenario_,
                  fs::copy_options::overwrite_existing);
    trace_ = (dir_ / "trace.json").string();
    const ToolRun r = run_faultline({"check", "--json", scenario_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(trace_) << r.out;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string scenario_;
  std::string trace_;
};

TEST_F(Artifact, EveryResultIsStamped) {
  std::ifstream in(trace_);
  const nlohmann::json j = nlohmann::json::parse(in);
  const nlohmann::json& res = j["results"][0];
  EXPECT_EQ(res["format_version"], 1);
  EXPECT_EQ(res["tool_version"], "0.1.0");
  EXPECT_EQ(res["scenario_hash"].get<std::string>().size(), 16u);
}

TEST_F(Artifact, AnUnchangedScenarioIsAccepted) {
  const ToolRun r = run_faultline({"repro", trace_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("/* faultline reproducer", 0), 0u);
}

TEST_F(Artifact, AChangedScenarioIsRefusedInOneLine) {
  std::ofstream(scenario_, std::ios::app) << "# changed\n";
  const ToolRun r = run_faultline({"repro", trace_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("made from a different version of " + scenario_), std::string::npos)
      << r.err;
}

TEST_F(Artifact, AFileWithoutTheStampIsRefused) {
  std::ifstream in(trace_);
  nlohmann::json j = nlohmann::json::parse(in);
  j["results"][0].erase("format_version");
  std::ofstream(trace_) << j.dump();
  const ToolRun r = run_faultline({"repro", trace_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a faultline trace artifact"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fl::test

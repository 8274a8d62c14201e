// The shortest counterexample of every violated property of every shipped
// scenario, under every variant it declares, is kept as a golden file
// (tests/golden/counterexamples/FOLDER-NAME.txt): one line per step,
// "actor: action [kernel function]".  A change to the model that changes a
// counterexample shows up here as a diff to review.  FL_UPDATE_GOLDEN=1
// rewrites the files.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fl::test {
namespace {

namespace fs = std::filesystem;

std::string render(const nlohmann::json& results) {
  std::string out;
  for (const auto& res : results) {
    for (const auto& v : res["violations"]) {
      out += "== " + res["variant"].get<std::string>() + " " + v["property"].get<std::string>() +
             " (" + v["kind"].get<std::string>() + ")";
      if (v["trace"].contains("cycle_start")) {
        out += " cycle from step " + std::to_string(v["trace"]["cycle_start"].get<int>() + 1);
      }
      out += "\n";
      int n = 0;
      for (const auto& step : v["trace"]["steps"]) {
        out += std::to_string(++n) + ". " + step["actor"].get<std::string>() + ": " +
               step["action"].get<std::string>();
        const std::string kf = step["kernel_function"].get<std::string>();
        if (!kf.empty()) out += " [" + kf + "]";
        out += "\n";
      }
    }
  }
  return out;
}

std::vector<std::string> shipped() {
  std::vector<std::string> out;
  for (const char* dir : {"scenarios/mm", "scenarios/seeds", "scenarios/bench"}) {
    for (const auto& e : fs::directory_iterator(source_path(dir))) {
      if (e.path().extension() == ".fl") {
        out.push_back(std::string(dir) + "/" + e.path().filename().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, CounterexamplesAreTheGoldenOnes) {
  const std::string scenario = GetParam();
  const ToolRun r = run_faultline({"check", "--json", scenario});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string got = render(nlohmann::json::parse(r.out)["results"]);
  std::string name = scenario.substr(std::string("scenarios/").size());
  std::replace(name.begin(), name.end(), '/', '-');
  const std::string golden =
      source_path("tests/golden/counterexamples/" + name.substr(0, name.size() - 3) + ".txt");
  if (std::getenv("FL_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << got;
    return;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in.good()) << "missing golden file " << golden
                         << " (run with FL_UPDATE_GOLDEN=1 to create it)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << scenario;
}

INSTANTIATE_TEST_SUITE_P(Shipped, Golden, ::testing::ValuesIn(shipped()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace fl::test

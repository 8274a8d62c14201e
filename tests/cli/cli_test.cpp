// End-to-end tests of the CLI contract (docs/cli.md): subcommands, exit
// codes, the verdict lines and the --json schema (docs/json.md).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_tool.h"

namespace fl::test {
namespace {

using nlohmann::json;

TEST(Cli, HelpListsEverySubcommandAndTheExitCodes) {
  const ToolRun r = run_faultline({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub :
       {"check", "simulate", "prove", "replay", "diff", "repro", "show", "list"}) {
    EXPECT_NE(r.out.find(std::string(sub)), std::string::npos) << sub;
  }
  EXPECT_NE(r.out.find("4  a limit stopped the run before it was exhaustive"), std::string::npos);
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub :
       {"check", "simulate", "prove", "replay", "diff", "repro", "show", "list"}) {
    const ToolRun r = run_faultline({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find(std::string("faultline ") + sub), std::string::npos) << r.out;
  }
  // The commands that explore take every common option.
  for (const char* sub : {"check", "simulate", "prove"}) {
    const ToolRun r = run_faultline({sub, "--help"});
    for (const char* opt : {"--json", "--variant", "--param", "--threads", "--seed",
                            "--no-reduction", "--max-states", "--time-limit", "--max-memory"}) {
      EXPECT_NE(r.out.find(opt), std::string::npos) << sub << " " << opt;
    }
  }
}

TEST(Cli, NoSubcommandIsAUsageError) {
  const ToolRun r = run_faultline({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("faultline: A subcommand is required"), std::string::npos) << r.err;
}

TEST(Cli, UnknownOptionIsAUsageError) {
  const ToolRun r = run_faultline({"check", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos) << r.err;
}

TEST(Cli, VersionNamesTheTool) {
  const ToolRun r = run_faultline({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("faultline 0.1.0 (Z3 ", 0), 0u) << r.out;
}

TEST(Cli, MissingScenarioFileExitsTwoNamingIt) {
  const ToolRun r = run_faultline({"check", "no/such/file.fl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no/such/file.fl: error: no such file or directory"), std::string::npos)
      << r.err;
}

TEST(Cli, MalformedScenarioExitsTwoWithFileLineColumn) {
  const ToolRun r = run_faultline({"check", "tests/cli/data/bad-init.fl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("tests/cli/data/bad-init.fl:2:", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("^"), std::string::npos) << r.err;
}

TEST(Cli, UnknownVariantIsAUsageError) {
  const ToolRun r =
      run_faultline({"check", "--variant", "linux-9.99", "tests/cli/data/ok-small.fl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "faultline: unknown variant 'linux-9.99' (see `faultline list variants`)\n");
}

TEST(Cli, UndeclaredParamIsAUsageError) {
  const ToolRun r = run_faultline({"check", "--param", "NOPE=1", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "faultline: --param NOPE=1: no scenario declares a parameter 'NOPE'\n");
}

TEST(Cli, ParamWithoutValueIsAUsageError) {
  const ToolRun r = run_faultline({"check", "--param", "V", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "faultline: --param V: expected NAME=VALUE\n");
}

TEST(Cli, BadParamValueIsAUsageError) {
  const ToolRun r = run_faultline({"check", "--param", "V=abc", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("V=abc"), std::string::npos) << r.err;
}

TEST(Cli, ProveClassifiesEachProperty) {
  // data and no-lost-wakeup are inductive; no-stuck-vcpu is not, and its
  // counterexample to induction starts from an unreachable state: exit 4
  // (neither proved nor refuted).
  const ToolRun r = run_faultline({"prove", "--json", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const json j = json::parse(r.out);
  const json& props = j["results"][0]["properties"];
  ASSERT_EQ(props.size(), 4u);
  EXPECT_EQ(props[0]["property"], "data");
  EXPECT_EQ(props[0]["status"], "proved");
  EXPECT_EQ(props[1]["property"], "no-lost-wakeup");
  EXPECT_EQ(props[1]["status"], "proved");
  EXPECT_EQ(props[2]["property"], "no-stuck-vcpu");
  EXPECT_EQ(props[2]["status"], "unknown");
  EXPECT_EQ(props[2]["cti_pre_state_reachable"], "no");
  EXPECT_EQ(props[2]["cti_states_explored"], 4612);
  EXPECT_EQ(props[3]["property"], "model-error");
  EXPECT_EQ(props[3]["status"], "proved");
}

TEST(Cli, ProveFindsTheBuggyVariantsShortestViolation) {
  const ToolRun r = run_faultline(
      {"prove", "--json", "--param", "WAKE_PREFETCH=false", "scenarios/bench/postcopy.fl"});
  const json j = json::parse(r.out);
  const json& props = j["results"][0]["properties"];
  EXPECT_EQ(props[1]["property"], "no-lost-wakeup");
  EXPECT_EQ(props[1]["status"], "violated");
  EXPECT_EQ(props[1]["as_expected"], true);
  EXPECT_EQ(props[1]["trace"]["steps"].size(), 2u);
  EXPECT_EQ(r.exit_code, 4);  // no-stuck-vcpu: violated at depth 9, beyond k-induction's base
}

TEST(Cli, ProveIoctlsShowsModelAndKernelAgree) {
  const ToolRun r = run_faultline({"prove", "--ioctls", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["all_equivalent"], true);
}

TEST(Cli, Z3CrossCheckAgreesOnEveryStateOfSmallScenarios) {
  // The debug switch: Z3 and the evaluator on every reachable state.
  const ToolRun r =
      run_faultline({"check", "--z3-cross-check", "scenarios/mm/poison-late-waiter-s12.fl",
                     "scenarios/seeds/kvm-userfault-huge.fl"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(Cli, BmcEngineFindsTheSameShortestCounterexamples) {
  const ToolRun r = run_faultline({"check", "--json", "--engine", "bmc", "--depth", "10", "--param",
                                   "WAKE_PREFETCH=false", "scenarios/bench/postcopy.fl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json res = json::parse(r.out)["results"][0];
  ASSERT_EQ(res["violations"].size(), 2u);
  EXPECT_EQ(res["violations"][0]["property"], "no-lost-wakeup");
  EXPECT_EQ(res["violations"][0]["trace"]["steps"].size(), 2u);
  EXPECT_EQ(res["violations"][1]["property"], "no-stuck-vcpu");
  EXPECT_EQ(res["violations"][1]["trace"]["steps"].size(), 9u);
}

TEST(Cli, PostcopyDefaultPassesWithTheSpecStateCount) {
  // postcopy(2, 4): 4612 distinct states (shared/bench/postcopy_bfs.py).
  const ToolRun r = run_faultline({"check", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok   postcopy [linux-6.18 V=2 P=4 WAKE_PREFETCH=1]  states 4612  "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("pass  as expected"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 check of 1 scenario file: 1 as expected, 0 not as expected, 0 "
                       "incomplete, 0 errors"),
            std::string::npos)
      << r.out;
}

TEST(Cli, ExpectedViolationsStillExitZero) {
  const ToolRun r =
      run_faultline({"check", "--param", "WAKE_PREFETCH=false", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("states 2556"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("violation (no-lost-wakeup, no-stuck-vcpu)  as expected"), std::string::npos)
      << r.out;
}

TEST(Cli, JsonSchemaOfCheck) {
  const ToolRun r = run_faultline(
      {"check", "--json", "--param", "WAKE_PREFETCH=false", "scenarios/bench/postcopy.fl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 1u);
  const json& res = j["results"][0];
  EXPECT_EQ(res["scenario"], "postcopy");
  EXPECT_EQ(res["variant"], "linux-6.18");
  EXPECT_EQ(res["verdict"], "violation");
  EXPECT_EQ(res["expectation_met"], true);
  EXPECT_EQ(res["states"], 2556);
  EXPECT_EQ(res["transitions"], 7169);
  EXPECT_TRUE(res["seconds"].is_number());
  EXPECT_TRUE(res["peak_memory_bytes"].is_number_unsigned());
  ASSERT_EQ(res["violations"].size(), 2u);
  EXPECT_EQ(res["violations"][0]["property"], "no-lost-wakeup");
  EXPECT_EQ(res["violations"][0]["kind"], "invariant");
  // Shortest counterexamples: depth 2 and 9 (postcopy_bfs.py --first).
  EXPECT_EQ(res["violations"][0]["trace"]["steps"].size(), 2u);
  EXPECT_EQ(res["violations"][1]["property"], "no-stuck-vcpu");
  EXPECT_EQ(res["violations"][1]["kind"], "deadlock");
  EXPECT_EQ(res["violations"][1]["trace"]["steps"].size(), 9u);
  const json& step = res["violations"][0]["trace"]["steps"][0];
  EXPECT_TRUE(step.contains("actor"));
  EXPECT_TRUE(step.contains("action"));
  EXPECT_TRUE(step.contains("kernel_function"));
  EXPECT_TRUE(res["outcomes"].is_array());
  EXPECT_EQ(j["exit_code"], 0);
}

TEST(Cli, OutcomesAreTheFinalObservationValues) {
  const ToolRun r = run_faultline({"check", "--json", "tests/cli/data/ok-small.fl"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json j = json::parse(r.out);
  const json& res = j["results"][0];
  EXPECT_EQ(res["outcomes"], json::parse(R"([{"flag": 1}, {"flag": 2}])"));
  EXPECT_EQ(res["states"], 5);  // start, either write, both writes in either order
  EXPECT_EQ(res["transitions"], 4);
  EXPECT_EQ(res["verdict"], "pass");
}

TEST(Cli, StateLimitGivesIncompleteAndExitFour) {
  const ToolRun r =
      run_faultline({"check", "--json", "--max-states", "100", "scenarios/bench/postcopy.fl"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["results"][0]["verdict"], "incomplete");
  EXPECT_EQ(j["results"][0]["expectation_met"], false);
  EXPECT_TRUE(j["results"][0].contains("incomplete_reason"));
}

json without_timings(json j) {
  for (json& res : j["results"]) {
    res.erase("seconds");
    res.erase("peak_memory_bytes");
  }
  return j;
}

TEST(Cli, OutputDoesNotDependOnThreadCount) {
  const ToolRun one = run_faultline({"check", "--json", "--threads", "1", "--param",
                                     "WAKE_PREFETCH=false", "scenarios/bench/postcopy.fl"});
  const ToolRun two = run_faultline({"check", "--json", "--threads", "2", "--param",
                                     "WAKE_PREFETCH=false", "scenarios/bench/postcopy.fl"});
  ASSERT_EQ(one.exit_code, 0);
  ASSERT_EQ(two.exit_code, 0);
  EXPECT_EQ(without_timings(json::parse(one.out)).dump(),
            without_timings(json::parse(two.out)).dump());
}

TEST(Cli, ListVariantsShowsTheBaseline) {
  const ToolRun r = run_faultline({"list", "variants"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("linux-6.18\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("kvm-userfault-rfc"), std::string::npos);
}

TEST(Cli, ListScenariosShowsPostcopy) {
  const ToolRun r = run_faultline({"list", "scenarios", "scenarios/bench"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("postcopy  scenarios/bench/postcopy.fl\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("params: V=2 P=4 WAKE_PREFETCH=true"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fl::test

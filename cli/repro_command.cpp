// `faultline repro TRACE.json`: turns a counterexample of `faultline check --json` into a
// standalone C program (kernel-shim/repro.h) that forces the trace's order on a real kernel.
// With --runs N it also compiles the program with cc and runs it N times.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/artifact.h"

#include "cli/app.h"
#include "cli/commands.h"
#include "kernel-shim/probe.h"
#include "kernel-shim/replay.h"
#include "kernel-shim/repro.h"
#include "model/eval.h"
#include "model/lang/diag.h"
#include "sim/outcome_traces.h"

namespace fl::cli {

namespace {

// Finds the action a trace step names (actor and action names are unique per model).
model::Id find_action(const model::Model& m, const std::string& actor, const std::string& name) {
  for (model::Id a = 0; a < m.actions.size(); ++a) {
    if (m.actions[a].name == name && m.actors[m.actions[a].actor].name == actor) return a;
  }
  return model::kNoId;
}

int compile_and_run(const std::string& source_path, unsigned runs) {
  const std::string binary = source_path + ".bin";
  const std::string cc = "cc -O2 -pthread -o '" + binary + "' '" + source_path + "'";
  if (std::system(cc.c_str()) != 0) {
    std::cerr << "faultline repro: the C compiler failed: " << cc << "\n";
    return kExitUsage;
  }
  const std::string run = "'" + binary + "' --runs " + std::to_string(runs);
  const int status = std::system(run.c_str());
  unlink(binary.c_str());
  if (!WIFEXITED(status)) return kExitViolation;
  const int code = WEXITSTATUS(status);
  return code == 0 ? kExitOk : code == 2 ? kExitCapability : kExitViolation;
}

}  // namespace

int repro_command(const std::vector<std::string>& inputs, const CommonOptions& /*opts*/,
                  const ShimOptions& shim) {
  if (inputs.size() != 1) {
    std::cerr << "faultline repro: give one TRACE.json (the output of `faultline check --json`)\n";
    return kExitUsage;
  }
  std::ifstream in(inputs[0]);
  if (!in) {
    std::cerr << "faultline repro: cannot read " << inputs[0] << "\n";
    return kExitUsage;
  }
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("results")) {
    std::cerr << "faultline repro: " << inputs[0] << " is not `faultline check --json` output\n";
    return kExitUsage;
  }
  const nlohmann::json* result = nullptr;
  const nlohmann::json* violation = nullptr;
  for (const auto& r : j["results"]) {
    if (!r.contains("violations")) continue;
    for (const auto& v : r["violations"]) {
      if (!shim.property.empty() && v.value("property", "") != shim.property) continue;
      result = &r;
      violation = &v;
      break;
    }
    if (violation != nullptr) break;
  }
  if (violation == nullptr) {
    std::cerr << "faultline repro: no violation"
              << (shim.property.empty() ? "" : " of property '" + shim.property + "'") << " in "
              << inputs[0] << "\n";
    return kExitUsage;
  }
  if (const std::string why = artifact_mismatch(*result); !why.empty()) {
    std::cerr << "faultline repro: " << inputs[0] << ": " << why << "\n";
    return kExitUsage;
  }
  std::vector<std::pair<std::string, std::string>> params;
  if (result->contains("params")) {
    for (const auto& [name, value] : (*result)["params"].items()) {
      params.emplace_back(name, value.dump());
    }
  }
  shim::ReplayScenario sc;
  try {
    sc = shim::load_replay_scenario((*result)["file"].get<std::string>(),
                                    (*result)["variant"].get<std::string>(), params);
  } catch (const lang::ScenarioError& e) {
    std::cerr << e.render() << "\n";
    return kExitUsage;
  }
  std::vector<model::Id> actions;
  model::State state = model::initial_state(sc.model);
  model::EvalError err;
  for (const auto& step : (*violation)["trace"]["steps"]) {
    const model::Id a =
        find_action(sc.model, step["actor"].get<std::string>(), step["action"].get<std::string>());
    if (a == model::kNoId) {
      std::cerr << "faultline repro: the trace's step " << step.dump()
                << " is not an action of the scenario as it is now\n";
      return kExitUsage;
    }
    auto next = model::successor(sc.model, a, state, err);
    if (!next) {
      std::cerr << "faultline repro: the trace does not run on the model: " << err.message << "\n";
      return kExitUsage;
    }
    state = std::move(*next);
    actions.push_back(a);
  }
  shim::ReproSpec spec;
  spec.schedule = shim::schedule_from_actions(sc, actions);
  spec.expected = sim::reachable_outcomes(sc.model, state);
  spec.allowed = sim::reachable_outcomes(sc.model, model::initial_state(sc.model));
  spec.title = "scenario " + sc.model.scenario + " (" + sc.file + "), variant " + sc.model.variant +
               ", " + (*violation)["kind"].get<std::string>() + " " +
               (*violation)["property"].get<std::string>() + ", trace of " +
               std::to_string(actions.size()) + " model steps";
  std::string error;
  const std::string source = shim::generate_repro(sc, spec, error);
  if (source.empty()) {
    std::cerr << "faultline repro: " << error << "\n";
    return kExitUsage;
  }
  const std::string reason = shim::unsupported_reason(sc, shim::cached_probe());
  if (!reason.empty()) std::cerr << "faultline repro: warning: on this machine: " << reason << "\n";
  std::string path = shim.output;
  if (path.empty() && shim.runs > 0) {
    char tmpl[] = "/tmp/faultline-repro-XXXXXX.c";
    const int fd = mkstemps(tmpl, 2);
    if (fd < 0) {
      std::cerr << "faultline repro: cannot create a temporary file\n";
      return kExitUsage;
    }
    close(fd);
    path = tmpl;
  }
  if (path.empty()) {
    std::cout << source;
    return kExitOk;
  }
  {
    std::ofstream out(path);
    out << source;
    if (!out) {
      std::cerr << "faultline repro: cannot write " << path << "\n";
      return kExitUsage;
    }
  }
  if (shim.runs == 0) return kExitOk;
  std::cout.flush();
  const int code = compile_and_run(path, shim.runs);
  if (shim.output.empty()) unlink(path.c_str());
  return code;
}

}  // namespace fl::cli

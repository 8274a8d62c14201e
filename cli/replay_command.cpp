// `faultline replay`: the capability probe, and runs of a scenario on the running kernel in the
// scenario's natural order (docs/kernel-shim.md).

#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "kernel-shim/probe.h"
#include "kernel-shim/replay.h"
#include "model/lang/diag.h"

namespace fl::cli {

int replay_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                   const ShimOptions& shim) {
  const shim::Probe& probe = shim::cached_probe();
  if (shim.probe) {
    if (opts.json) {
      std::cout << shim::to_json(probe).dump(2) << "\n";
    } else {
      std::cout << shim::format_probe(probe);
    }
    return kExitOk;
  }
  if (inputs.empty()) {
    std::cerr << "faultline replay: give a scenario file (or --probe)\n";
    return kExitUsage;
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const std::string& p : opts.params) params.push_back(split_param(p));
  const std::string variant = opts.variant.empty() ? "linux-6.18" : opts.variant;
  const unsigned runs = shim.runs == 0 ? 1 : shim.runs;
  int code = kExitOk;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const std::string& file : inputs) {
    shim::ReplayScenario sc;
    try {
      sc = shim::load_replay_scenario(file, variant, params);
    } catch (const lang::ScenarioError& e) {
      std::cerr << e.render() << "\n";
      code = kExitUsage;
      continue;
    }
    nlohmann::ordered_json item;
    item["file"] = file;
    item["scenario"] = sc.model.scenario;
    item["variant"] = variant;
    const std::string reason = shim::unsupported_reason(sc, probe);
    if (!reason.empty()) {
      if (!opts.json) std::cout << "skip " << file << ": " << reason << "\n";
      item["skipped"] = reason;
      results.push_back(item);
      if (code == kExitOk) code = kExitCapability;
      continue;
    }
    std::map<std::string, unsigned> counts;
    nlohmann::ordered_json run_list = nlohmann::ordered_json::array();
    for (unsigned i = 0; i < runs; ++i) {
      const shim::RunResult r = shim::replay(sc, {}, {});
      const std::string text = shim::format_outcome(r, sc.model);
      ++counts[text];
      if (opts.json) {
        run_list.push_back(nlohmann::ordered_json::parse(shim::to_json(r, sc.model).dump()));
      } else if (runs <= 20) {
        std::cout << sc.model.scenario << " run " << i + 1 << ": " << text << "\n";
        for (const std::string& n : r.notes) std::cout << "    " << n << "\n";
        for (const shim::ObservedRegister& reg : r.registers) {
          if (!reg.detail.empty()) std::cout << "    " << reg.name << ": " << reg.detail << "\n";
        }
      }
    }
    nlohmann::ordered_json distinct = nlohmann::ordered_json::array();
    if (!opts.json)
      std::cout << sc.model.scenario << ": " << counts.size() << " distinct outcome(s) in " << runs
                << " run(s)\n";
    for (const auto& [text, n] : counts) {
      if (!opts.json) std::cout << "  " << n << " x  " << text << "\n";
      distinct.push_back({{"outcome", text}, {"count", n}});
    }
    item["runs"] = run_list;
    item["outcomes"] = distinct;
    results.push_back(item);
  }
  shim::reap_replay_children();
  if (opts.json) {
    nlohmann::ordered_json out;
    out["results"] = results;
    out["exit_code"] = code;
    std::cout << out.dump(2) << "\n";
  }
  return code;
}

}  // namespace fl::cli

// `faultline diff`: differential testing of the model against the running kernel.  For every
// scenario (variant linux-6.18, the one the kernel implements) the model's allowed outcome set
// comes from sim::check; the kernel runs the scenario in its natural order and in orders taken
// from the model's own traces (one per allowed outcome and final state, sim/outcome_traces.h),
// several times each; every observed outcome outside the allowed set is a mismatch.

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "kernel-shim/probe.h"
#include "kernel-shim/replay.h"
#include "model/lang/diag.h"
#include "model/load/loader.h"
#include "sim/check.h"
#include "sim/outcome_traces.h"

namespace fl::cli {

namespace {

constexpr const char* kKernelVariant = "linux-6.18";

struct Mismatch {
  std::string schedule;
  std::string observed;
  std::vector<std::string> notes;
};

struct DiffItem {
  std::string file, scenario, skipped, error;
  size_t schedules = 0, runs = 0;
  std::map<std::string, unsigned> observed;  // outcome text -> runs
  std::vector<std::string> allowed;
  std::vector<Mismatch> mismatches;
  std::string note;  // e.g. the exploration was incomplete
};

DiffItem diff_one(const std::string& file, const CommonOptions& opts, unsigned runs) {
  DiffItem item;
  item.file = file;
  std::vector<std::pair<std::string, std::string>> params;
  try {
    const lang::Scenario parsed = model::load_scenario(file);
    item.scenario = parsed.info().name;
    const auto& variants = parsed.info().variants;
    if (std::find(variants.begin(), variants.end(), kKernelVariant) == variants.end()) {
      item.skipped = "the scenario does not declare variant linux-6.18";
      return item;
    }
    for (const std::string& p : opts.params) {
      const auto kv = split_param(p);
      for (const lang::ParamInfo& declared : parsed.info().params) {
        if (declared.name == kv.first) params.push_back(kv);
      }
    }
  } catch (const lang::ScenarioError& e) {
    item.error = e.render();
    return item;
  }
  shim::ReplayScenario sc;
  try {
    sc = shim::load_replay_scenario(file, kKernelVariant, params);
  } catch (const lang::ScenarioError& e) {
    item.error = e.render();
    return item;
  }
  item.skipped = shim::unsupported_reason(sc, shim::cached_probe());
  if (!item.skipped.empty()) return item;

  const sim::CheckResult check = sim::check(sc.model, opts.check_options());
  if (check.verdict == sim::Verdict::Incomplete) item.note = "model exploration incomplete";
  const std::set<std::vector<model::Value>> allowed(check.outcomes.begin(), check.outcomes.end());
  for (const auto& o : check.outcomes) item.allowed.push_back(shim::format_outcome(sc.model, o));

  sim::OutcomeTraceOptions to;
  to.per_outcome = 3;
  const sim::OutcomeTraces traces = sim::outcome_traces(sc.model, to);
  std::vector<shim::Schedule> schedules = {{}};
  for (const sim::OutcomeTrace& t : traces.traces) {
    shim::Schedule s = shim::schedule_from_actions(sc, t.actions);
    if (std::find(schedules.begin(), schedules.end(), s) == schedules.end()) {
      schedules.push_back(std::move(s));
    }
  }
  item.schedules = schedules.size();
  for (const shim::Schedule& s : schedules) {
    for (unsigned i = 0; i < runs; ++i) {
      const shim::RunResult r = shim::replay(sc, s, {});
      ++item.runs;
      const std::string text = shim::format_outcome(r, sc.model);
      ++item.observed[text];
      if (!r.completed || allowed.count(r.outcome) == 0) {
        item.mismatches.push_back({shim::format_schedule(sc.desc, s), text, r.notes});
      }
    }
  }
  return item;
}

void print_item(const DiffItem& d) {
  if (!d.error.empty()) {
    std::cerr << d.error << "\n";
    return;
  }
  if (!d.skipped.empty()) {
    std::cout << "skip " << d.scenario << " (" << d.file << "): " << d.skipped << "\n";
    return;
  }
  std::cout << (d.mismatches.empty() ? "ok   " : "MISMATCH ") << d.scenario << "  " << d.schedules
            << " order(s), " << d.runs << " run(s)";
  if (!d.note.empty()) std::cout << "  (" << d.note << ")";
  std::cout << "\n";
  for (const auto& [text, n] : d.observed)
    std::cout << "    observed " << n << " x  " << text << "\n";
  if (d.mismatches.empty()) return;
  std::cout << "    allowed by the model:\n";
  for (const std::string& a : d.allowed) std::cout << "      " << a << "\n";
  std::set<std::pair<std::string, std::string>> shown;
  for (const Mismatch& m : d.mismatches) {
    if (!shown.insert({m.schedule, m.observed}).second) continue;
    std::cout << "    mismatch: order [" << m.schedule << "] observed " << m.observed << "\n";
    for (const std::string& n : m.notes) std::cout << "      note: " << n << "\n";
  }
}

nlohmann::ordered_json item_json(const DiffItem& d) {
  nlohmann::ordered_json j;
  j["file"] = d.file;
  j["scenario"] = d.scenario;
  j["variant"] = kKernelVariant;
  if (!d.error.empty()) {
    j["error"] = d.error;
    return j;
  }
  if (!d.skipped.empty()) {
    j["skipped"] = d.skipped;
    return j;
  }
  j["orders"] = d.schedules;
  j["runs"] = d.runs;
  j["allowed"] = d.allowed;
  nlohmann::ordered_json obs = nlohmann::ordered_json::array();
  for (const auto& [text, n] : d.observed) obs.push_back({{"outcome", text}, {"count", n}});
  j["observed"] = obs;
  nlohmann::ordered_json mm = nlohmann::ordered_json::array();
  for (const Mismatch& m : d.mismatches) {
    mm.push_back({{"order", m.schedule}, {"observed", m.observed}, {"notes", m.notes}});
  }
  j["mismatches"] = mm;
  if (!d.note.empty()) j["note"] = d.note;
  return j;
}

}  // namespace

int diff_command(const std::vector<std::string>& raw_inputs, const CommonOptions& opts,
                 const ShimOptions& shim) {
  if (!opts.variant.empty() && opts.variant != kKernelVariant) {
    std::cerr << "faultline diff: only variant linux-6.18 runs on this kernel\n";
    return kExitUsage;
  }
  const std::vector<std::string> inputs =
      raw_inputs.empty() ? std::vector<std::string>{"scenarios/mm"} : raw_inputs;
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    try {
      for (std::string& f : model::find_scenarios(in)) files.push_back(std::move(f));
    } catch (const lang::ScenarioError& e) {
      std::cerr << e.render() << "\n";
      return kExitUsage;
    }
  }
  const unsigned runs = shim.runs == 0 ? 3 : shim.runs;
  bool error = false, mismatch = false;
  size_t ran = 0;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const std::string& file : files) {
    const DiffItem d = diff_one(file, opts, runs);
    error = error || !d.error.empty();
    mismatch = mismatch || !d.mismatches.empty();
    if (d.error.empty() && d.skipped.empty()) ++ran;
    if (opts.json) {
      results.push_back(item_json(d));
    } else {
      print_item(d);
      std::cout.flush();
    }
  }
  int code = kExitOk;
  if (error) {
    code = kExitUsage;
  } else if (mismatch) {
    code = kExitViolation;
  } else if (ran == 0) {
    code = kExitCapability;
  }
  shim::reap_replay_children();
  if (opts.json) {
    nlohmann::ordered_json out;
    out["results"] = results;
    out["exit_code"] = code;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << files.size() << " scenario file(s): " << ran << " replayed, "
              << (mismatch ? "MISMATCHES found" : "no mismatch") << "\n";
  }
  return code;
}

}  // namespace fl::cli

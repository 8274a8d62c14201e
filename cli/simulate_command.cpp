// `faultline simulate`: seeded random walks over each scenario (sim/simulate.h).

#include <cstdio>
#include <iostream>
#include <set>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/timeline.h"
#include "faultline/version.h"
#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "model/variants.h"
#include "sim/simulate.h"

namespace fl::cli {

namespace {

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Every scenario file named by `inputs`, or a usage error.
std::vector<std::string> scenario_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs.empty() ? std::vector<std::string>{"scenarios"} : inputs) {
    for (std::string& f : model::find_scenarios(in)) files.push_back(std::move(f));
  }
  return files;
}

// An expectation a random run cannot meet only for lack of
// exhaustiveness ("holds", "not exists", "forall") is not a failure.
bool unexpected(const CheckedItem& item) {
  if (item.result.verdict == sim::Verdict::Error) return true;
  for (const sim::ExpectationResult& e : item.result.expectations) {
    if (!e.met && e.detail.find("not exhaustive") == std::string::npos) return true;
  }
  return false;
}

// Walks are never exhaustive, so the best outcome is exit 4.
int exit_code(const std::vector<CheckedItem>& items) {
  bool error = false, unmet = false;
  for (const CheckedItem& item : items) {
    error = error || !item.error.empty();
    unmet = unmet || (item.error.empty() && unexpected(item));
  }
  if (error) return kExitUsage;
  if (unmet) return kExitViolation;
  return items.empty() ? kExitOk : kExitIncomplete;
}

// Like check's verdict line, with the number of walks, and "ok" when
// nothing unexpected was seen (the run is never exhaustive).
std::string simulate_line(const CheckedItem& item, uint64_t walks) {
  const sim::CheckResult& r = item.result;
  std::string line = unexpected(item) ? "FAIL " : "ok   ";
  line += item.scenario + " [" + item.variant;
  for (const auto& [name, value] : item.model.params)
    line += " " + name + "=" + std::to_string(value);
  char buf[160];
  std::snprintf(buf, sizeof buf, "]  %llu walks  states %llu  depth %u  %.2f s  ",
                static_cast<unsigned long long>(walks), static_cast<unsigned long long>(r.states),
                r.depth, r.seconds);
  line += buf;
  if (r.violations.empty()) {
    line += "no violation found";
  } else {
    line += r.verdict == sim::Verdict::Error ? "error (" : "violation (";
    for (size_t i = 0; i < r.violations.size(); ++i) {
      line += (i ? ", " : "") +
              (r.violations[i].property.empty() ? r.violations[i].kind : r.violations[i].property);
    }
    line += ")";
  }
  if (unexpected(item)) {
    for (const sim::ExpectationResult& e : r.expectations) {
      if (!e.met && e.detail.find("not exhaustive") == std::string::npos) {
        return line + "  NOT AS EXPECTED: expected " + e.text + ": " + e.detail;
      }
    }
    return line + "  NOT AS EXPECTED";
  }
  return line + "  (" + r.incomplete_reason + ")";
}

}  // namespace

int simulate_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                     const SimulateFlags& flags) {
  ParamList params;
  for (const std::string& p : opts.params) params.push_back(split_param(p));
  if (!opts.variant.empty() && model::find_variant(opts.variant) == nullptr) {
    std::cerr << "faultline: unknown variant '" << opts.variant
              << "' (see `faultline list variants`)\n";
    return kExitUsage;
  }
  sim::SimulateOptions so;
  so.seed = opts.seed_given ? opts.seed : sim::random_seed();
  so.walks = flags.walks;
  so.depth = flags.depth;
  so.swarm = flags.swarm;
  so.limits = opts.check_options().limits;
  // The seed comes first, so that even an interrupted run can be replayed.
  if (!opts.json) std::cout << "seed: " << so.seed << std::endl;

  std::vector<CheckedItem> items;
  std::vector<lang::Scenario> loaded;
  std::set<std::string> declared;
  try {
    for (const std::string& file : scenario_files(inputs)) {
      try {
        loaded.push_back(model::load_scenario(file));
        for (const lang::ParamInfo& p : loaded.back().info().params) declared.insert(p.name);
      } catch (const lang::ScenarioError& e) {
        CheckedItem item;
        item.file = file;
        item.error = e.render();
        items.push_back(std::move(item));
      }
    }
  } catch (const lang::ScenarioError& e) {
    std::cerr << e.render() << "\n";
    return kExitUsage;
  }
  for (const auto& p : params) {
    if (!declared.count(p.first)) {
      std::cerr << "faultline: --param " << p.first << "=" << p.second
                << ": no scenario declares a parameter '" << p.first << "'\n";
      return kExitUsage;
    }
  }
  for (const CheckedItem& e : items) std::cerr << e.error << "\n";
  for (const lang::Scenario& sc : loaded) {
    ParamList mine;
    for (const auto& p : params) {
      for (const lang::ParamInfo& d : sc.info().params) {
        if (d.name == p.first) mine.push_back(p);
      }
    }
    for (const std::string& variant : sc.info().variants) {
      if (!opts.variant.empty() && variant != opts.variant) continue;
      CheckedItem item;
      item.file = sc.info().file;
      item.scenario = sc.info().name;
      item.variant = variant;
      try {
        item.model = sc.elaborate(variant, mine);
      } catch (const lang::ScenarioError& e) {
        item.error = e.render();
        std::cerr << item.error << "\n";
        items.push_back(std::move(item));
        continue;
      }
      item.result = sim::simulate(item.model, so);
      if (!opts.json) {
        std::cout << simulate_line(item, so.walks) << "\n";
        // Like check: counterexamples are printed when they are news, or
        // on request (--traces).
        for (const sim::Violation& v : item.result.violations) {
          bool expected = false;
          for (const sim::ExpectationResult& e : item.result.expectations) {
            if (e.met && e.text.rfind(v.property + " violated", 0) == 0) expected = true;
          }
          if (!expected || opts.verbose_traces) print_trace(std::cout, item.model, v);
        }
        std::cout.flush();
      }
      items.push_back(std::move(item));
    }
  }
  const int code = exit_code(items);
  if (opts.json) {
    nlohmann::ordered_json out;
    out["faultline_version"] = FL_VERSION_STRING;
    out["seed"] = so.seed;
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (const CheckedItem& item : items) results.push_back(item_to_json(item));
    out["results"] = std::move(results);
    out["exit_code"] = code;
    std::cout << out.dump(2) << "\n";
  }
  return code;
}

}  // namespace fl::cli

#include "cli/selection.h"

#include <iostream>
#include <set>

#include "cli/app.h"
#include "model/load/loader.h"
#include "model/variants.h"

namespace fl::cli {

namespace {

void expand_inputs(const std::vector<std::string>& inputs, std::vector<std::string>& files,
                   std::vector<CheckedItem>& errors) {
  for (const std::string& in : inputs) {
    try {
      for (std::string& f : model::find_scenarios(in)) files.push_back(std::move(f));
    } catch (const lang::ScenarioError& e) {
      CheckedItem item;
      item.file = in;
      item.error = e.render();
      errors.push_back(std::move(item));
    }
  }
}

ParamList params_for(const lang::ScenarioInfo& info, const ParamList& all) {
  ParamList out;
  for (const auto& p : all) {
    for (const lang::ParamInfo& declared : info.params) {
      if (declared.name == p.first) out.push_back(p);
    }
  }
  return out;
}

// With --variant, a scenario is checked only if it declares that variant
// (a scenario states the variants it is meaningful for).
std::vector<std::string> variants_for(const lang::ScenarioInfo& info, const std::string& wanted) {
  if (wanted.empty()) return info.variants;
  for (const std::string& v : info.variants) {
    if (v == wanted) return {v};
  }
  return {};
}

}  // namespace

int select_targets(const std::vector<std::string>& raw_inputs, const CommonOptions& opts,
                   Selection& out) {
  ParamList params;
  for (const std::string& p : opts.params) params.push_back(split_param(p));
  if (!opts.variant.empty() && model::find_variant(opts.variant) == nullptr) {
    std::cerr << "faultline: unknown variant '" << opts.variant
              << "' (see `faultline list variants`)\n";
    return kExitUsage;
  }
  const std::vector<std::string> inputs =
      raw_inputs.empty() ? std::vector<std::string>{"scenarios"} : raw_inputs;
  std::vector<std::string> files;
  expand_inputs(inputs, files, out.load_errors);
  out.files = files.size();
  // Load everything first, so that a bad --param is reported before any work.
  std::set<std::string> declared_params;
  out.scenarios.reserve(files.size());
  for (const std::string& file : files) {
    try {
      out.scenarios.push_back(model::load_scenario(file));
      for (const lang::ParamInfo& p : out.scenarios.back().info().params) {
        declared_params.insert(p.name);
      }
    } catch (const lang::ScenarioError& e) {
      CheckedItem item;
      item.file = file;
      item.error = e.render();
      out.load_errors.push_back(std::move(item));
    }
  }
  for (const auto& p : params) {
    if (!declared_params.count(p.first)) {
      std::cerr << "faultline: --param " << p.first << "=" << p.second
                << ": no scenario declares a parameter '" << p.first << "'\n";
      return kExitUsage;
    }
  }
  for (const lang::Scenario& sc : out.scenarios) {
    const ParamList mine = params_for(sc.info(), params);
    for (const std::string& variant : variants_for(sc.info(), opts.variant)) {
      out.targets.push_back(Target{&sc, variant, mine});
    }
  }
  if (out.targets.empty() && !opts.variant.empty() && !out.scenarios.empty()) {
    std::cerr << "faultline: no scenario given declares variant '" << opts.variant << "'\n";
    return kExitUsage;
  }
  return kExitOk;
}

CheckedItem elaborate_target(const Target& t) {
  CheckedItem item;
  item.file = t.scenario->info().file;
  item.scenario = t.scenario->info().name;
  item.variant = t.variant;
  try {
    item.model = t.scenario->elaborate(t.variant, t.params);
  } catch (const lang::ScenarioError& e) {
    item.error = e.render();
  }
  return item;
}

}  // namespace fl::cli

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "model/load/loader.h"
#include "model/variants.h"

namespace fl::cli {

namespace {

int list_variants(const CommonOptions& opts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const model::VariantInfo& v : model::all_variants()) {
    if (opts.json) {
      out.push_back({{"name", v.name},
                     {"summary", v.summary},
                     {"origin", v.origin},
                     {"implemented", v.implemented}});
    } else {
      std::cout << v.name << (v.implemented ? "" : "  (not modelled yet)") << "\n    " << v.summary
                << "\n    from: " << v.origin << "\n";
    }
  }
  if (opts.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int list_properties(const CommonOptions& opts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const lang::Extension* ext : model::kernel_extensions()) {
    for (const auto& [name, description] : ext->builtin_properties()) {
      if (opts.json) {
        out.push_back({{"name", name}, {"model", ext->name()}, {"description", description}});
      } else {
        std::cout << name << "  (" << ext->name() << ")\n    " << description << "\n";
      }
    }
  }
  if (opts.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "Scenarios may also declare their own: invariant, deadlock and liveness "
                 "(docs/scenario-language.md).\n";
  }
  return kExitOk;
}

int list_scenarios(const std::vector<std::string>& inputs, const CommonOptions& opts) {
  int code = kExitOk;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& in : inputs.empty() ? std::vector<std::string>{"scenarios"} : inputs) {
    std::vector<std::string> files;
    try {
      files = model::find_scenarios(in);
    } catch (const lang::ScenarioError& e) {
      std::cerr << e.render() << "\n";
      code = kExitUsage;
      continue;
    }
    for (const std::string& file : files) {
      try {
        const lang::Scenario sc = model::load_scenario(file);
        const lang::ScenarioInfo& info = sc.info();
        nlohmann::ordered_json params = nlohmann::ordered_json::array();
        std::string params_text;
        for (const lang::ParamInfo& p : info.params) {
          params.push_back({{"name", p.name}, {"default", p.default_value}, {"bool", p.is_bool}});
          params_text +=
              " " + p.name + "=" +
              (p.is_bool ? (p.default_value ? "true" : "false") : std::to_string(p.default_value));
        }
        if (opts.json) {
          out.push_back({{"name", info.name},
                         {"file", info.file},
                         {"description", info.description},
                         {"variants", info.variants},
                         {"params", std::move(params)},
                         {"properties", info.properties}});
        } else {
          std::cout << info.name << "  " << info.file << "\n    " << info.description
                    << "\n    variants:";
          for (const std::string& v : info.variants) std::cout << " " << v;
          if (!params_text.empty()) std::cout << "\n    params:" << params_text;
          std::cout << "\n";
        }
      } catch (const lang::ScenarioError& e) {
        std::cerr << e.render() << "\n";
        code = kExitUsage;
      }
    }
  }
  if (opts.json) std::cout << out.dump(2) << "\n";
  return code;
}

}  // namespace

int list_command(const std::string& what, const std::vector<std::string>& inputs,
                 const CommonOptions& opts) {
  if (what == "variants") return list_variants(opts);
  if (what == "properties") return list_properties(opts);
  if (what == "scenarios") return list_scenarios(inputs, opts);
  std::cerr << "faultline list: unknown list '" << what
            << "' (expected scenarios, variants or properties)\n";
  return kExitUsage;
}

}  // namespace fl::cli

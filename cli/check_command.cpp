#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <csignal>
#include <set>
#include <unistd.h>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "model/variants.h"
#include "sim/bfs.h"
#include "faultline/version.h"

namespace fl::cli {

namespace {

using ParamList = std::vector<std::pair<std::string, std::string>>;

struct Inputs {
  std::vector<std::string> files;
  std::vector<CheckedItem> errors;  // inputs that could not even be listed
};

Inputs expand_inputs(const std::vector<std::string>& inputs) {
  Inputs out;
  for (const std::string& in : inputs) {
    try {
      for (std::string& f : model::find_scenarios(in)) out.files.push_back(std::move(f));
    } catch (const lang::ScenarioError& e) {
      CheckedItem item;
      item.file = in;
      item.error = e.render();
      out.errors.push_back(std::move(item));
    }
  }
  return out;
}

// The --param overrides that this scenario declares.  A parameter that no
// scenario declares is a usage error, reported once by the caller.
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
std::vector<std::string> variants_for(const lang::ScenarioInfo& info, const CommonOptions& opts) {
  if (opts.variant.empty()) return info.variants;
  for (const std::string& v : info.variants) {
    if (v == opts.variant) return {v};
  }
  return {};
}

CheckedItem check_one(const lang::Scenario& sc, const std::string& variant, const ParamList& params,
                      const CommonOptions& opts) {
  CheckedItem item;
  item.file = sc.info().file;
  item.scenario = sc.info().name;
  item.variant = variant;
  try {
    item.model = sc.elaborate(variant, params);
  } catch (const lang::ScenarioError& e) {
    item.error = e.render();
    return item;
  }
  sim::CheckOptions co = opts.check_options();
  co.progress = !opts.json && isatty(STDERR_FILENO) != 0;
  item.result = sim::check(item.model, co);
  sim::evaluate_expectations(item.model, item.result);
  return item;
}

void report_text(const CheckedItem& item, const CommonOptions& opts) {
  std::cout << verdict_line(item) << "\n";
  if (!item.error.empty()) return;
  // Counterexamples are printed when they are news: a violation nobody
  // expected, or on request (--traces).
  for (const sim::Violation& v : item.result.violations) {
    bool expected = false;
    for (const sim::ExpectationResult& e : item.result.expectations) {
      if (e.met && e.text.rfind(v.property + " violated", 0) == 0) expected = true;
    }
    if (!expected || opts.verbose_traces) print_trace(std::cout, item.model, v);
  }
  if (opts.verbose_traces) {
    for (const auto& tuple : item.result.outcomes) {
      std::cout << "  outcome: " << format_outcome(item.model, tuple) << "\n";
    }
  }
  std::cout.flush();
}

int exit_code_for(const std::vector<CheckedItem>& items) {
  bool error = false, unmet = false, incomplete = false;
  for (const CheckedItem& item : items) {
    if (!item.error.empty() || item.result.verdict == sim::Verdict::Error) {
      error = error || !item.error.empty();
      unmet = unmet || item.result.verdict == sim::Verdict::Error;
      continue;
    }
    if (item.result.verdict == sim::Verdict::Incomplete) {
      // Not exhaustive: an unexpected violation found so far still counts.
      bool unexpected_violation = false;
      for (const sim::ExpectationResult& e : item.result.expectations) {
        if (!e.met && e.detail.find("is violated") != std::string::npos) unexpected_violation = true;
      }
      unmet = unmet || unexpected_violation;
      incomplete = true;
      continue;
    }
    unmet = unmet || !item.result.expectation_met;
  }
  if (error) return kExitUsage;
  if (unmet) return kExitViolation;
  if (incomplete) return kExitIncomplete;
  return kExitOk;
}

std::string summary_line(const std::vector<CheckedItem>& items, size_t files, double seconds) {
  size_t met = 0, unmet = 0, incomplete = 0, errors = 0;
  for (const CheckedItem& item : items) {
    if (!item.error.empty()) {
      ++errors;
    } else if (item.result.verdict == sim::Verdict::Incomplete) {
      ++incomplete;
    } else if (item.result.expectation_met) {
      ++met;
    } else {
      ++unmet;
    }
  }
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%zu check%s of %zu scenario file%s: %zu as expected, %zu not as expected, %zu "
                "incomplete, %zu error%s (%.2f s)",
                items.size(), items.size() == 1 ? "" : "s", files, files == 1 ? "" : "s", met,
                unmet, incomplete, errors, errors == 1 ? "" : "s", seconds);
  return buf;
}

// SIGINT stops the exploration cleanly: the current check ends with verdict
// `incomplete` ("interrupted") and its statistics, the rest are not started.
void on_interrupt(int) { sim::request_stop(); }

class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &old_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_ {};
};

}  // namespace

int check_command(const std::vector<std::string>& raw_inputs, const CommonOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  ParamList params;
  for (const std::string& p : opts.params) params.push_back(split_param(p));
  if (!opts.variant.empty() && model::find_variant(opts.variant) == nullptr) {
    std::cerr << "faultline: unknown variant '" << opts.variant
              << "' (see `faultline list variants`)\n";
    return kExitUsage;
  }
  const std::vector<std::string> inputs =
      raw_inputs.empty() ? std::vector<std::string>{"scenarios"} : raw_inputs;
  Inputs expanded = expand_inputs(inputs);
  std::vector<CheckedItem> items = std::move(expanded.errors);

  // Load everything first, so that a bad --param is reported before any work.
  std::vector<lang::Scenario> loaded;
  std::set<std::string> declared_params;
  for (const std::string& file : expanded.files) {
    try {
      loaded.push_back(model::load_scenario(file));
      for (const lang::ParamInfo& p : loaded.back().info().params) declared_params.insert(p.name);
    } catch (const lang::ScenarioError& e) {
      CheckedItem item;
      item.file = file;
      item.error = e.render();
      items.push_back(std::move(item));
    }
  }
  for (const auto& p : params) {
    if (!declared_params.count(p.first)) {
      std::cerr << "faultline: --param " << p.first << "=" << p.second
                << ": no scenario declares a parameter '" << p.first << "'\n";
      return kExitUsage;
    }
  }
  if (!opts.json) {
    for (const CheckedItem& e : items) std::cerr << e.error << "\n";
  }
  const InterruptGuard interrupt_guard;
  size_t not_started = 0;
  for (const lang::Scenario& sc : loaded) {
    if (sim::stop_requested()) {
      ++not_started;
      continue;
    }
    const ParamList mine = params_for(sc.info(), params);
    for (const std::string& variant : variants_for(sc.info(), opts)) {
      CheckedItem item = check_one(sc, variant, mine, opts);
      if (opts.json) {
        // Printed all at once below.
      } else if (!item.error.empty()) {
        std::cerr << item.error << "\n";
      } else {
        report_text(item, opts);
      }
      items.push_back(std::move(item));
    }
  }
  if (not_started > 0) {
    std::cerr << "faultline: interrupted; " << not_started << " scenario file"
              << (not_started == 1 ? " was" : "s were") << " not checked\n";
  }
  if (items.empty() && !opts.variant.empty()) {
    std::cerr << "faultline: no scenario given declares variant '" << opts.variant << "'\n";
    return kExitUsage;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int code = exit_code_for(items);
  if (opts.json) {
    nlohmann::ordered_json out;
    out["faultline_version"] = FL_VERSION_STRING;
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (const CheckedItem& item : items) results.push_back(item_to_json(item));
    out["results"] = std::move(results);
    out["exit_code"] = code;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << summary_line(items, expanded.files.size(), seconds) << "\n";
  }
  return code;
}

}  // namespace fl::cli

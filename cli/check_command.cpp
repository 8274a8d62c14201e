#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <set>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/selection.h"
#include "faultline/version.h"
#include "proofs/bmc.h"
#include "proofs/cross_check.h"
#include "sim/bfs.h"
#include "sim/reach.h"

namespace fl::cli {

namespace {

// The debug switch --z3-cross-check: before exploring, evaluate every
// property, guard and successor of every reachable state (up to a bound
// meant for small scenarios) through Z3 and through the evaluator, and stop
// at the first disagreement.
constexpr uint64_t kCrossCheckMaxStates = 100'000;

std::string z3_cross_check(const model::Model& m) {
  proofs::CrossChecker checker(m);
  std::string why;
  const sim::VisitResult r =
      sim::visit_reachable(m, kCrossCheckMaxStates, [&](const model::State& s) {
        std::optional<std::string> d = checker.check_state(s);
        if (!d) d = checker.check_actions(s);
        if (d) why = *d;
        return !d.has_value();
      });
  if (why.empty() && !r.exhausted) {
    std::cerr << "faultline: --z3-cross-check covered the first " << r.states << " states only\n";
  }
  return why;
}

CheckedItem check_one(const Target& target, const CommonOptions& opts) {
  CheckedItem item = elaborate_target(target);
  if (!item.error.empty()) return item;
  if (opts.engine == "bmc") {
    proofs::BmcOptions bo;
    bo.depth = opts.bmc_depth;
    bo.dump_smt_dir = opts.dump_smt_dir;
    item.result = proofs::to_check_result(proofs::bmc(item.model, bo));
  } else {
    if (opts.z3_cross_check) {
      if (std::string why = z3_cross_check(item.model); !why.empty()) {
        item.error = item.file + ": Z3 and the evaluator disagree: " + why;
        return item;
      }
    }
    sim::CheckOptions co = opts.check_options();
    co.progress = !opts.json && isatty(STDERR_FILENO) != 0;
    item.result = sim::check(item.model, co);
  }
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
        if (!e.met && e.detail.find("is violated") != std::string::npos)
          unexpected_violation = true;
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
void on_interrupt(int) {
  sim::request_stop();
}

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

int check_command(const std::vector<std::string>& inputs, const CommonOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  if (opts.engine != "explicit" && opts.engine != "bmc") {
    std::cerr << "faultline: unknown engine '" << opts.engine << "' (explicit or bmc)\n";
    return kExitUsage;
  }
  Selection sel;
  if (const int code = select_targets(inputs, opts, sel); code != kExitOk) return code;
  std::vector<CheckedItem> items = std::move(sel.load_errors);
  if (!opts.json) {
    for (const CheckedItem& e : items) std::cerr << e.error << "\n";
  }
  const InterruptGuard interrupt_guard;
  size_t not_started = 0;
  for (const Target& target : sel.targets) {
    if (sim::stop_requested()) {
      ++not_started;
      continue;
    }
    CheckedItem item = check_one(target, opts);
    if (opts.json) {
      // Printed all at once below.
    } else if (!item.error.empty()) {
      std::cerr << item.error << "\n";
    } else {
      report_text(item, opts);
    }
    items.push_back(std::move(item));
  }
  if (not_started > 0) {
    std::cerr << "faultline: interrupted; " << not_started << " check"
              << (not_started == 1 ? " was" : "s were") << " not started\n";
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
    std::cout << summary_line(items, sel.files, seconds) << "\n";
  }
  return code;
}

}  // namespace fl::cli

#pragma once
// Which (scenario, variant, parameters) a command works on: the inputs
// expanded to files, each loaded, --param and --variant applied.  Shared by
// check, prove and the kernel-side commands so that they agree.

#include <string>
#include <utility>
#include <vector>

#include "cli/options.h"
#include "cli/report.h"
#include "model/lang/frontend.h"

namespace fl::cli {

using ParamList = std::vector<std::pair<std::string, std::string>>;

struct Target {
  const lang::Scenario* scenario = nullptr;
  std::string variant;
  ParamList params;  // the --param overrides this scenario declares
};

struct Selection {
  std::vector<lang::Scenario> scenarios;
  std::vector<CheckedItem> load_errors;  // inputs or files that could not be loaded
  std::vector<Target> targets;
  size_t files = 0;
};

// Fills `out`.  Returns kExitOk, or kExitUsage after printing a one-line
// error (unknown variant, a --param no scenario declares, no scenario with
// the requested variant).  Load errors are collected, not printed.
int select_targets(const std::vector<std::string>& inputs, const CommonOptions& opts,
                   Selection& out);

// Elaborates one target; on a scenario error returns an item with `error` set.
CheckedItem elaborate_target(const Target& t);

}  // namespace fl::cli

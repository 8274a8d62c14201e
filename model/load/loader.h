#pragma once
// Loads a scenario with every kernel extension attached.  The only place
// that knows both the core language (model/lang) and the kernel model
// (model/mm, model/kvm).

#include <string>
#include <vector>

#include "model/lang/extension.h"
#include "model/lang/frontend.h"

namespace fl::model {

// The kernel-model extensions, in a fixed order.
const std::vector<const lang::Extension*>& kernel_extensions();

// Reads and parses `path`.  Throws lang::ScenarioError.
lang::Scenario load_scenario(const std::string& path);

// Every `*.fl` file below `dir` (or `dir` itself if it is a file), sorted.
// Throws lang::ScenarioError if `dir` does not exist.
std::vector<std::string> find_scenarios(const std::string& dir);

}  // namespace fl::model

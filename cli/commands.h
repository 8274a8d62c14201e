#pragma once
// One function per subcommand; app.cpp only parses options and dispatches.

#include <string>
#include <vector>

#include "cli/options.h"

namespace fl::cli {

int check_command(const std::vector<std::string>& inputs, const CommonOptions& opts);

// what: "scenarios", "variants" or "properties".
int list_command(const std::string& what, const std::vector<std::string>& inputs,
                 const CommonOptions& opts);

// A subcommand that is not built yet: says so, points at what exists, exit 2.
int not_built_command(const std::string& name, const std::string& issue);

}  // namespace fl::cli

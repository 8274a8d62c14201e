#pragma once
// Runs the built faultline executable and captures what it printed.

#include <string>
#include <vector>

namespace fl::test {

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs build/faultline with `args` from the source folder (so relative
// scenario paths work), stdin closed.
ToolRun run_faultline(const std::vector<std::string>& args);

std::string source_path(const std::string& relative);

}  // namespace fl::test

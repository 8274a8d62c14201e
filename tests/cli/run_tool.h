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

// Like run_faultline, but sends `signal` to the process after `delay_ms`.
ToolRun run_faultline_signalled(const std::vector<std::string>& args, int signal, int delay_ms);

std::string source_path(const std::string& relative);

}  // namespace fl::test

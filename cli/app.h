#pragma once
// The faultline command line (CLI11).  Exit codes: see docs/cli.md.

namespace fl::cli {

enum ExitCode : int {
  kExitOk = 0,          // every property holds and every expectation is met
  kExitViolation = 1,   // a property is violated or an expectation is not met
  kExitUsage = 2,       // usage or input error (bad option, malformed scenario, missing file)
  kExitCapability = 3,  // a required capability is missing (no /dev/kvm, no userfaultfd ...)
  kExitIncomplete = 4,  // a limit stopped the run before it was exhaustive
};

int run(int argc, char** argv);

}  // namespace fl::cli

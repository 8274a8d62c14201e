#pragma once
// C reproducers: a standalone C program (one file, `cc -pthread`, nothing of faultline needed)
// that sets up a scenario's memory and userfaultfd contexts, forces a trace's order on the
// running kernel the way the replayer does, prints the observed outcome and exits non-zero when
// it differs from the model's prediction.  `./repro --runs N` reports how many of N runs
// reproduced it.

#include <string>
#include <vector>

#include "kernel-shim/replay.h"

namespace fl::shim {

struct ReproSpec {
  std::string title;  // printed first: scenario, variant, property, where the trace came from
  Schedule schedule;  // the forced order
  // What the model predicts after the trace: the outcomes of every final state reachable from
  // the trace's last state (one outcome when the trace ends in a final state).
  std::vector<std::vector<model::Value>> expected;
  // Every outcome the model allows for the scenario, so a run that differs from the trace can
  // tell "another order" from "not allowed at all".
  std::vector<std::vector<model::Value>> allowed;
};

// The C source, or "" with `error` set when the scenario cannot be expressed (an observation
// that is an expression rather than a register, an operation the runtime does not know).
std::string generate_repro(const ReplayScenario& sc, const ReproSpec& spec, std::string& error);

}  // namespace fl::shim

#pragma once
// Replay: runs a kernel scenario (its mm declarations) on the running kernel and reports the
// observed outcome in the model's own labels, so it can be compared with the outcomes the model
// allows (docs/kernel-shim.md).
//
// Each thread and monitor of the scenario runs in its own OS thread; a scheduler forces the
// order of their steps at syscall granularity: a step starts only once the previous one has
// completed or its thread is observed asleep in handle_userfault (/proc state 'S' and wchan).
// A schedule is a list of (actor, step); whatever it does not mention runs afterwards in the
// natural order (the first actor, in declaration order, that can take a step) until nothing can
// move.  Every run happens in a forked child under a watchdog, so a signal, a hang or a leak in
// the run cannot reach the caller.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel-shim/probe.h"
#include "model/ir.h"
#include "model/mm/scenario_desc.h"

namespace fl::shim {

// A scenario elaborated for one variant, with the description of its kernel declarations taken
// from the same elaboration.
struct ReplayScenario {
  std::string file;
  model::Model model;
  model::mm::ScenarioDesc desc;
};

// Loads and elaborates `path`.  Throws lang::ScenarioError like the other loaders.
ReplayScenario load_replay_scenario(const std::string& path, const std::string& variant,
                                    const std::vector<std::pair<std::string, std::string>>& params);

// One forced step.  kOp: thread `actor` starts op `op`; kRead: monitor `actor` reads one
// message; kResolve: monitor `actor` answers the message it holds (the fill or un-protect ioctl,
// its wake, and UFFDIO_WAKE after EEXIST when the monitor says so).
struct ReplayStep {
  enum class Kind { kOp, kRead, kResolve };
  Kind kind = Kind::kOp;
  int actor = 0;
  int op = 0;
  bool operator==(const ReplayStep&) const = default;
};
using Schedule = std::vector<ReplayStep>;

std::string format_step(const model::mm::ScenarioDesc& d, const ReplayStep& step);
// "vcpu:0 m:read vmm:0 m:resolve", or "natural" for the empty schedule.
std::string format_schedule(const model::mm::ScenarioDesc& d, const Schedule& schedule);

// The order in which a model trace (action ids fired from the initial state) starts each
// thread's ops and each monitor step.  Kernel-internal steps of the model (link, must_wait, the
// per-page installs, the ioctl epilogue's wake) are not forceable and are left out.
Schedule schedule_from_actions(const ReplayScenario& sc, const std::vector<model::Id>& actions);

// Why the scenario cannot be replayed on this machine ("" if it can): a variant the running
// kernel does not implement, a missing feature or capability, a declaration the replayer does
// not support yet.
std::string unsupported_reason(const ReplayScenario& sc, const Probe& probe);

// A value that no register label has: what the kernel did has no name in the model (an
// unexpected errno, signal or byte); the observation's text says what it was.
inline constexpr model::Value kUnknownValue = -1000;

struct ObservedRegister {
  std::string name;
  model::Value value = 0;  // the label's index (outcome_labels()), pages for *_out
  std::string text;        // the label, or what was seen when it has none
  std::string detail;      // e.g. "SIGBUS code=2 addr=guest[0]+0x100"
};

struct RunResult {
  bool completed = false;  // false: the run died or timed out (see failure)
  std::string failure;
  std::vector<model::Value> outcome;      // per model observation (kUnknownValue if unnamed)
  std::vector<std::string> outcome_text;  // per model observation
  std::vector<ObservedRegister> registers;
  std::vector<std::string> notes;  // where the kernel did not follow the schedule, and why
};

struct ReplayOptions {
  std::chrono::milliseconds run_timeout{10000};  // the watchdog of one run
  std::chrono::milliseconds step_timeout{2000};  // a step that neither completes nor blocks
  // Test hook: runs in the run's child, in the scheduler thread, after forced step i (index into
  // the schedule) has settled; e.g. to map memory the way a sanitizer's allocator does.
  std::function<void(std::size_t)> after_forced_step;
};

RunResult replay(const ReplayScenario& sc, const Schedule& schedule, const ReplayOptions& opts);

// A run returns as soon as its child has reported; the child's exit (milliseconds of kernel
// teardown) overlaps the next run, and a later replay() reaps it (at most a few are ever
// pending).  This waits for every such child; call it before counting processes.
void reap_replay_children();

// "r1=DATA_SRC c1=OK": an outcome tuple of the model (sim::check) in the same form as
// RunResult::outcome_text.
std::string format_outcome(const model::Model& m, const std::vector<model::Value>& outcome);
std::string format_outcome(const RunResult& r, const model::Model& m);

nlohmann::json to_json(const RunResult& r, const model::Model& m);

}  // namespace fl::shim

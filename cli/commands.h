#pragma once
// One function per subcommand; app.cpp only parses options and dispatches.

#include <string>
#include <vector>

#include "cli/options.h"

namespace fl::cli {

int check_command(const std::vector<std::string>& inputs, const CommonOptions& opts);

struct ProveCommandOptions {
  unsigned max_k = 8;
  bool strengthen = false;
  bool ioctls = false;
};
int prove_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                  const ProveCommandOptions& prove_opts);

// what: "scenarios", "variants" or "properties".
int list_command(const std::string& what, const std::vector<std::string>& inputs,
                 const CommonOptions& opts);

// Options of replay, diff and repro (issue 7), beyond the common ones.
struct ShimOptions {
  unsigned runs = 0;     // 0 = the subcommand's default
  bool probe = false;    // replay --probe: print the capability probe only
  std::string property;  // repro --property: which violation of the check output
  std::string output;    // repro -o: where to write the C program ("" = stdout)
};
int replay_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                   const ShimOptions& shim);
int diff_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                 const ShimOptions& shim);
int repro_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                  const ShimOptions& shim);

// `simulate`: seeded random walks (sim/simulate.h).
struct SimulateFlags {
  uint64_t walks = 100;
  uint64_t depth = 1000;
  bool swarm = false;
};
int simulate_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                     const SimulateFlags& flags);

// `show`: renders a saved trace or check/simulate JSON as a per-actor
// timeline, or as Graphviz DOT with `dot`.
int show_command(const std::string& file, bool dot);

}  // namespace fl::cli

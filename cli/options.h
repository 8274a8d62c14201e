#pragma once
// Options every subcommand accepts (docs/cli.md, "Common options").

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/check.h"

namespace fl::cli {

struct CommonOptions {
  bool json = false;
  std::string variant;              // "" = every variant the scenario declares
  std::vector<std::string> params;  // raw NAME=VALUE
  unsigned threads = 1;
  uint64_t seed = 0;
  bool seed_given = false;
  bool no_reduction = false;
  uint64_t max_states = 0;
  double time_limit_s = 0;
  uint64_t max_memory_mib = 0;
  bool verbose_traces = false;      // print every counterexample, expected or not
  std::string engine = "explicit";  // check --engine: explicit | bmc
  unsigned bmc_depth = 20;          // check --engine bmc --depth K
  std::string dump_smt_dir;         // --dump-smt DIR: every Z3 query as SMT-LIB
  bool z3_cross_check = false;      // check --z3-cross-check: Z3 vs evaluator on every state

  sim::CheckOptions check_options() const;
};

// Splits "NAME=VALUE"; throws std::invalid_argument naming the bad text.
std::pair<std::string, std::string> split_param(const std::string& text);

}  // namespace fl::cli

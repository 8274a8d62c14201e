#include "cli/options.h"

#include <stdexcept>

namespace fl::cli {

sim::CheckOptions CommonOptions::check_options() const {
  sim::CheckOptions o;
  o.limits.max_states = max_states;
  o.limits.time_limit_s = time_limit_s;
  o.limits.max_memory_mib = max_memory_mib;
  o.threads = threads;
  o.reduction = !no_reduction;
  o.seed = seed;
  return o;
}

std::pair<std::string, std::string> split_param(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::invalid_argument("--param " + text + ": expected NAME=VALUE");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace fl::cli

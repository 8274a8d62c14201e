#pragma once
// Rendering of check results: a verdict line per (scenario, variant), the
// counterexample traces, and the JSON form (docs/json.md).

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/ir.h"
#include "sim/check.h"

namespace fl::cli {

// One checked (scenario, variant, parameter assignment), or a file that
// could not be loaded (then `error` is set and `model` is empty).
struct CheckedItem {
  std::string file;
  std::string scenario;
  std::string variant;
  std::string error;  // rendered ScenarioError, when the item could not be checked
  model::Model model;
  sim::CheckResult result;
};

std::string verdict_line(const CheckedItem& item);
void print_trace(std::ostream& out, const model::Model& m, const sim::Violation& v);
std::string format_outcome(const model::Model& m, const std::vector<model::Value>& tuple);

nlohmann::ordered_json trace_to_json(const model::Model& m, const sim::Trace& t);
nlohmann::ordered_json item_to_json(const CheckedItem& item);

}  // namespace fl::cli

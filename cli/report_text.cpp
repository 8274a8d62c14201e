#include <cstdio>
#include <ostream>
#include <sstream>

#include "cli/report.h"
#include "cli/timeline.h"

namespace fl::cli {

namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

std::string violated_list(const sim::CheckResult& r) {
  std::string out;
  for (const sim::Violation& v : r.violations) {
    if (!out.empty()) out += ", ";
    out += v.property;
  }
  return out;
}

std::string params_text(const model::Model& m) {
  std::string out;
  for (const auto& [name, value] : m.params) {
    if (!out.empty()) out += " ";
    out += name + "=" + std::to_string(value);
  }
  return out;
}

std::string unmet_detail(const sim::CheckResult& r) {
  for (const sim::ExpectationResult& e : r.expectations) {
    if (!e.met) return "expected " + e.text + ": " + e.detail;
  }
  return "expectation not met";
}

}  // namespace

std::string verdict_line(const CheckedItem& item) {
  if (!item.error.empty()) return "ERROR " + item.file + ": " + item.error;
  const sim::CheckResult& r = item.result;
  std::ostringstream line;
  const bool incomplete = r.verdict == sim::Verdict::Incomplete;
  const char* mark = r.expectation_met ? "ok   " : (incomplete ? "INCOMPLETE " : "FAIL ");
  line << mark << item.scenario << " [" << item.variant;
  const std::string params = params_text(item.model);
  if (!params.empty()) line << " " << params;
  line << "]  states " << r.states << "  " << seconds_text(r.seconds) << "  "
       << sim::to_string(r.verdict);
  if (!r.violations.empty()) line << " (" << violated_list(r) << ")";
  if (incomplete) line << ": " << r.incomplete_reason;
  line << (r.expectation_met ? "  as expected" : "  NOT AS EXPECTED: " + unmet_detail(r));
  return line.str();
}

void print_trace(std::ostream& out, const model::Model& m, const sim::Violation& v) {
  // The timeline (cli/timeline.h) renders the JSON form of the trace, so
  // that `faultline show` prints a saved trace exactly like this.
  out << "  counterexample: " << v.property << " (" << v.kind << ")";
  if (!v.message.empty()) out << ": " << v.message;
  out << ", " << v.trace.steps.size() << " step" << (v.trace.steps.size() == 1 ? "" : "s") << "\n";
  render_timeline(out, trace_to_json(m, v.trace));
}

std::string format_outcome(const model::Model& m, const std::vector<model::Value>& tuple) {
  std::string out;
  for (size_t i = 0; i < tuple.size() && i < m.observations.size(); ++i) {
    const model::Observation& o = m.observations[i];
    if (!out.empty()) out += " ";
    const model::Value idx = tuple[i] - o.label_base;
    const bool labelled = idx >= 0 && static_cast<size_t>(idx) < o.labels.size();
    out +=
        o.name + "=" + (labelled ? o.labels[static_cast<size_t>(idx)] : std::to_string(tuple[i]));
  }
  return out;
}

}  // namespace fl::cli

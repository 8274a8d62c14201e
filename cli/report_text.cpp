#include <cstdio>
#include <ostream>
#include <sstream>

#include "cli/report.h"

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
  out << "  counterexample: " << v.property << " (" << v.kind << ")";
  if (!v.message.empty()) out << ": " << v.message;
  out << ", " << v.trace.steps.size() << " step" << (v.trace.steps.size() == 1 ? "" : "s")
      << "\n";
  for (size_t i = 0; i < v.trace.steps.size(); ++i) {
    const sim::TraceStep& step = v.trace.steps[i];
    if (v.trace.is_lasso() && i == v.trace.cycle_start) out << "    -- cycle starts here --\n";
    const model::Action& a = m.actions.at(step.action);
    char num[24];
    std::snprintf(num, sizeof num, "%4zu", i + 1);
    out << "  " << num << "  " << m.actors.at(a.actor).name << ": " << a.name;
    if (!a.kernel_function.empty()) out << "  [" << a.kernel_function << "]";
    out << "\n";
    if (!step.changes.empty()) {
      out << "        ";
      for (size_t c = 0; c < step.changes.size(); ++c) {
        const sim::Change& ch = step.changes[c];
        if (c) out << ", ";
        out << m.slot_name(ch.slot) << ": " << m.format_value(ch.slot, ch.before) << " -> "
            << m.format_value(ch.slot, ch.after);
      }
      out << "\n";
    }
  }
  if (v.trace.is_lasso()) out << "    -- back to the cycle start, forever --\n";
}

std::string format_outcome(const model::Model& m, const std::vector<model::Value>& tuple) {
  std::string out;
  for (size_t i = 0; i < tuple.size() && i < m.observations.size(); ++i) {
    const model::Observation& o = m.observations[i];
    if (!out.empty()) out += " ";
    const model::Value idx = tuple[i] - o.label_base;
    const bool labelled = idx >= 0 && static_cast<size_t>(idx) < o.labels.size();
    out += o.name + "=" + (labelled ? o.labels[static_cast<size_t>(idx)] : std::to_string(tuple[i]));
  }
  return out;
}

}  // namespace fl::cli

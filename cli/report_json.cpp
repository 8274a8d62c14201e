#include "cli/report.h"

#include "cli/artifact.h"

namespace fl::cli {

namespace {

nlohmann::ordered_json outcome_json(const model::Model& m, const std::vector<model::Value>& tuple) {
  nlohmann::ordered_json o = nlohmann::ordered_json::object();
  for (size_t i = 0; i < tuple.size() && i < m.observations.size(); ++i) {
    const model::Observation& obs = m.observations[i];
    const model::Value idx = tuple[i] - obs.label_base;
    if (idx >= 0 && static_cast<size_t>(idx) < obs.labels.size()) {
      o[obs.name] = obs.labels[static_cast<size_t>(idx)];
    } else {
      o[obs.name] = tuple[i];
    }
  }
  return o;
}

}  // namespace

nlohmann::ordered_json trace_to_json(const model::Model& m, const sim::Trace& t) {
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  for (const sim::TraceStep& step : t.steps) {
    const model::Action& a = m.actions.at(step.action);
    nlohmann::ordered_json changes = nlohmann::ordered_json::array();
    for (const sim::Change& c : step.changes) {
      changes.push_back({{"var", m.slot_name(c.slot)},
                         {"before", m.format_value(c.slot, c.before)},
                         {"after", m.format_value(c.slot, c.after)}});
    }
    steps.push_back({{"actor", m.actors.at(a.actor).name},
                     {"action", a.name},
                     {"kernel_function", a.kernel_function},
                     {"changes", std::move(changes)}});
  }
  nlohmann::ordered_json out = {{"steps", std::move(steps)}};
  if (t.is_lasso()) out["cycle_start"] = t.cycle_start;
  return out;
}

nlohmann::ordered_json item_to_json(const CheckedItem& item) {
  nlohmann::ordered_json j;
  j["file"] = item.file;
  j["scenario"] = item.scenario;
  j["variant"] = item.variant;
  if (!item.error.empty()) {
    j["verdict"] = "error";
    j["expectation_met"] = false;
    j["error"] = item.error;
    return j;
  }
  const sim::CheckResult& r = item.result;
  const model::Model& m = item.model;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [name, value] : m.params) params[name] = value;
  j["params"] = std::move(params);
  j["verdict"] = sim::to_string(r.verdict);
  j["expectation_met"] = r.expectation_met;
  j["states"] = r.states;
  j["transitions"] = r.transitions;
  j["depth"] = r.depth;
  j["seconds"] = r.seconds;
  j["peak_memory_bytes"] = r.peak_memory_bytes;
  if (r.verdict == sim::Verdict::Incomplete) j["incomplete_reason"] = r.incomplete_reason;
  nlohmann::ordered_json violations = nlohmann::ordered_json::array();
  for (const sim::Violation& v : r.violations) {
    violations.push_back({{"property", v.property},
                          {"kind", v.kind},
                          {"message", v.message},
                          {"trace", trace_to_json(m, v.trace)}});
  }
  j["violations"] = std::move(violations);
  nlohmann::ordered_json outcomes = nlohmann::ordered_json::array();
  for (const auto& tuple : r.outcomes) outcomes.push_back(outcome_json(m, tuple));
  j["outcomes"] = std::move(outcomes);
  nlohmann::ordered_json expectations = nlohmann::ordered_json::array();
  for (const sim::ExpectationResult& e : r.expectations) {
    expectations.push_back({{"text", e.text}, {"met", e.met}, {"detail", e.detail}});
  }
  j["expectations"] = std::move(expectations);
  stamp_artifact(j);
  return j;
}

}  // namespace fl::cli

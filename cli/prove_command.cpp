// `faultline prove`: Z3 proofs of each property for all states (docs/proofs.md),
// with every counterexample to induction classified by the explorer, and
// `--ioctls`, the proof that the model's ioctl argument checks equal the
// kernel's.

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/selection.h"
#include "proofs/ioctl_args.h"
#include "proofs/prove.h"
#include "sim/reach.h"

namespace fl::cli {

namespace {

// CTIs come from small scenarios; beyond this the answer is "unknown".
constexpr uint64_t kReachLimitStates = 2'000'000;

bool expected_violated(const model::Model& m, const std::string& property) {
  for (const model::Expectation& e : m.expectations) {
    if (e.kind == model::ExpectationKind::Violated && e.property != model::kNoId &&
        m.properties[e.property].name == property) {
      return true;
    }
  }
  return false;
}

struct Judged {
  nlohmann::ordered_json json;
  bool unexpected = false;  // a violation nobody expected, or an expected one proved absent
  bool unknown = false;     // neither proved nor refuted within the bound
};

std::string cti_verdict(const model::Model& m, const proofs::Cti& cti, nlohmann::ordered_json& j) {
  const sim::ReachResult r = sim::find_state(m, cti.pre, kReachLimitStates);
  j["cti_pre_state_reachable"] = r.answer == sim::Reachability::Reachable     ? "yes"
                                 : r.answer == sim::Reachability::Unreachable ? "no"
                                                                              : "unknown";
  j["cti_states_explored"] = r.states;
  if (!cti.ruled_out_by.empty()) j["suggested_strengthening"] = cti.ruled_out_by;
  switch (r.answer) {
    case sim::Reachability::Reachable:
      return "the counterexample's pre-state is REACHABLE (" +
             std::to_string(r.trace->steps.size()) + " steps): a real violation one step later";
    case sim::Reachability::Unreachable: {
      std::string text = "its pre-state is unreachable (all " + std::to_string(r.states) +
                         " reachable states explored): the invariant needs strengthening";
      if (!cti.ruled_out_by.empty()) {
        text += "; ruled out by:";
        for (const std::string& p : cti.ruled_out_by) text += " " + p;
      }
      return text;
    }
    case sim::Reachability::Unknown:
      break;
  }
  return "whether its pre-state is reachable is unknown (search stopped at " +
         std::to_string(r.states) + " states)";
}

Judged judge(const model::Model& m, const proofs::PropertyProof& p) {
  Judged out;
  out.json["property"] = p.property;
  out.json["kind"] = p.kind;
  out.json["status"] = proofs::to_string(p.status);
  out.json["k"] = p.k;
  out.json["strengthened_with"] = p.strengthened_with;
  out.json["seconds"] = p.seconds;
  out.json["queries"] = p.queries;
  const bool want_violation = expected_violated(m, p.property);
  switch (p.status) {
    case proofs::ProofStatus::Proved:
      out.unexpected = want_violation;
      break;
    case proofs::ProofStatus::Violated:
      out.unexpected = !want_violation;
      if (p.trace) out.json["trace"] = trace_to_json(m, *p.trace);
      out.json["message"] = p.message;
      break;
    case proofs::ProofStatus::Unknown:
      out.unknown = true;
      if (p.cti) out.json["cti_explanation"] = cti_verdict(m, *p.cti, out.json);
      break;
    case proofs::ProofStatus::Skipped:
      out.json["message"] = p.message;
      break;
  }
  out.json["as_expected"] = !out.unexpected;
  return out;
}

int prove_ioctls_command(const CommonOptions& opts) {
  proofs::IoctlOptions io;
  io.dump_smt_dir = opts.dump_smt_dir;
  const proofs::IoctlReport r = proofs::prove_ioctls(io);
  if (opts.json) {
    nlohmann::ordered_json j;
    j["all_equivalent"] = r.all_equivalent();
    j["seconds"] = r.seconds;
    j["report"] = proofs::render(r);
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << proofs::render(r);
  }
  if (!r.internal_error.empty()) {
    std::cerr << "faultline prove --ioctls: internal error: " << r.internal_error << "\n";
    return kExitViolation;
  }
  return r.all_equivalent() ? kExitOk : kExitViolation;
}

}  // namespace

int prove_command(const std::vector<std::string>& inputs, const CommonOptions& opts,
                  const ProveCommandOptions& prove_opts) {
  if (prove_opts.ioctls) return prove_ioctls_command(opts);
  Selection sel;
  if (const int code = select_targets(inputs, opts, sel); code != kExitOk) return code;
  bool error = !sel.load_errors.empty(), unexpected = false, unknown = false;
  for (const CheckedItem& e : sel.load_errors) std::cerr << e.error << "\n";
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const Target& target : sel.targets) {
    CheckedItem item = elaborate_target(target);
    if (!item.error.empty()) {
      std::cerr << item.error << "\n";
      error = true;
      continue;
    }
    proofs::ProveOptions po;
    po.max_k = prove_opts.max_k;
    po.strengthen = prove_opts.strengthen;
    po.dump_smt_dir = opts.dump_smt_dir;
    const proofs::ProveResult r = proofs::prove(item.model, po);
    nlohmann::ordered_json res;
    res["file"] = item.file;
    res["scenario"] = item.scenario;
    res["variant"] = item.variant;
    res["seconds"] = r.seconds;
    res["bit_width"] = r.width;
    nlohmann::ordered_json props = nlohmann::ordered_json::array();
    std::string notes;
    for (const proofs::PropertyProof& p : r.properties) {
      Judged j = judge(item.model, p);
      unexpected = unexpected || j.unexpected;
      unknown = unknown || j.unknown;
      if (j.json.contains("cti_explanation")) {
        notes += "  " + p.property + ": " + j.json["cti_explanation"].get<std::string>() + "\n";
      }
      if (j.unexpected) notes += "  " + p.property + ": NOT AS EXPECTED\n";
      props.push_back(std::move(j.json));
    }
    res["properties"] = std::move(props);
    if (!r.internal_error.empty()) {
      res["internal_error"] = r.internal_error;
      error = true;
    }
    if (opts.json) {
      results.push_back(std::move(res));
    } else {
      std::cout << proofs::render(item.model, r) << notes;
      if (!r.internal_error.empty()) std::cout << "  internal error: " << r.internal_error << "\n";
    }
  }
  const int code = error        ? kExitUsage
                   : unexpected ? kExitViolation
                   : unknown    ? kExitIncomplete
                                : kExitOk;
  if (opts.json) {
    nlohmann::ordered_json out;
    out["results"] = std::move(results);
    out["exit_code"] = code;
    std::cout << out.dump(2) << "\n";
  }
  return code;
}

}  // namespace fl::cli

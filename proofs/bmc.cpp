#include "proofs/bmc.h"

#include <chrono>

#include "proofs/encode.h"
#include "proofs/unroll.h"

namespace fl::proofs {

using smt::Bool;
using smt::SatResult;

const sim::Violation* BmcResult::find(const std::string& property) const {
  for (const sim::Violation& v : violations) {
    if (v.property == property || (property == kModelErrorProperty && v.kind == "error")) {
      return &v;
    }
  }
  return nullptr;
}

namespace {

class Bmc {
 public:
  Bmc(const model::Model& m, const BmcOptions& o)
      : m_(m), o_(o), log_(o.dump_smt_dir), enc_(m, ctx_), u_(enc_), goals_(goals(m)) {}

  BmcResult run() {
    auto t0 = std::chrono::steady_clock::now();
    BmcResult r;
    r.width = enc_.width();
    std::vector<bool> open(goals_.size(), true);
    std::vector<std::optional<sim::Violation>> found(goals_.size());
    size_t remaining = goals_.size();
    // A fresh solver per query, given the whole unrolling: Z3 then
    // bit-blasts the query and solves it with its SAT solver, which is far
    // faster on these queries than its incremental (push / pop) mode.
    std::vector<Bool> path = {u_.range(0), enc_.is_initial(u_.state(0))};
    bool done = false;
    for (unsigned k = 0; k <= o_.depth && !done; ++k) {
      if (k > 0) {
        path.push_back(u_.range(k));
        path.push_back(u_.step(k));
      }
      // Several properties may first fail at the same depth: ask again
      // until no open property fails at depth k.
      for (unsigned round = 0; remaining > 0; ++round) {
        std::vector<Bool> bad;
        for (size_t g = 0; g < goals_.size(); ++g) {
          if (open[g]) bad.push_back(!u_.good(goals_[g], k));
        }
        smt::Solver s(ctx_, &log_, o_.timeout_ms);
        for (Bool f : path) s.add(f);
        s.add(smt::any_of(ctx_, bad));
        std::string kind = "depth" + std::to_string(k) + (round ? "-" + std::to_string(round) : "");
        SatResult res = s.check("bmc", kind);
        if (res != SatResult::Sat) {
          if (k == 0 && round == 0 && !initial_state_exists()) {
            return fail(r, "the initial state does not satisfy the encoding's range constraints",
                        t0);
          }
          if (res == SatResult::Unknown) {
            r.gave_up = true;
            done = true;
          }
          break;
        }
        Path p = read_path(s, enc_, u_, k);
        if (auto d = replay_disagreement(m_, p, true)) {
          return fail(r, "depth " + std::to_string(k) + ": " + *d, t0);
        }
        size_t before = remaining;
        for (size_t g = 0; g < goals_.size(); ++g) {
          if (!open[g]) continue;
          auto why = violated_natively(m_, goals_[g], p.states.back());
          if (!why) continue;
          found[g] = violation(goals_[g], *why, p);
          open[g] = false;
          --remaining;
        }
        if (remaining == before) {
          return fail(r, "depth " + std::to_string(k) + ": the evaluator finds no violation", t0);
        }
        if (o_.stop_at_first) done = true;
        if (done) break;
      }
      if (done || remaining == 0) {
        // After an unknown answer depth k is not fully examined.
        r.depth_checked = r.gave_up ? (k > 0 ? k - 1 : 0) : k;
        break;
      }
      r.depth_checked = k;
      if (o_.completeness && no_longer_loop_free_path(k + 1)) {
        r.complete = true;
        break;
      }
    }
    for (auto& v : found) {
      if (v) r.violations.push_back(std::move(*v));
    }
    finish(r, t0);
    return r;
  }

 private:
  // Guards against vacuous answers (an encoding that excludes the initial
  // state would make every query unsatisfiable).
  bool initial_state_exists() {
    smt::Solver s(ctx_, &log_, o_.timeout_ms);
    s.add(u_.range(0));
    s.add(enc_.is_initial(u_.state(0)));
    return s.check("sanity", "initial-state-exists") == SatResult::Sat;
  }

  // True when no loop-free path of `len` steps starts in the initial state:
  // then every reachable state is reachable within len - 1 steps, all of
  // which BMC has examined.
  bool no_longer_loop_free_path(unsigned len) {
    smt::Solver s(ctx_, &log_, o_.timeout_ms);
    s.add(enc_.is_initial(u_.state(0)));
    for (unsigned i = 0; i <= len; ++i) s.add(u_.range(i));
    for (unsigned i = 1; i <= len; ++i) s.add(u_.step(i));
    for (unsigned j = 1; j <= len; ++j) {
      for (unsigned i = 0; i < j; ++i) s.add(u_.distinct(i, j));
    }
    return s.check("completeness", "loop-free-" + std::to_string(len)) == SatResult::Unsat;
  }

  // The explorer's form: kind "error" has no property name, and the
  // location is the property's or that of the action that fails.
  sim::Violation violation(const Goal& g, const std::string& why, const Path& p) {
    sim::Violation v;
    v.kind = g.kind;
    v.message = why;
    v.trace = to_trace(m_, p);
    if (g.property != model::kNoId) {
      v.property = g.name;
      v.loc = m_.properties[g.property].loc;
    } else {
      for (model::Id a = 0; a < m_.actions.size(); ++a) {
        model::EvalError err;
        auto en = model::enabled(m_, a, p.states.back(), err);
        if (en && (!*en || model::successor(m_, a, p.states.back(), err))) continue;
        v.loc = err.loc;
        break;
      }
    }
    return v;
  }

  BmcResult& fail(BmcResult& r, const std::string& what, std::chrono::steady_clock::time_point t0) {
    r.internal_error = what;
    finish(r, t0);
    return r;
  }

  void finish(BmcResult& r, std::chrono::steady_clock::time_point t0) {
    r.queries = log_.records();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  const model::Model& m_;
  const BmcOptions& o_;
  smt::Context ctx_;
  smt::QueryLog log_;
  Encoder enc_;
  Unrolling u_;
  std::vector<Goal> goals_;
};

}  // namespace

BmcResult bmc(const model::Model& m, const BmcOptions& opts) {
  return Bmc(m, opts).run();
}

sim::CheckResult to_check_result(const BmcResult& r) {
  sim::CheckResult c;
  c.depth = r.depth_checked;
  c.seconds = r.seconds;
  c.violations = r.violations;
  if (!r.internal_error.empty()) {
    c.verdict = sim::Verdict::Error;
    c.incomplete_reason = "internal error: " + r.internal_error;
  } else if (!r.violations.empty()) {
    c.verdict = sim::Verdict::Violation;
  } else if (r.complete) {
    c.verdict = sim::Verdict::Pass;
  } else {
    c.verdict = sim::Verdict::Incomplete;
    c.incomplete_reason =
        r.gave_up ? "the solver gave up (timeout) after depth " + std::to_string(r.depth_checked)
                  : "bounded model checking: no violation within depth " +
                        std::to_string(r.depth_checked);
  }
  return c;
}

std::string render(const model::Model& m, const BmcResult& r) {
  std::string out = "bmc " + m.scenario + ": depth " + std::to_string(r.depth_checked) +
                    (r.complete ? " (complete)" : "") + ", " + std::to_string(r.width) +
                    "-bit encoding, " + std::to_string(r.queries.size()) + " queries\n";
  for (const sim::Violation& v : r.violations) {
    out += "  " + (v.property.empty() ? std::string(kModelErrorProperty) : v.property) + " (" +
           v.kind + "): violated at depth " + std::to_string(v.trace.steps.size()) + ": " +
           v.message + "\n";
    for (size_t i = 0; i < v.trace.steps.size(); ++i) {
      out += "    " + std::to_string(i + 1) + ". " + action_name(m, v.trace.steps[i].action);
      for (const sim::Change& c : v.trace.steps[i].changes) {
        out += " " + m.slot_name(c.slot) + "=" + m.format_value(c.slot, c.after);
      }
      out += "\n";
    }
  }
  if (r.violations.empty()) out += "  no violation\n";
  if (!r.internal_error.empty()) out += "internal error: " + r.internal_error + "\n";
  return out;
}

}  // namespace fl::proofs

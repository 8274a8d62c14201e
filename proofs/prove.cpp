#include "proofs/prove.h"

#include <algorithm>
#include <chrono>

#include "proofs/encode.h"
#include "proofs/unroll.h"

namespace fl::proofs {

using smt::Bool;
using smt::SatResult;

const char* to_string(ProofStatus s) {
  switch (s) {
    case ProofStatus::Proved:
      return "proved";
    case ProofStatus::Violated:
      return "violated";
    case ProofStatus::Unknown:
      return "unknown";
    case ProofStatus::Skipped:
      return "skipped";
  }
  return "?";
}

bool ProveResult::all_proved() const {
  return internal_error.empty() &&
         std::all_of(properties.begin(), properties.end(), [](const PropertyProof& p) {
           return p.status == ProofStatus::Proved || p.status == ProofStatus::Skipped;
         });
}

const PropertyProof* ProveResult::find(const std::string& property) const {
  for (const PropertyProof& p : properties) {
    if (p.property == property) return &p;
  }
  return nullptr;
}

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Prover {
 public:
  Prover(const model::Model& m, const ProveOptions& o)
      : m_(m), o_(o), log_(o.dump_smt_dir), enc_(m, ctx_), u_(enc_), goals_(goals(m)) {}

  ProveResult run() {
    auto t0 = std::chrono::steady_clock::now();
    ProveResult r;
    r.width = enc_.width();
    // Guards against vacuous proofs: the initial state must exist in the
    // encoding, or every "unsat" below would mean nothing.
    if (query("sanity", "initial-state-exists", {u_.range(0), enc_.is_initial(u_.state(0))}, 0,
              nullptr) != SatResult::Sat) {
      disagreement("the initial state does not satisfy the encoding's range constraints");
    }
    for (const Goal& g : goals_) init_ok_.push_back(check_init(g));
    for (size_t i = 0; i < goals_.size(); ++i) {
      if (selected(goals_[i].name)) r.properties.push_back(prove_goal(i));
    }
    for (const model::Property& p : m_.properties) {
      if (p.kind != model::PropertyKind::Liveness || !selected(p.name)) continue;
      PropertyProof s;
      s.property = p.name;
      s.kind = model::to_string(p.kind);
      s.status = ProofStatus::Skipped;
      s.message = "liveness properties are checked by the explorer (faultline check)";
      r.properties.push_back(std::move(s));
    }
    if (houdini_done_) {
      for (size_t h : core_) r.invariant_core.push_back(goals_[h].name);
    }
    r.queries = log_.records();
    r.internal_error = internal_error_;
    r.seconds = since(t0);
    return r;
  }

 private:
  bool selected(const std::string& name) const {
    return o_.properties.empty() ||
           std::find(o_.properties.begin(), o_.properties.end(), name) != o_.properties.end();
  }

  // Frames 0..steps: in range and linked by T.
  std::vector<Bool> path_facts(size_t steps) {
    std::vector<Bool> f;
    for (size_t i = 0; i <= steps; ++i) f.push_back(u_.range(i));
    for (size_t i = 1; i <= steps; ++i) f.push_back(u_.step(i));
    return f;
  }

  SatResult query(const std::string& prop, const std::string& kind, const std::vector<Bool>& facts,
                  size_t steps, Path* path) {
    smt::Solver s(ctx_, &log_, o_.timeout_ms);
    for (Bool f : facts) s.add(f);
    SatResult r = s.check(prop, kind);
    if (r == SatResult::Sat && path != nullptr) *path = read_path(s, enc_, u_, steps);
    return r;
  }

  void disagreement(const std::string& what) {
    if (internal_error_.empty()) internal_error_ = what;
  }

  // Init => P; keeps the violating initial state when there is one.
  bool check_init(const Goal& g) {
    Path p;
    SatResult r =
        query(g.name, "init", {u_.range(0), enc_.is_initial(u_.state(0)), !u_.good(g, 0)}, 0, &p);
    init_path_.push_back(r == SatResult::Sat ? std::optional<Path>(p) : std::nullopt);
    return r == SatResult::Unsat;
  }

  // H: the largest set of invariants (and model-error) that is inductive as
  // a whole, computed once by dropping members whose post-state fails.
  void houdini() {
    if (houdini_done_) return;
    houdini_done_ = true;
    for (size_t i = 0; i < goals_.size(); ++i) {
      if (goals_[i].kind != "deadlock" && init_ok_[i]) core_.push_back(i);
    }
    for (unsigned round = 1; !core_.empty(); ++round) {
      std::vector<Bool> facts = path_facts(1);
      std::vector<Bool> post;
      for (size_t h : core_) {
        facts.push_back(u_.good(goals_[h], 0));
        post.push_back(u_.good(goals_[h], 1));
      }
      facts.push_back(!smt::all_of(ctx_, post));
      Path p;
      SatResult r = query("houdini", "round" + std::to_string(round), facts, 1, &p);
      if (r == SatResult::Unsat) return;
      if (r == SatResult::Unknown) {
        core_.clear();
        return;
      }
      if (auto d = replay_disagreement(m_, p, false)) disagreement("houdini: " + *d);
      std::vector<size_t> kept;
      for (size_t h : core_) {
        if (!violated_natively(m_, goals_[h], p.states[1])) kept.push_back(h);
      }
      if (kept.size() == core_.size()) {
        disagreement("houdini: the evaluator finds no violated invariant in the post-state");
        kept.clear();
      }
      core_ = std::move(kept);
    }
  }

  Cti make_cti(const Path& p, const Goal& g) {
    Cti c{p.states[0], p.actions[0], p.states[1], {}};
    if (auto d = replay_disagreement(m_, p, false)) disagreement(g.name + ": " + *d);
    if (!violated_natively(m_, g, p.states[1])) {
      disagreement(g.name + ": the evaluator finds the CTI post-state fine");
    }
    for (const Goal& other : goals_) {
      if (other.name != g.name && violated_natively(m_, other, p.states[0])) {
        c.ruled_out_by.push_back(other.name);
      }
    }
    return c;
  }

  void set_violated(PropertyProof& r, const Path& p, const Goal& g) {
    r.status = ProofStatus::Violated;
    if (auto d = replay_disagreement(m_, p, true)) disagreement(g.name + ": " + *d);
    auto why = violated_natively(m_, g, p.states.back());
    if (!why) disagreement(g.name + ": the evaluator finds no violation at the end of the trace");
    r.message = why.value_or("violated");
    r.trace = to_trace(m_, p);
  }

  PropertyProof prove_goal(size_t gi) {
    const Goal& g = goals_[gi];
    auto t0 = std::chrono::steady_clock::now();
    size_t q0 = log_.records().size();
    PropertyProof r;
    r.property = g.name;
    r.kind = g.kind;
    decide(gi, r);
    r.seconds = since(t0);
    r.queries = static_cast<unsigned>(log_.records().size() - q0);
    return r;
  }

  void decide(size_t gi, PropertyProof& r) {
    const Goal& g = goals_[gi];
    Path p;
    if (!init_ok_[gi]) {
      if (init_path_[gi]) {
        set_violated(r, *init_path_[gi], g);
      } else {
        r.message = "the solver gave up on the initial state";
      }
      return;
    }
    bool gave_up = false;
    if (!o_.strengthen) {
      std::vector<Bool> f = path_facts(1);
      f.push_back(u_.good(g, 0));
      f.push_back(!u_.good(g, 1));
      SatResult s = query(g.name, "step", f, 1, &p);
      if (s == SatResult::Unsat) {
        r.status = ProofStatus::Proved;
        r.k = 1;
        return;
      }
      if (s == SatResult::Sat) r.plain_cti = make_cti(p, g);
      gave_up |= s == SatResult::Unknown;
    }
    houdini();
    if (std::find(core_.begin(), core_.end(), gi) != core_.end()) {
      r.status = ProofStatus::Proved;
      r.k = 1;
      for (size_t h : core_) {
        if (h != gi) r.strengthened_with.push_back(goals_[h].name);
      }
      return;
    }
    if (!core_.empty() || o_.strengthen) {
      std::vector<Bool> f = path_facts(1);
      for (size_t h : core_) f.push_back(u_.good(goals_[h], 0));
      f.push_back(u_.good(g, 0));
      f.push_back(!u_.good(g, 1));
      SatResult s = query(g.name, "step-strengthened", f, 1, &p);
      if (s == SatResult::Unsat) {
        r.status = ProofStatus::Proved;
        r.k = 1;
        for (size_t h : core_) r.strengthened_with.push_back(goals_[h].name);
        return;
      }
      if (s == SatResult::Sat) r.cti = make_cti(p, g);
      gave_up |= s == SatResult::Unknown;
    }
    if (!r.cti) r.cti = r.plain_cti;
    for (unsigned k = 2; k <= o_.max_k; ++k) {
      // Base case: no violation at depth k - 1 (smaller depths are done).
      std::vector<Bool> base = path_facts(k - 1);
      base.push_back(enc_.is_initial(u_.state(0)));
      base.push_back(!u_.good(g, k - 1));
      SatResult b = query(g.name, "base-depth" + std::to_string(k - 1), base, k - 1, &p);
      if (b == SatResult::Sat) {
        set_violated(r, p, g);
        return;
      }
      gave_up |= b == SatResult::Unknown;
      std::vector<Bool> f = path_facts(k);
      for (size_t i = 0; i < k; ++i) {
        for (size_t h : core_) f.push_back(u_.good(goals_[h], i));
        f.push_back(u_.good(g, i));
      }
      f.push_back(!u_.good(g, k));
      if (o_.simple_path) {
        for (size_t i = 0; i <= k; ++i) {
          for (size_t j = i + 1; j <= k; ++j) f.push_back(u_.distinct(i, j));
        }
      }
      SatResult s = query(g.name, "k" + std::to_string(k) + "-step", f, k, nullptr);
      if (s == SatResult::Unsat && b == SatResult::Unsat) {
        r.status = ProofStatus::Proved;
        r.k = k;
        for (size_t h : core_) r.strengthened_with.push_back(goals_[h].name);
        return;
      }
      gave_up |= s == SatResult::Unknown;
    }
    r.status = ProofStatus::Unknown;
    r.message = gave_up ? "the solver gave up on some queries (timeout)"
                        : "not inductive, not k-inductive up to k=" + std::to_string(o_.max_k);
  }

  const model::Model& m_;
  const ProveOptions& o_;
  smt::Context ctx_;
  smt::QueryLog log_;
  Encoder enc_;
  Unrolling u_;
  std::vector<Goal> goals_;
  std::vector<bool> init_ok_;
  std::vector<std::optional<Path>> init_path_;
  bool houdini_done_ = false;
  std::vector<size_t> core_;
  std::string internal_error_;
};

std::string render_changes(const model::Model& m, const model::State& a, const model::State& b) {
  std::string out;
  for (uint32_t s = 0; s < m.num_slots(); ++s) {
    if (a[s] == b[s]) continue;
    if (!out.empty()) out += ", ";
    out += m.slot_name(s) + ": " + m.format_value(s, a[s]) + " -> " + m.format_value(s, b[s]);
  }
  return out.empty() ? "(no change)" : out;
}

void render_cti(std::string& out, const model::Model& m, const Cti& c, const std::string& ind) {
  out += ind + "pre-state:\n" + render_state(m, c.pre, ind + "  ");
  out += ind + "action: " + action_name(m, c.action) + "\n";
  out += ind + "post-state: " + render_changes(m, c.pre, c.post) + "\n";
  if (!c.ruled_out_by.empty()) {
    out += ind + "the pre-state violates:";
    for (const std::string& n : c.ruled_out_by) out += " " + n;
    out += " (assuming them would rule it out)\n";
  }
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ProveResult prove(const model::Model& m, const ProveOptions& opts) {
  return Prover(m, opts).run();
}

std::string render_state(const model::Model& m, const model::State& s, const std::string& indent) {
  std::string out;
  for (const model::Var& v : m.vars) {
    out += indent + v.name + " = ";
    if (v.is_array) out += "[";
    for (uint32_t i = 0; i < v.length; ++i) {
      if (i > 0) out += ", ";
      out += m.format_value(v.first_slot + i, s[v.first_slot + i]);
    }
    out += v.is_array ? "]\n" : "\n";
  }
  return out;
}

std::string render(const model::Model& m, const ProveResult& r) {
  std::string out =
      "prove " + m.scenario + (m.variant.empty() ? "" : " (variant " + m.variant + ")") + ": " +
      std::to_string(r.width) + "-bit encoding, " + std::to_string(r.queries.size()) + " queries\n";
  for (const PropertyProof& p : r.properties) {
    out += "  " + p.property + " (" + p.kind + "): ";
    switch (p.status) {
      case ProofStatus::Proved:
        out += p.k == 1 ? "proved (inductive" : "proved (k-inductive, k=" + std::to_string(p.k);
        if (!p.strengthened_with.empty()) out += ", with " + list(p.strengthened_with);
        out += ")\n";
        if (p.plain_cti) {
          out += "    alone it is not inductive; its counterexample to induction:\n";
          render_cti(out, m, *p.plain_cti, "      ");
        }
        break;
      case ProofStatus::Violated:
        out += "VIOLATED at depth " + std::to_string(p.trace ? p.trace->steps.size() : 0) + ": " +
               p.message + "\n";
        if (p.trace) {
          out += "    initial state:\n" + render_state(m, p.trace->initial, "      ");
          model::State s = p.trace->initial;
          for (size_t i = 0; i < p.trace->steps.size(); ++i) {
            model::State next = s;
            for (const sim::Change& c : p.trace->steps[i].changes) next[c.slot] = c.after;
            out += "    " + std::to_string(i + 1) + ". " +
                   action_name(m, p.trace->steps[i].action) + ": " + render_changes(m, s, next) +
                   "\n";
            s = std::move(next);
          }
        }
        break;
      case ProofStatus::Unknown:
        out += "not proved: " + p.message + "\n";
        if (p.cti) {
          out +=
              "    counterexample to induction (its pre-state may be unreachable; "
              "`faultline check` decides):\n";
          render_cti(out, m, *p.cti, "      ");
        }
        break;
      case ProofStatus::Skipped:
        out += "skipped: " + p.message + "\n";
        break;
    }
  }
  if (!r.internal_error.empty())
    out += "internal error (encoding disagrees with the evaluator): " + r.internal_error + "\n";
  return out;
}

}  // namespace fl::proofs

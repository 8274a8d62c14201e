#include "sim/simulate.h"

#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/bfs.h"
#include "sim/compiled.h"
#include "sim/expand.h"
#include "sim/hash.h"
#include "sim/random.h"
#include "sim/state_layout.h"

namespace fl::sim {

namespace {

using model::Id;
using model::Value;
using Clock = std::chrono::steady_clock;

constexpr size_t kNotFound = std::numeric_limits<size_t>::max();

class Walker {
 public:
  Walker(const model::Model& m, const SimulateOptions& o)
      : m_(m),
        o_(o),
        layout_(m),
        c_(m, layout_),
        cur_(c_.new_frame()),
        next_(c_.new_frame()),
        packed_(layout_.words()),
        found_(m.properties.size()),
        final_true_(m.expectations.size(), 0),
        final_false_(m.expectations.size(), 0) {}

  CheckResult run();

 private:
  struct Found {
    size_t steps = kNotFound;
    std::vector<Id> actions;
  };

  bool walk(uint64_t w);
  void note(Id p) {
    if (path_.size() < found_[p].steps) found_[p] = Found{path_.size(), path_};
  }
  bool fail(ErrorContext ctx, Id id) {
    error_ = ChunkError{0, ctx, id, err_};
    error_path_ = path_;
    return false;
  }
  bool check_state();
  bool final_state();
  bool enabled_actions(std::vector<Id>& out);
  bool limit_reached();
  Trace replay(const std::vector<Id>& actions) const;

  const model::Model& m_;
  const SimulateOptions& o_;
  StateLayout layout_;
  Compiled c_;
  std::vector<Value> cur_, next_;
  std::vector<uint64_t> packed_;
  std::vector<Id> path_;
  std::vector<char> keep_;  // swarm: actions this walk may choose
  std::vector<Found> found_;
  std::optional<ChunkError> error_;
  std::vector<Id> error_path_;
  RunError err_;
  uint64_t visited_ = 0, steps_ = 0, finals_ = 0;
  size_t longest_ = 0;
  std::vector<uint64_t> final_true_, final_false_;
  std::set<std::vector<Value>> outcomes_;
  std::string stop_reason_;
  Clock::time_point start_ = Clock::now();
};

bool Walker::check_state() {
  for (Id p = 0; p < m_.properties.size(); ++p) {
    if (m_.properties[p].kind != model::PropertyKind::Invariant) continue;
    const Program& prog = c_.property(p);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) return fail(ErrorContext::Property, p);
    if (cur_[prog.result] == 0) note(p);
  }
  return true;
}

bool Walker::final_state() {
  ++finals_;
  for (Id p = 0; p < m_.properties.size(); ++p) {
    if (m_.properties[p].kind != model::PropertyKind::Deadlock) continue;
    const Program& prog = c_.property(p);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) return fail(ErrorContext::Property, p);
    if (cur_[prog.result] == 0) note(p);
  }
  for (Id e = 0; e < m_.expectations.size(); ++e) {
    if (m_.expectations[e].expr == model::kNoId) continue;
    const Program& prog = c_.expectation(e);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) return fail(ErrorContext::Expectation, e);
    ++(cur_[prog.result] != 0 ? final_true_[e] : final_false_[e]);
  }
  std::vector<Value> tuple;
  for (Id o = 0; o < m_.observations.size(); ++o) {
    const Program& prog = c_.observation(o);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) return fail(ErrorContext::Observation, o);
    tuple.push_back(cur_[prog.result]);
  }
  if (!tuple.empty()) outcomes_.insert(std::move(tuple));
  return true;
}

bool Walker::enabled_actions(std::vector<Id>& out) {
  out.clear();
  const Program& all = c_.all_guards();
  const auto n = static_cast<Id>(m_.actions.size());
  if (!c_.run(all, cur_.data(), nullptr, err_)) {
    // Find the failing guard, in model order, as the reference would.
    for (Id a = 0; a < n; ++a) {
      if (!c_.run(c_.guard(a), cur_.data(), nullptr, err_)) return fail(ErrorContext::Guard, a);
    }
  }
  for (Id a = 0; a < n; ++a) {
    if (cur_[all.result + a] != 0) out.push_back(a);
  }
  return true;
}

bool Walker::limit_reached() {
  if (o_.limits.max_states != 0 && visited_ >= o_.limits.max_states) {
    stop_reason_ = "state limit " + std::to_string(o_.limits.max_states) + " reached";
    return true;
  }
  if ((visited_ & 1023) == 0) {
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    if (o_.limits.time_limit_s > 0 && s >= o_.limits.time_limit_s) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "time limit %g s reached", o_.limits.time_limit_s);
      stop_reason_ = buf;
      return true;
    }
    if (stop_requested()) {
      stop_reason_ = "interrupted";
      return true;
    }
  }
  return false;
}

// One walk; false when the run must stop (a model error or a limit).
bool Walker::walk(uint64_t w) {
  Rng rng(mix64(o_.seed) ^ mix64(w));
  const auto n = static_cast<Id>(m_.actions.size());
  keep_.assign(n, 1);
  if (o_.swarm) {
    for (Id a = 0; a < n; ++a) keep_[a] = static_cast<char>(rng.next() >> 63);
  }
  path_.clear();
  const model::State init = model::initial_state(m_);
  std::copy(init.begin(), init.end(), cur_.begin());
  std::vector<Id> enabled, kept;
  for (;;) {
    if (limit_reached()) return false;
    ++visited_;
    if (!check_state() || !enabled_actions(enabled)) return false;
    if (enabled.empty()) {
      if (!final_state()) return false;
      break;
    }
    if (path_.size() >= o_.depth) break;
    kept.clear();
    for (Id a : enabled) {
      if (keep_[a]) kept.push_back(a);
    }
    const std::vector<Id>& choices = kept.empty() ? enabled : kept;
    const Id a = choices[rng.below(choices.size())];
    std::copy(cur_.begin(), cur_.begin() + c_.num_slots(), next_.begin());
    layout_.pack(cur_.data(), packed_.data());
    if (!c_.run(c_.body(a), next_.data(), packed_.data(), err_)) {
      path_.push_back(a);
      return fail(ErrorContext::Body, a);
    }
    std::copy(next_.begin(), next_.begin() + c_.num_slots(), cur_.begin());
    path_.push_back(a);
    ++steps_;
  }
  longest_ = std::max(longest_, path_.size());
  return true;
}

Trace Walker::replay(const std::vector<Id>& actions) const {
  Trace t;
  t.initial = model::initial_state(m_);
  model::State s = t.initial;
  for (Id a : actions) {
    model::EvalError err;
    std::optional<model::State> next = c_.successor(a, s, err);
    TraceStep step;
    step.action = a;
    if (next) {
      for (uint32_t i = 0; i < s.size(); ++i) {
        if (s[i] != (*next)[i]) step.changes.push_back(Change{i, s[i], (*next)[i]});
      }
      s = std::move(*next);
    }
    t.steps.push_back(std::move(step));
  }
  return t;
}

CheckResult Walker::run() {
  bool stopped = false;
  uint64_t done = 0;
  for (; done < o_.walks && !stopped; ++done) stopped = !walk(done);
  CheckResult r;
  r.states = visited_;
  r.transitions = steps_;
  r.depth = static_cast<uint32_t>(std::max(longest_, path_.size()));
  r.final_states = finals_;
  r.final_true = final_true_;
  r.final_false = final_false_;
  r.outcomes.assign(outcomes_.begin(), outcomes_.end());
  for (Id p = 0; p < m_.properties.size(); ++p) {
    if (found_[p].steps == kNotFound) continue;
    const model::Property& prop = m_.properties[p];
    Violation v;
    v.property = prop.name;
    v.kind = model::to_string(prop.kind);
    v.message = prop.kind == model::PropertyKind::Deadlock
                    ? "'" + prop.name + "' does not hold in a state with no enabled action"
                    : "'" + prop.name + "' does not hold in a reachable state";
    v.loc = prop.loc;
    v.trace = replay(found_[p].actions);
    r.violations.push_back(std::move(v));
  }
  if (error_) {
    std::vector<Id> to_state = error_path_;
    if (error_->context == ErrorContext::Body) to_state.pop_back();
    r.violations.push_back(make_error_violation(c_, *error_, replay(to_state)));
    r.verdict = Verdict::Error;
    return r;
  }
  r.verdict = r.violations.empty() ? Verdict::Incomplete : Verdict::Violation;
  r.incomplete_reason = !stop_reason_.empty()
                            ? stop_reason_ + " after " + std::to_string(done) + " walks"
                            : "random walks are not exhaustive";
  return r;
}

}  // namespace

CheckResult simulate(const model::Model& m, const SimulateOptions& opts) {
  const auto start = Clock::now();
  CheckResult r = Walker(m, opts).run();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  evaluate_expectations(m, r);
  return r;
}

uint64_t random_seed() {
  uint64_t seed = 0;
  if (FILE* f = std::fopen("/dev/urandom", "rb")) {
    const size_t got = std::fread(&seed, sizeof seed, 1, f);
    std::fclose(f);
    if (got == 1) return seed;
  }
  return static_cast<uint64_t>(Clock::now().time_since_epoch().count());
}

}  // namespace fl::sim

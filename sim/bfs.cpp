#include "sim/bfs.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <sstream>

#include "sim/check.h"
#include "sim/compiled.h"
#include "sim/expand.h"
#include "sim/hash.h"
#include "sim/liveness.h"
#include "sim/pipeline.h"
#include "sim/progress.h"
#include "sim/state_layout.h"
#include "sim/state_table.h"
#include "sim/trace.h"

namespace fl::sim {

namespace {

using model::Id;
using model::Value;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop_requested{false};

// States per thread per batch: large enough to amortise the hand-over
// between threads, small enough that a limit stops the search promptly.
constexpr uint64_t kChunkStates = 4096;
// How far ahead of an insert the merge prefetches the state it will compare
// with; the index slot that names that state is prefetched twice as far
// ahead, so that the two cache misses of a lookup overlap with other work.
constexpr uint32_t kPrefetchDistance = 8;
// The search stops before the machine has less free memory than this.
constexpr uint64_t kReserveRamBytes = 1ULL << 30;
constexpr uint64_t kNone = ~0ULL;

std::string format_number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

class Explorer {
 public:
  Explorer(const model::Model& m, const CheckOptions& opts)
      : m_(m),
        opts_(opts),
        layout_(m),
        compiled_(m, layout_),
        table_(layout_.words(), opts.limits.max_memory_mib * 1024 * 1024, opts.limits.max_states),
        threads_(std::max(1U, opts.threads)),
        skip_(m.properties.size(), 0),
        first_violation_(m.properties.size(), kNone),
        final_true_(m.expectations.size(), 0),
        final_false_(m.expectations.size(), 0),
        progress_(opts.progress) {
    for (const model::Property& p : m.properties) {
      if (p.kind == model::PropertyKind::Liveness) has_liveness_ = true;
    }
    for (unsigned i = 0; i < threads_; ++i) {
      expanders_.push_back(std::make_unique<Expander>(compiled_));
      expanders_.back()->set_record_actions(has_liveness_);
    }
  }

  CheckResult run();

 private:
  bool insert_initial();
  bool step(bool& complete);
  void set_memory_cap();
  bool merge(const ChunkOutput& out);
  bool insert(const ChunkOutput& out, uint32_t c);
  void enter_state(uint64_t s);
  void note_violation(Id p, uint64_t s);
  void note_final(const ChunkOutput& out, size_t k);
  bool within_limits();
  void check_tail();
  void check_liveness_properties();
  uint64_t memory_bytes() const;
  // Where every level with a stored state starts (for traces).
  std::vector<uint64_t> level_starts() const;
  double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void fill_result(CheckResult& r);
  Violation error_violation() const;

  const model::Model& m_;
  const CheckOptions& opts_;
  StateLayout layout_;
  Compiled compiled_;
  StateTable table_;
  unsigned threads_;
  std::unique_ptr<Pipeline> pipeline_;  // while the search runs
  std::vector<std::unique_ptr<Expander>> expanders_;
  ChunkOutput tail_out_;  // for check_tail()
  Clock::time_point start_ = Clock::now();

  uint64_t expanded_end_ = 0;              // states below this were fully expanded
  uint64_t level_end_ = 1;                 // one past the last state of the level being expanded
  uint32_t depth_ = 0;                     // that level
  std::vector<uint64_t> level_starts_{0};  // the first state of each level entered
  uint64_t transitions_ = 0;
  uint64_t final_states_ = 0;
  uint64_t peak_bytes_ = 0;
  std::vector<char> skip_;  // per property: already violated
  std::vector<uint64_t> first_violation_;
  std::vector<uint64_t> final_true_, final_false_;
  std::set<std::vector<Value>> outcomes_;
  std::optional<ChunkError> error_;
  std::string stop_reason_;
  ProgressLine progress_;
  double last_ram_check_s_ = -1;
  // The state graph, recorded only when the model has a liveness property
  // (it costs about 8 bytes per transition).
  bool has_liveness_ = false;
  StateGraph graph_;
  std::vector<std::optional<Violation>> liveness_violations_;
};

uint64_t Explorer::memory_bytes() const {
  uint64_t bytes = table_.bytes_used() + graph_.bytes();
  if (pipeline_) bytes += pipeline_->bytes();
  return bytes;
}

void Explorer::enter_state(uint64_t s) {
  if (s == level_end_) {
    level_starts_.push_back(s);
    level_end_ = table_.size();
    ++depth_;
  }
}

std::vector<uint64_t> Explorer::level_starts() const {
  std::vector<uint64_t> starts = level_starts_;
  if (table_.size() > level_end_) starts.push_back(level_end_);
  return starts;
}

void Explorer::note_violation(Id p, uint64_t s) {
  if (skip_[p]) return;
  skip_[p] = 1;
  first_violation_[p] = s;
}

void Explorer::note_final(const ChunkOutput& out, size_t k) {
  ++final_states_;
  const Expander& ex = *expanders_[0];
  const Value* v = out.final_values.data() + out.finals[k].second;
  const uint64_t s = out.finals[k].first;
  for (Id p : ex.deadlocks()) {
    if (*v++ == 0) note_violation(p, s);
  }
  for (Id e : ex.final_expectations()) ++(*v++ != 0 ? final_true_[e] : final_false_[e]);
  if (!m_.observations.empty()) outcomes_.emplace(v, v + m_.observations.size());
}

bool Explorer::insert(const ChunkOutput& out, uint32_t c) {
  ++transitions_;
  const uint64_t* words = out.successor_words.data() + static_cast<size_t>(c) * layout_.words();
  const StateTable::Insert r = table_.insert(words, out.successor_hash[c]);
  if (r.status == StateTable::Status::Full) {
    stop_reason_ = "memory limit " + std::to_string(opts_.limits.max_memory_mib) + " MiB reached";
    return false;
  }
  if (r.status == StateTable::Status::StateLimit) {
    stop_reason_ = opts_.limits.max_states != 0
                       ? "state limit " + std::to_string(opts_.limits.max_states) + " reached"
                       : "more than 2^32 - 2 states: the state numbering is exhausted";
    return false;
  }
  if (has_liveness_) {
    graph_.target.push_back(static_cast<uint32_t>(r.index));
    graph_.action.push_back(out.successor_action[c]);
  }
  return true;
}

// Applies one chunk's results state by state, in state order.
bool Explorer::merge(const ChunkOutput& out) {
  size_t vio = 0;
  size_t fin = 0;
  uint32_t begin = 0;
  const size_t total = out.successor_hash.size();
  const size_t expanded = out.successor_end.size();
  for (size_t k = 0; k <= expanded; ++k) {
    const uint64_t s = out.first_state + k;
    if (k == expanded && !out.error) break;
    enter_state(s);
    while (vio < out.violations.size() && out.violations[vio].first == s) {
      note_violation(out.violations[vio++].second, s);
    }
    if (k == expanded) {
      error_ = out.error;
      return false;
    }
    if (fin < out.finals.size() && out.finals[fin].first == s) note_final(out, fin++);
    const uint32_t end = out.successor_end[k];
    for (uint32_t c = begin; c < end; ++c) {
      if (c + 2 * kPrefetchDistance < total) {
        table_.prefetch(out.successor_hash[c + 2 * kPrefetchDistance]);
      }
      if (c + kPrefetchDistance < total) {
        table_.prefetch_state(out.successor_hash[c + kPrefetchDistance]);
      }
      if (!insert(out, c)) return false;
    }
    if (has_liveness_) graph_.begin.push_back(graph_.target.size());
    begin = end;
    expanded_end_ = s + 1;
  }
  return true;
}

bool Explorer::insert_initial() {
  const model::State init = model::initial_state(m_);
  std::vector<uint64_t> packed(layout_.words());
  layout_.pack(init.data(), packed.data());
  const StateTable::Insert r =
      table_.insert(packed.data(), hash_words(packed.data(), layout_.words()));
  if (r.status == StateTable::Status::Added) return true;
  stop_reason_ = "memory limit " + std::to_string(opts_.limits.max_memory_mib) + " MiB reached";
  return false;
}

// Merges the next expanded chunk, in state order; false when the search
// is over (complete, or stopped by an error or a limit).
bool Explorer::step(bool& complete) {
  ChunkOutput* out = pipeline_->next();
  if (out == nullptr) {
    complete = true;
    return false;
  }
  set_memory_cap();
  const bool merged = merge(*out);
  pipeline_->release(out);
  if (!merged || !within_limits()) return false;
  pipeline_->publish(table_.size(), skip_);
  return true;
}

// The memory limit covers the table and the chunk buffers; the table gets
// what the buffers leave, with room for them to double.
void Explorer::set_memory_cap() {
  const uint64_t limit = opts_.limits.max_memory_mib * 1024 * 1024;
  if (limit == 0) return;
  const uint64_t buffers = pipeline_ ? pipeline_->bytes() : 0;
  table_.set_memory_cap(limit > 2 * buffers ? limit - 2 * buffers : 1);
}

bool Explorer::within_limits() {
  peak_bytes_ = std::max(peak_bytes_, memory_bytes());
  const double now_s = elapsed_s();
  progress_.update({table_.size(), table_.size() - expanded_end_, depth_, memory_bytes(), now_s});
  if (g_stop_requested.load(std::memory_order_relaxed)) {
    stop_reason_ = "interrupted";
    return false;
  }
  const Limits& l = opts_.limits;
  if (l.time_limit_s > 0 && now_s >= l.time_limit_s) {
    stop_reason_ = "time limit " + format_number(l.time_limit_s) + " s reached";
    return false;
  }
  if (l.max_memory_mib != 0 && memory_bytes() > l.max_memory_mib * 1024 * 1024) {
    stop_reason_ = "memory limit " + std::to_string(l.max_memory_mib) + " MiB reached";
    return false;
  }
  if (now_s - last_ram_check_s_ >= 0.5) {
    last_ram_check_s_ = now_s;
    const uint64_t ram = available_memory_bytes();
    if (ram != 0 && ram < kReserveRamBytes + table_.next_growth_bytes()) {
      stop_reason_ = "memory limit reached: less than 1 GiB of RAM left on this machine";
      return false;
    }
  }
  return true;
}

// After a limit stop: the stored states that were not expanded still get
// their invariants checked, so every stored state has been checked.
void Explorer::check_tail() {
  Expander& ex = *expanders_[0];
  ChunkOutput& out = tail_out_;
  for (uint64_t first = expanded_end_; first < table_.size(); first += kChunkStates) {
    ex.check_invariants(table_, first, std::min(table_.size(), first + kChunkStates), skip_, out);
    for (const auto& [s, p] : out.violations) note_violation(p, s);
    if (out.error) {
      error_ = out.error;
      return;
    }
  }
}

// Liveness is decided on the complete state graph, property by property;
// a model error while evaluating a property stops it like any other.
void Explorer::check_liveness_properties() {
  liveness_violations_.assign(m_.properties.size(), std::nullopt);
  for (Id p = 0; p < m_.properties.size(); ++p) {
    if (m_.properties[p].kind != model::PropertyKind::Liveness) continue;
    LivenessOutcome out = check_liveness(compiled_, table_, graph_, p);
    if (out.error) {
      error_ = out.error;
      return;
    }
    liveness_violations_[p] = std::move(out.violation);
  }
}

CheckResult Explorer::run() {
  bool complete = false;
  if (insert_initial()) {
    pipeline_ = std::make_unique<Pipeline>(
        threads_, kChunkStates,
        [this](unsigned t, uint64_t first, uint64_t last, const std::vector<char>& skip,
               ChunkOutput& out) { expanders_[t]->expand(table_, first, last, skip, out); });
    pipeline_->publish(table_.size(), skip_);
    while (step(complete)) {
    }
    peak_bytes_ = std::max(peak_bytes_, memory_bytes());
    pipeline_.reset();  // stops the workers
  }
  peak_bytes_ = std::max({peak_bytes_, memory_bytes(), table_.peak_bytes()});
  if (!complete && !error_) check_tail();
  if (complete && !error_ && has_liveness_) check_liveness_properties();
  progress_.finish();
  CheckResult r;
  fill_result(r);
  return r;
}

Violation Explorer::error_violation() const {
  return make_error_violation(compiled_, *error_,
                              build_trace(compiled_, table_, level_starts(), error_->state));
}

void Explorer::fill_result(CheckResult& r) {
  r.states = table_.size();
  r.transitions = transitions_;
  r.depth = table_.size() > level_end_ ? depth_ + 1 : depth_;
  r.peak_memory_bytes = peak_bytes_;
  r.final_states = final_states_;
  r.final_true = final_true_;
  r.final_false = final_false_;
  r.outcomes.assign(outcomes_.begin(), outcomes_.end());
  for (Id p = 0; p < m_.properties.size(); ++p) {
    if (p < liveness_violations_.size() && liveness_violations_[p]) {
      r.violations.push_back(*liveness_violations_[p]);
      continue;
    }
    if (first_violation_[p] == kNone) continue;
    const model::Property& prop = m_.properties[p];
    Violation v;
    v.property = prop.name;
    v.kind = model::to_string(prop.kind);
    v.message = prop.kind == model::PropertyKind::Deadlock
                    ? "'" + prop.name + "' does not hold in a state with no enabled action"
                    : "'" + prop.name + "' does not hold in a reachable state";
    v.loc = prop.loc;
    v.trace = build_trace(compiled_, table_, level_starts(), first_violation_[p]);
    r.violations.push_back(std::move(v));
  }
  if (error_) {
    r.violations.push_back(error_violation());
    r.verdict = Verdict::Error;
  } else if (!r.violations.empty()) {
    r.verdict = Verdict::Violation;
  } else if (!stop_reason_.empty()) {
    r.verdict = Verdict::Incomplete;
    r.incomplete_reason = stop_reason_;
  }
  if (r.verdict == Verdict::Violation && !stop_reason_.empty()) r.incomplete_reason = stop_reason_;
}

}  // namespace

static std::string context_text(const model::Model& m, const ChunkError& e) {
  switch (e.context) {
    case ErrorContext::Property:
      return "in property '" + m.properties[e.id].name + "'";
    case ErrorContext::Guard:
      return "in the guard of action '" + m.actors[m.actions[e.id].actor].name + "." +
             m.actions[e.id].name + "'";
    case ErrorContext::Body:
      return "in action '" + m.actors[m.actions[e.id].actor].name + "." + m.actions[e.id].name +
             "'";
    case ErrorContext::Observation:
      return "in observation '" + m.observations[e.id].name + "'";
    case ErrorContext::Expectation:
      return "in expectation '" + m.expectations[e.id].text + "'";
  }
  return "";
}

Violation make_error_violation(const Compiled& c, const ChunkError& e, Trace trace) {
  const model::Model& m = c.model();
  model::EvalError err = c.describe(e.error);
  // The locations follow model::enabled() / model::successor().
  if (e.context == ErrorContext::Guard || (e.context == ErrorContext::Body && err.loc.line == 0)) {
    err.loc = m.actions[e.id].loc;
  } else if (e.context == ErrorContext::Property && err.loc.line == 0) {
    err.loc = m.properties[e.id].loc;
  } else if (e.context == ErrorContext::Expectation && err.loc.line == 0) {
    err.loc = m.expectations[e.id].loc;
  }
  Violation v;
  v.kind = "error";
  v.message = context_text(m, e) + ": " + err.message;
  v.loc = err.loc;
  v.trace = std::move(trace);
  if (e.context == ErrorContext::Body) v.trace.steps.push_back(TraceStep{e.id, {}});
  return v;
}

void request_stop() {
  g_stop_requested.store(true, std::memory_order_relaxed);
}
void clear_stop_request() {
  g_stop_requested.store(false, std::memory_order_relaxed);
}
bool stop_requested() {
  return g_stop_requested.load(std::memory_order_relaxed);
}

CheckResult check(const model::Model& m, const CheckOptions& opts) {
  const auto start = Clock::now();
  Explorer explorer(m, opts);
  CheckResult r = explorer.run();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  evaluate_expectations(m, r);
  return r;
}

}  // namespace fl::sim

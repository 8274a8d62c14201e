#include "sim/expand.h"

#include <cstring>

#include "sim/hash.h"

namespace fl::sim {

using model::Id;
using model::Value;

void ChunkOutput::clear(uint64_t first) {
  first_state = first;
  successor_end.clear();
  successor_words.clear();
  successor_hash.clear();
  successor_action.clear();
  violations.clear();
  finals.clear();
  final_values.clear();
  error.reset();
}

uint64_t ChunkOutput::bytes() const {
  return successor_end.capacity() * sizeof(uint32_t) +
         (successor_words.capacity() + successor_hash.capacity()) * sizeof(uint64_t) +
         successor_action.capacity() * sizeof(model::Id) +
         violations.capacity() * sizeof(violations[0]) + finals.capacity() * sizeof(finals[0]) +
         final_values.capacity() * sizeof(Value);
}

Expander::Expander(const Compiled& c)
    : c_(c),
      words_(c.layout().words()),
      cur_(c.new_frame()),
      next_(c.new_frame()),
      packed_(c.layout().words()) {
  const model::Model& m = c.model();
  for (Id p = 0; p < m.properties.size(); ++p) {
    if (m.properties[p].kind == model::PropertyKind::Invariant) invariants_.push_back(p);
    if (m.properties[p].kind == model::PropertyKind::Deadlock) deadlocks_.push_back(p);
  }
  for (Id e = 0; e < m.expectations.size(); ++e) {
    if (m.expectations[e].expr != model::kNoId) final_expectations_.push_back(e);
  }
}

uint32_t Expander::final_record_size() const {
  return static_cast<uint32_t>(deadlocks_.size() + final_expectations_.size() +
                               c_.model().observations.size());
}

bool Expander::fail(ChunkOutput& out, uint64_t s, ErrorContext ctx, Id id) {
  out.error = ChunkError{s, ctx, id, err_};
  return false;
}

bool Expander::invariants(uint64_t s, const std::vector<char>& skip, ChunkOutput& out) {
  for (Id p : invariants_) {
    if (skip[p]) continue;
    const Program& prog = c_.property(p);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) return fail(out, s, ErrorContext::Property, p);
    if (cur_[prog.result] == 0) out.violations.emplace_back(s, p);
  }
  return true;
}

bool Expander::successors(uint64_t s, ChunkOutput& out, uint32_t& enabled) {
  const Program& all = c_.all_guards();
  // A guard that fails must be reported in the order the reference would
  // meet it, after the bodies of the actions before it: leave that rare
  // case to the one-action-at-a-time loop.
  if (!c_.run(all, cur_.data(), nullptr, err_)) return successors_one_by_one(s, out, enabled);
  const Value* on = cur_.data() + all.result;
  const auto n_actions = static_cast<Id>(c_.model().actions.size());
  bool packed = false;
  for (Id a = 0; a < n_actions; ++a) {
    if (on[a] == 0) continue;
    if (!packed) {
      // Every successor starts from the packed parent; packing it once is
      // enough because stores update the packed words in place.
      c_.layout().pack(cur_.data(), packed_.data());
      packed = true;
    }
    ++enabled;
    if (!fire(s, a, out)) return false;
  }
  return true;
}

// Runs the body of enabled action `a` on a copy of the current state and
// appends the successor.
bool Expander::fire(uint64_t s, Id a, ChunkOutput& out) {
  std::memcpy(next_.data(), cur_.data(), sizeof(Value) * c_.num_slots());
  const size_t at = out.successor_words.size();
  out.successor_words.insert(out.successor_words.end(), packed_.begin(), packed_.end());
  // The parent's words were copied above; the body edits the copy.
  if (!c_.run(c_.body(a), next_.data(), out.successor_words.data() + at, err_)) {
    out.successor_words.resize(at);
    return fail(out, s, ErrorContext::Body, a);
  }
  out.successor_hash.push_back(hash_words(out.successor_words.data() + at, words_));
  if (record_actions_) out.successor_action.push_back(a);
  return true;
}

bool Expander::successors_one_by_one(uint64_t s, ChunkOutput& out, uint32_t& enabled) {
  const auto n_actions = static_cast<Id>(c_.model().actions.size());
  bool packed = false;
  for (Id a = 0; a < n_actions; ++a) {
    const Program& guard = c_.guard(a);
    if (!c_.run(guard, cur_.data(), nullptr, err_)) return fail(out, s, ErrorContext::Guard, a);
    if (cur_[guard.result] == 0) continue;
    if (!packed) {
      c_.layout().pack(cur_.data(), packed_.data());
      packed = true;
    }
    ++enabled;
    if (!fire(s, a, out)) return false;
  }
  return true;
}

bool Expander::final_state(uint64_t s, ChunkOutput& out) {
  out.finals.emplace_back(s, static_cast<uint32_t>(out.final_values.size()));
  for (Id p : deadlocks_) {
    const Program& prog = c_.property(p);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) return fail(out, s, ErrorContext::Property, p);
    out.final_values.push_back(cur_[prog.result] != 0);
  }
  for (Id e : final_expectations_) {
    const Program& prog = c_.expectation(e);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) {
      return fail(out, s, ErrorContext::Expectation, e);
    }
    out.final_values.push_back(cur_[prog.result] != 0);
  }
  const auto n_obs = static_cast<Id>(c_.model().observations.size());
  for (Id o = 0; o < n_obs; ++o) {
    const Program& prog = c_.observation(o);
    if (!c_.run(prog, cur_.data(), nullptr, err_)) {
      return fail(out, s, ErrorContext::Observation, o);
    }
    out.final_values.push_back(cur_[prog.result]);
  }
  return true;
}

void Expander::expand(const StateTable& table, uint64_t first, uint64_t last,
                      const std::vector<char>& skip, ChunkOutput& out) {
  out.clear(first);
  for (uint64_t s = first; s < last; ++s) {
    c_.layout().unpack(table.state(s), cur_.data());
    uint32_t enabled = 0;
    if (!invariants(s, skip, out) || !successors(s, out, enabled)) return;
    if (enabled == 0 && !final_state(s, out)) {
      // An error state is not a final state: drop its partial record.
      out.final_values.resize(out.finals.back().second);
      out.finals.pop_back();
      return;
    }
    out.successor_end.push_back(static_cast<uint32_t>(out.successor_hash.size()));
  }
}

void Expander::check_invariants(const StateTable& table, uint64_t first, uint64_t last,
                                const std::vector<char>& skip, ChunkOutput& out) {
  out.clear(first);
  for (uint64_t s = first; s < last; ++s) {
    c_.layout().unpack(table.state(s), cur_.data());
    if (!invariants(s, skip, out)) return;
  }
}

}  // namespace fl::sim

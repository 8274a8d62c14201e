#include "sim/trace.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace fl::sim {

using model::Id;
using model::Value;

model::State unpack_state(const Compiled& c, const StateTable& table, uint64_t index) {
  model::State s(c.num_slots());
  c.layout().unpack(table.state(index), s.data());
  return s;
}

namespace {

// The step from stored state `from` to stored state `to`.
TraceStep find_step(const Compiled& c, const StateTable& table, uint64_t from, uint64_t to) {
  const uint32_t words = table.words();
  std::vector<Value> cur = c.new_frame();
  std::vector<Value> next = c.new_frame();
  std::vector<uint64_t> packed(words);
  c.layout().unpack(table.state(from), cur.data());
  RunError err;
  const auto n_actions = static_cast<Id>(c.model().actions.size());
  for (Id a = 0; a < n_actions; ++a) {
    if (!c.run(c.guard(a), cur.data(), nullptr, err) || cur[c.guard(a).result] == 0) continue;
    std::memcpy(next.data(), cur.data(), sizeof(Value) * c.num_slots());
    c.layout().pack(cur.data(), packed.data());
    if (!c.run(c.body(a), next.data(), packed.data(), err)) continue;
    if (!std::equal(packed.begin(), packed.end(), table.state(to))) continue;
    TraceStep step;
    step.action = a;
    for (uint32_t s = 0; s < c.num_slots(); ++s) {
      if (cur[s] != next[s]) step.changes.push_back(Change{s, cur[s], next[s]});
    }
    return step;
  }
  // The search stored `to` as a successor of `from`, so this cannot happen
  // unless the engine itself is broken.
  throw std::logic_error("faultline: no action leads from a state to its recorded successor");
}

// Whether some enabled action of `cur` (unpacked in `cur`, packed in
// `packed`) leads to the packed state `to`.
bool leads_to(const Compiled& c, std::vector<Value>& cur, std::vector<Value>& next,
              const std::vector<uint64_t>& packed, std::vector<uint64_t>& succ,
              const uint64_t* to) {
  RunError err;
  const auto n_actions = static_cast<Id>(c.model().actions.size());
  for (Id a = 0; a < n_actions; ++a) {
    if (!c.run(c.guard(a), cur.data(), nullptr, err) || cur[c.guard(a).result] == 0) continue;
    std::memcpy(next.data(), cur.data(), sizeof(Value) * c.num_slots());
    succ = packed;
    if (!c.run(c.body(a), next.data(), succ.data(), err)) continue;
    if (std::equal(succ.begin(), succ.end(), to)) return true;
  }
  return false;
}

// The first state of [first, last) that has stored state `to` as a successor.
uint64_t first_predecessor(const Compiled& c, const StateTable& table, uint64_t first,
                           uint64_t last, uint64_t to) {
  std::vector<Value> cur = c.new_frame();
  std::vector<Value> next = c.new_frame();
  std::vector<uint64_t> packed(table.words());
  std::vector<uint64_t> succ(table.words());
  for (uint64_t u = first; u < last; ++u) {
    const uint64_t* words = table.state(u);
    packed.assign(words, words + table.words());
    c.layout().unpack(words, cur.data());
    if (leads_to(c, cur, next, packed, succ, table.state(to))) return u;
  }
  throw std::logic_error("faultline: a stored state has no predecessor in the previous level");
}

}  // namespace

Trace build_trace(const Compiled& c, const StateTable& table,
                  const std::vector<uint64_t>& level_starts, uint64_t target) {
  std::vector<uint64_t> path{target};
  while (path.back() != 0) {
    const uint64_t s = path.back();
    // The level d of s: level_starts[d] <= s < level_starts[d + 1].
    const auto d = static_cast<size_t>(
        std::upper_bound(level_starts.begin(), level_starts.end(), s) - level_starts.begin() - 1);
    path.push_back(first_predecessor(c, table, level_starts[d - 1], level_starts[d], s));
  }
  std::reverse(path.begin(), path.end());
  Trace t;
  t.initial = unpack_state(c, table, path.front());
  for (size_t i = 1; i < path.size(); ++i)
    t.steps.push_back(find_step(c, table, path[i - 1], path[i]));
  return t;
}

}  // namespace fl::sim

#include "sim/liveness.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/strong_components.hpp>

#include "sim/trace.h"

namespace fl::sim {

namespace {

using model::Id;
using model::Value;

constexpr uint32_t kUnseen = 0xffffffffU;
constexpr uint32_t kGood = 0xfffffffeU;  // EXPR holds there

// One step of a path: the stored state it leaves and the edge it takes.
struct Hop {
  uint32_t from = 0;
  uint64_t edge = 0;
};

class LivenessCheck {
 public:
  LivenessCheck(const Compiled& c, const StateTable& table, const StateGraph& g, Id property)
      : c_(c), table_(table), g_(g), property_(property), frame_(c.new_frame()) {
    const model::Model& m = c.model();
    fair_of_actor_.assign(m.actors.size(), kUnseen);
    for (Id a = 0; a < m.actors.size(); ++a) {
      if (m.actors[a].fair) fair_of_actor_[a] = num_fair_++;
    }
  }

  LivenessOutcome run();

 private:
  bool bad(uint64_t s, bool& is_bad);
  bool explore_bad();
  void components();
  void analyse_components();
  Trace lasso(uint32_t entry, bool deadlock);
  std::vector<Hop> path(uint32_t from, uint32_t to, bool nonempty) const;
  uint32_t fair_actor(uint64_t edge) const {
    return fair_of_actor_[c_.model().actions[g_.action[edge]].actor];
  }
  bool inside(uint32_t local, uint64_t edge) const {
    const uint32_t t = local_[g_.target[edge]];
    return t < kGood && comp_[t] == comp_[local];
  }

  const Compiled& c_;
  const StateTable& table_;
  const StateGraph& g_;
  Id property_;
  std::vector<Value> frame_;
  std::vector<uint32_t> fair_of_actor_;
  uint32_t num_fair_ = 0;
  std::optional<ChunkError> error_;

  // The bad states reachable from the initial state through bad states, in
  // breadth-first order ("local" numbers), with their BFS parent edge.
  std::vector<uint32_t> order_;
  std::vector<uint32_t> local_;  // per stored state: local number, kGood or kUnseen
  std::vector<uint32_t> parent_;
  std::vector<uint64_t> parent_edge_;

  std::vector<uint32_t> comp_;  // per local state
  uint32_t num_comps_ = 0;
  // Per component: it has an edge; per (component, fair actor): the actor
  // is disabled in one of its states / steps inside it.
  std::vector<char> nontrivial_, disabled_, steps_;
};

bool LivenessCheck::bad(uint64_t s, bool& is_bad) {
  c_.layout().unpack(table_.state(s), frame_.data());
  RunError err;
  const Program& p = c_.property(property_);
  if (!c_.run(p, frame_.data(), nullptr, err)) {
    error_ = ChunkError{s, ErrorContext::Property, property_, err};
    return false;
  }
  is_bad = frame_[p.result] == 0;
  return true;
}

bool LivenessCheck::explore_bad() {
  local_.assign(table_.size(), kUnseen);
  bool is_bad = false;
  if (!bad(0, is_bad)) return false;
  if (!is_bad) return true;
  local_[0] = 0;
  order_.push_back(0);
  parent_.push_back(kUnseen);
  parent_edge_.push_back(0);
  for (size_t i = 0; i < order_.size(); ++i) {
    const uint32_t s = order_[i];
    for (uint64_t e = g_.begin[s]; e < g_.begin[s + 1]; ++e) {
      const uint32_t t = g_.target[e];
      if (local_[t] != kUnseen) continue;
      if (!bad(t, is_bad)) return false;
      if (!is_bad) {
        local_[t] = kGood;
        continue;
      }
      local_[t] = static_cast<uint32_t>(order_.size());
      order_.push_back(t);
      parent_.push_back(static_cast<uint32_t>(i));
      parent_edge_.push_back(e);
    }
  }
  return true;
}

// Strongly connected components of the bad subgraph (Tarjan's algorithm as
// Boost.Graph implements it, with an explicit stack: no recursion depth
// limit on long chains of states).
void LivenessCheck::components() {
  const auto n = static_cast<uint32_t>(order_.size());
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t s = order_[i];
    for (uint64_t e = g_.begin[s]; e < g_.begin[s + 1]; ++e) {
      const uint32_t t = local_[g_.target[e]];
      if (t < kGood) edges.emplace_back(i, t);
    }
  }
  using Graph =
      boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                         boost::no_property, uint32_t, uint64_t>;
  const Graph graph(boost::edges_are_sorted, edges.begin(), edges.end(), n);
  edges = {};
  comp_.assign(n, 0);
  num_comps_ = static_cast<uint32_t>(boost::strong_components(
      graph, boost::make_iterator_property_map(comp_.begin(), get(boost::vertex_index, graph))));
}

void LivenessCheck::analyse_components() {
  nontrivial_.assign(num_comps_, 0);
  disabled_.assign(static_cast<size_t>(num_comps_) * num_fair_, 0);
  steps_.assign(static_cast<size_t>(num_comps_) * num_fair_, 0);
  std::vector<char> enabled(num_fair_);
  for (uint32_t i = 0; i < order_.size(); ++i) {
    const uint32_t s = order_[i];
    const size_t base = static_cast<size_t>(comp_[i]) * num_fair_;
    std::fill(enabled.begin(), enabled.end(), 0);
    for (uint64_t e = g_.begin[s]; e < g_.begin[s + 1]; ++e) {
      // Every enabled action has an edge, so the edges also tell which
      // actors are enabled (whatever the state they lead to).
      const uint32_t k = fair_actor(e);
      if (k != kUnseen) enabled[k] = 1;
      if (!inside(i, e)) continue;
      nontrivial_[comp_[i]] = 1;
      if (k != kUnseen) steps_[base + k] = 1;
    }
    for (uint32_t k = 0; k < num_fair_; ++k) {
      if (!enabled[k]) disabled_[base + k] = 1;
    }
  }
}

// A shortest path inside the component of `from` to `to` (edges in fired
// order); with `nonempty`, a path of at least one step even when from == to.
std::vector<Hop> LivenessCheck::path(uint32_t from, uint32_t to, bool nonempty) const {
  if (from == to && !nonempty) return {};
  std::vector<uint32_t> queue{from};
  std::vector<std::pair<uint32_t, Hop>> seen;  // (local, hop that reached it)
  std::vector<uint32_t> came(order_.size(), kUnseen);
  for (size_t q = 0; q < queue.size(); ++q) {
    const uint32_t u = queue[q];
    for (uint64_t e = g_.begin[order_[u]]; e < g_.begin[order_[u] + 1]; ++e) {
      if (!inside(from, e)) continue;
      const uint32_t v = local_[g_.target[e]];
      if (v != to && (came[v] != kUnseen || v == from)) continue;
      came[v] = static_cast<uint32_t>(seen.size());
      seen.emplace_back(v, Hop{order_[u], e});
      if (v == to) {
        std::vector<Hop> hops;
        for (uint32_t at = came[v];;) {
          hops.push_back(seen[at].second);
          const uint32_t prev = local_[seen[at].second.from];
          if (prev == from) break;
          at = came[prev];
        }
        std::reverse(hops.begin(), hops.end());
        return hops;
      }
      queue.push_back(v);
    }
  }
  throw std::logic_error("faultline: no path inside a strongly connected component");
}

Trace LivenessCheck::lasso(uint32_t entry, bool deadlock) {
  std::vector<Hop> hops;
  for (uint32_t at = entry; parent_[at] != kUnseen; at = parent_[at]) {
    hops.push_back(Hop{order_[parent_[at]], parent_edge_[at]});
  }
  std::reverse(hops.begin(), hops.end());
  const size_t cycle_start = hops.size();
  if (!deadlock) {
    // One step of each fair actor that is enabled throughout the component
    // (the first such edge in breadth-first order), then back to the entry.
    const size_t base = static_cast<size_t>(comp_[entry]) * num_fair_;
    std::vector<Hop> cycle;
    uint32_t cur = entry;
    for (uint32_t k = 0; k < num_fair_; ++k) {
      if (disabled_[base + k]) continue;
      for (uint32_t i = entry; i < order_.size(); ++i) {
        if (comp_[i] != comp_[entry]) continue;
        uint64_t found = ~0ULL;
        for (uint64_t e = g_.begin[order_[i]]; e < g_.begin[order_[i] + 1]; ++e) {
          if (fair_actor(e) == k && inside(i, e)) {
            found = e;
            break;
          }
        }
        if (found == ~0ULL) continue;
        for (const Hop& h : path(cur, i, false)) cycle.push_back(h);
        cycle.push_back(Hop{order_[i], found});
        cur = local_[g_.target[found]];
        break;
      }
    }
    for (const Hop& h : path(cur, entry, cycle.empty())) cycle.push_back(h);
    hops.insert(hops.end(), cycle.begin(), cycle.end());
  }
  Trace t;
  t.initial = unpack_state(c_, table_, 0);
  for (const Hop& h : hops) {
    const model::State before = unpack_state(c_, table_, h.from);
    const model::State after = unpack_state(c_, table_, g_.target[h.edge]);
    TraceStep step;
    step.action = g_.action[h.edge];
    for (uint32_t s = 0; s < before.size(); ++s) {
      if (before[s] != after[s]) step.changes.push_back(Change{s, before[s], after[s]});
    }
    t.steps.push_back(std::move(step));
  }
  t.cycle_start = cycle_start;
  return t;
}

LivenessOutcome LivenessCheck::run() {
  LivenessOutcome out;
  if (!explore_bad()) {
    out.error = error_;
    return out;
  }
  if (order_.empty()) return out;
  components();
  analyse_components();
  for (uint32_t i = 0; i < order_.size(); ++i) {
    const uint32_t s = order_[i];
    const bool deadlock = g_.begin[s] == g_.begin[s + 1];
    bool fair_cycle = nontrivial_[comp_[i]] != 0;
    const size_t base = static_cast<size_t>(comp_[i]) * num_fair_;
    for (uint32_t k = 0; k < num_fair_ && fair_cycle; ++k) {
      fair_cycle = disabled_[base + k] || steps_[base + k];
    }
    if (!deadlock && !fair_cycle) continue;
    const model::Property& p = c_.model().properties[property_];
    Violation v;
    v.property = p.name;
    v.kind = "liveness";
    v.loc = p.loc;
    v.message = deadlock ? "'" + p.name +
                               "' never holds on an execution that ends in a state with no "
                               "enabled action"
                         : "'" + p.name + "' never holds on a weakly fair cycle";
    v.trace = lasso(i, deadlock);
    out.violation = std::move(v);
    return out;
  }
  return out;
}

}  // namespace

LivenessOutcome check_liveness(const Compiled& c, const StateTable& table, const StateGraph& graph,
                               Id property) {
  if (graph.expanded() != table.size()) {
    throw std::logic_error("faultline: liveness needs a complete state graph");
  }
  return LivenessCheck(c, table, graph, property).run();
}

}  // namespace fl::sim

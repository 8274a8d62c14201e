// Google Benchmark suite for the explorer's hot paths on the benchmark
// model postcopy(V, P) (scenarios/bench/postcopy.fl): successor generation,
// hashing, visited-set inserts and lookups, and whole checks.  Throughput
// is reported as items (states) per second; run it with
//   build/bench_faultline --benchmark_counters_tabular=true
// The side-by-side comparison with SPIN is bench/compare-spin.sh.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "model/load/loader.h"
#include "sim/check.h"
#include "sim/compiled.h"
#include "sim/expand.h"
#include "sim/hash.h"
#include "sim/random.h"
#include "sim/state_layout.h"
#include "sim/state_table.h"

namespace {

using namespace fl;

model::Model postcopy(int v, int p) {
  const lang::Scenario sc =
      model::load_scenario(std::string(FL_SOURCE_DIR) + "/scenarios/bench/postcopy.fl");
  return sc.elaborate("linux-6.18", {{"V", std::to_string(v)}, {"P", std::to_string(p)}});
}

// The first `n` states of postcopy(4, 7) in BFS order, stored in a table,
// built once with the engine's own expander.
struct Explored {
  model::Model m = postcopy(4, 7);
  sim::StateLayout layout{m};
  sim::Compiled compiled{m, layout};
  sim::StateTable table{layout.words(), 0};

  explicit Explored(uint64_t n) {
    std::vector<uint64_t> packed(layout.words());
    const model::State init = model::initial_state(m);
    layout.pack(init.data(), packed.data());
    table.insert(packed.data(), sim::hash_words(packed.data(), layout.words()));
    sim::Expander ex(compiled);
    sim::ChunkOutput out;
    const std::vector<char> skip(m.properties.size(), 0);
    for (uint64_t s = 0; s < table.size() && table.size() < n; ++s) {
      ex.expand(table, s, s + 1, skip, out);
      for (size_t c = 0; c < out.successor_hash.size() && table.size() < n; ++c) {
        table.insert(out.successor_words.data() + c * layout.words(), out.successor_hash[c]);
      }
    }
  }
};

Explored& explored() {
  static Explored e(1 << 20);
  return e;
}

// Successor generation: invariants, every guard, every enabled body, the
// packed and hashed successors, for chunks of 4096 stored states.
void BM_ExpandChunk(benchmark::State& st) {
  Explored& e = explored();
  sim::Expander ex(e.compiled);
  sim::ChunkOutput out;
  const std::vector<char> skip(e.m.properties.size(), 0);
  uint64_t first = 0;
  for (auto _ : st) {
    ex.expand(e.table, first, first + 4096, skip, out);
    benchmark::DoNotOptimize(out.successor_hash.data());
    first = (first + 4096) % (e.table.size() - 4096);
  }
  st.SetItemsProcessed(st.iterations() * 4096);
}
BENCHMARK(BM_ExpandChunk);

void BM_HashState(benchmark::State& st) {
  Explored& e = explored();
  uint64_t i = 0;
  uint64_t acc = 0;
  for (auto _ : st) {
    acc ^= sim::hash_words(e.table.state(i), e.table.words());
    i = (i + 1) & ((1 << 20) - 1);
  }
  benchmark::DoNotOptimize(acc);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_HashState);

// Inserting new states (growing the index as the search does) and looking
// up states already present (most lookups of a real search).
void BM_TableInsertNew(benchmark::State& st) {
  Explored& e = explored();
  const uint64_t n = e.table.size();
  for (auto _ : st) {
    sim::StateTable t(e.table.words(), 0);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t* s = e.table.state(i);
      t.insert(s, sim::hash_words(s, e.table.words()));
    }
    benchmark::DoNotOptimize(t.size());
  }
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_TableInsertNew)->Unit(benchmark::kMillisecond);

void BM_TableLookupPresent(benchmark::State& st) {
  Explored& e = explored();
  sim::Rng rng(1);
  std::vector<uint64_t> order(1 << 16);
  for (uint64_t& o : order) o = rng.below(e.table.size());
  size_t k = 0;
  for (auto _ : st) {
    const uint64_t* s = e.table.state(order[k]);
    benchmark::DoNotOptimize(e.table.insert(s, sim::hash_words(s, e.table.words())).index);
    k = (k + 1) & (order.size() - 1);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_TableLookupPresent);

// A whole exhaustive check (no reduction), 1 and 2 threads.
void BM_CheckPostcopy(benchmark::State& st) {
  const model::Model m = postcopy(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  sim::CheckOptions o;
  o.reduction = false;
  o.threads = static_cast<unsigned>(st.range(2));
  uint64_t states = 0;
  for (auto _ : st) states += sim::check(m, o).states;
  st.SetItemsProcessed(static_cast<int64_t>(states));
}
BENCHMARK(BM_CheckPostcopy)
    ->Args({3, 6, 1})
    ->Args({3, 6, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

// Proof time per property (docs/proofs.md, "Costs"): each benchmark proves
// one property of scenarios/bench/postcopy.fl, runs bounded model checking,
// or proves the ioctl argument checks.

#include <benchmark/benchmark.h>

#include <filesystem>

#include "model/load/loader.h"
#include "model/variants.h"
#include "proofs/bmc.h"
#include "proofs/ioctl_args.h"
#include "proofs/prove.h"

namespace {

using namespace fl;

model::Model postcopy(bool wake_prefetch) {
  // The scenario lives beside this file's folder in the source tree.
  std::filesystem::path root = std::filesystem::path(__FILE__).parent_path().parent_path();
  return model::load_scenario((root / "scenarios/bench/postcopy.fl").string())
      .elaborate(model::kBaselineVariant, {{"WAKE_PREFETCH", wake_prefetch ? "true" : "false"}});
}

void BM_ProveProperty(benchmark::State& state, const char* property, bool wake_prefetch) {
  model::Model m = postcopy(wake_prefetch);
  proofs::ProveOptions o;
  o.properties = {property};
  for (auto _ : state) {
    proofs::ProveResult r = proofs::prove(m, o);
    benchmark::DoNotOptimize(r.properties.size());
    state.counters["queries"] = static_cast<double>(r.queries.size());
  }
}
BENCHMARK_CAPTURE(BM_ProveProperty, data, "data", true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ProveProperty, no_lost_wakeup, "no-lost-wakeup", true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ProveProperty, no_stuck_vcpu_k8, "no-stuck-vcpu", true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ProveProperty, model_error, "model-error", true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ProveProperty, buggy_no_lost_wakeup, "no-lost-wakeup", false)
    ->Unit(benchmark::kMillisecond);

void BM_Bmc(benchmark::State& state, bool wake_prefetch) {
  model::Model m = postcopy(wake_prefetch);
  proofs::BmcOptions o;
  o.depth = static_cast<unsigned>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(proofs::bmc(m, o).violations.size());
}
BENCHMARK_CAPTURE(BM_Bmc, correct, true)->Arg(8)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Bmc, buggy, false)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_ProveIoctls(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(proofs::prove_ioctls().ioctls.size());
}
BENCHMARK(BM_ProveIoctls)->Unit(benchmark::kMillisecond);

}  // namespace

// libFuzzer target: any bytes as a scenario file, parsed and elaborated with
// every kernel extension attached, then explored under a small state limit.
// Every input must end in a model or a ScenarioError; nothing may crash,
// hang, leak or trip a sanitizer.  Seed corpus: scenarios/ and
// tests/lang/errors/ (see scripts/fuzz).

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "sim/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fl::lang::Scenario sc =
        fl::lang::Scenario::parse("fuzz.fl", text, fl::model::kernel_extensions());
    for (const std::string& variant : sc.info().variants) {
      fl::model::Model m;
      try {
        m = sc.elaborate(variant, {});
      } catch (const fl::lang::ScenarioError&) {
        continue;
      }
      fl::sim::CheckOptions opts;
      opts.limits.max_states = 2000;
      opts.limits.time_limit_s = 2;
      fl::sim::CheckResult r = fl::sim::check(m, opts);
      fl::sim::evaluate_expectations(m, r);
    }
  } catch (const fl::lang::ScenarioError& e) {
    (void)e.render();
  }
  return 0;
}

// libFuzzer target: the --param parser.  The input is split at the first
// newline into NAME=VALUE text given to `--param` and a parameter type
// chooser; the scenario declares one int and one bool parameter.  Every
// input must give a model or a ScenarioError.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/options.h"
#include "model/lang/frontend.h"

namespace {

const char* kScenario =
    "scenario fuzz-params\n"
    "param N = 2 in 0..100\n"
    "param B = true\n"
    "var x : 0..100 = 0\n"
    "actor a { action step when x < N && B { x = x + 1 } }\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fl::lang::Scenario sc = fl::lang::Scenario::parse("fuzz.fl", kScenario);
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto [name, value] = fl::cli::split_param(text);
    (void)sc.elaborate("linux-6.18", {{name, value}});
  } catch (const std::invalid_argument&) {
  } catch (const fl::lang::ScenarioError& e) {
    (void)e.render();
  }
  return 0;
}

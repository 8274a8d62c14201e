#pragma once
// The kernel variants: linux-6.18 (the baseline) and the designs under
// debate, each a named set of overrides of a few steps.  Listed once here;
// the kernel model (model/mm, model/kvm) asks has_knob() at its branch points.

#include <string>
#include <vector>

namespace fl::model {

struct VariantInfo {
  std::string name;
  std::string summary;       // one line: what it changes relative to linux-6.18
  std::string origin;        // where the design comes from
  bool implemented = false;  // false: known name, not modelled yet (an error to select)
};

const std::vector<VariantInfo>& all_variants();
const VariantInfo* find_variant(const std::string& name);
inline const char* kBaselineVariant = "linux-6.18";

}  // namespace fl::model

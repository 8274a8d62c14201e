#pragma once
// The KVM suite uses the kernel-model test helpers (tests/support/) under
// its own namespace.

#include "tests/support/kernel_model_test.h"

namespace fl::model::kvm::test {
using namespace fl::model::test;  // NOLINT(google-build-using-namespace)
}  // namespace fl::model::kvm::test

#pragma once
// The mm suite uses the kernel-model test helpers (tests/support/) under
// its own namespace.

#include "tests/support/kernel_model_test.h"

namespace fl::model::mm::test {
using namespace fl::model::test;  // NOLINT(google-build-using-namespace)
}  // namespace fl::model::mm::test

#pragma once
// postcopy(V, P, WAKE_PREFETCH), built with model::Builder exactly as
// specified in shared/bench/postcopy-model.md.  It duplicates
// scenarios/bench/postcopy.fl on purpose: the engine's tests must not
// depend on the scenario language.

#include "model/ir.h"

namespace fl::test {

model::Model postcopy_model(int vcpus, int pages, bool wake_prefetch = true);

}  // namespace fl::test

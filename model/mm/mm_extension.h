#pragma once
// The mm-side kernel model as a scenario-language extension: regions,
// userfaultfd contexts, source contents, threads and monitors
// (docs/model-mm.md).

#include "model/lang/extension.h"

namespace fl::model::mm {

const lang::Extension& extension();

}  // namespace fl::model::mm

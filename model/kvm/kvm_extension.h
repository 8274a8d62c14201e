#pragma once
// The KVM-side kernel model as a scenario-language extension: memslots,
// guest_memfd files, vCPUs and their guest programs, the VMM's exit and
// SIGBUS handlers and programs (docs/model-kvm.md).

#include "model/lang/extension.h"

namespace fl::model::kvm {

const lang::Extension& extension();

}  // namespace fl::model::kvm

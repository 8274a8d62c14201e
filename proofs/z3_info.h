#pragma once
// Facts about the Z3 library faultline is linked with.  The prover itself
// (docs/proofs.md) keeps Z3 behind proofs/smt.h; nothing outside proofs/
// includes z3++.h.

#include <string>

namespace fl::proofs {

// "4.8.12" for example.
std::string z3_version();

}  // namespace fl::proofs

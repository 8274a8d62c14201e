#pragma once
// `faultline prove --ioctls`: bit-vector proofs over full 64-bit arguments
// that the model's userfaultfd argument checks (model/ioctl_args.h) accept
// exactly what the kernel's checks accept, and, for each individual check
// on either side, whether it is needed (an argument tuple that only it
// rejects) or implied by the others (removing it alone changes nothing).
//
// The kernel side is transcribed here from fs/userfaultfd.c (linux 6.18):
// validate_range() and validate_unaligned_range(), in the kernel's own
// order and words, followed by each ioctl's mode tests.

#include <optional>
#include <string>
#include <vector>

#include "model/ioctl_args.h"
#include "proofs/smt.h"

namespace fl::proofs {

struct IoctlArgs {
  uint64_t dst = 0;  // range start, or destination
  uint64_t src = 0;
  uint64_t len = 0;
  uint64_t mode = 0;
};

struct CheckVerdict {
  std::string check;
  bool needed = false;
  std::optional<IoctlArgs> witness;  // needed: rejected by this check only
};

struct IoctlProof {
  model::uffd::Ioctl ioctl = model::uffd::Ioctl::Register;
  bool equivalent = false;
  std::optional<IoctlArgs> counterexample;  // accepted by one side only
  bool kernel_accepts_counterexample = false;
  std::vector<CheckVerdict> kernel_checks;
  std::vector<CheckVerdict> model_checks;
  // "Implied" is about one check at a time: two checks may each be implied
  // by the other.  Per side, an argument tuple accepted once every implied
  // check is dropped together, or nullopt when they can all go at once.
  std::optional<IoctlArgs> kernel_implied_jointly_needed;
  std::optional<IoctlArgs> model_implied_jointly_needed;
};

struct IoctlReport {
  std::vector<IoctlProof> ioctls;
  std::vector<smt::QueryRecord> queries;
  double seconds = 0;
  std::string internal_error;  // a witness that does not behave as the solver said
  bool all_equivalent() const;
};

struct IoctlOptions {
  std::vector<model::uffd::Ioctl> ioctls;  // only these (empty: all)
  std::string dump_smt_dir;
  unsigned timeout_ms = 0;
};

IoctlReport prove_ioctls(const IoctlOptions& opts = {});

// The kernel's checks of `op` over symbolic arguments, each named after the
// kernel's test ("validate_range(dst): start & ~PAGE_MASK"); `ok` is true
// when the test lets the arguments through.
std::vector<model::uffd::Check<smt::BitVec>> kernel_checks(model::uffd::Ioctl op,
                                                           const model::uffd::Args<smt::BitVec>& a);

// Concrete verdicts, for tests and examples: the kernel's (evaluated by
// Z3 on constants) and the model's (the uint64_t instantiation).
bool kernel_accepts(model::uffd::Ioctl op, const IoctlArgs& a);
bool model_accepts(model::uffd::Ioctl op, const IoctlArgs& a);

std::string render(const IoctlReport& r);

}  // namespace fl::proofs

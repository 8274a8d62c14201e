#include "model/mm/defs.h"

namespace fl::model::mm {

const std::vector<std::string>& pte_labels() {
  static const std::vector<std::string> kLabels = {"none",          "zero",        "zero-wp",
                                                   "present",       "present-wp",  "marker-wp",
                                                   "marker-poison", "marker-guard"};
  return kLabels;
}

const std::vector<std::string>& tok_labels() {
  static const std::vector<std::string> kLabels = {"absent", "zero", "src", "stale"};
  return kLabels;
}

const std::vector<std::string>& outcome_labels() {
  static const std::vector<std::string> kLabels = {
#define FL_X(name, text) text,
      FL_MM_OUTCOMES(FL_X)
#undef FL_X
  };
  return kLabels;
}

Knobs knobs_for_variant(const std::string& variant) {
  Knobs k;
  if (variant == "uffdio-sigbus-v1") k.poison_marker_sigbus = true;
  return k;
}

const char* op_name(Op op) {
  switch (op) {
    case Op::Read:
      return "read";
    case Op::Write:
      return "write";
    case Op::SysRead:
      return "syscall-read";
    case Op::SysWrite:
      return "syscall-write";
    case Op::PopRead:
      return "populate-read";
    case Op::PopWrite:
      return "populate-write";
    case Op::Copy:
      return "copy";
    case Op::Zeropage:
      return "zeropage";
    case Op::Continue:
      return "continue";
    case Op::Poison:
      return "poison";
    case Op::Wake:
      return "wake";
    case Op::Protect:
      return "writeprotect";
    case Op::Unprotect:
      return "unprotect";
    case Op::Dontneed:
      return "dontneed";
    case Op::PunchHole:
      return "punch-hole";
    case Op::Close:
      return "close";
    case Op::Fork:
      return "fork";
    case Op::Mremap:
      return "mremap";
    case Op::Munmap:
      return "munmap";
    case Op::Unregister:
      return "unregister";
    case Op::Move:
      return "move";
    case Op::GuardInstall:
      return "guard-install";
    case Op::GuardRemove:
      return "guard-remove";
  }
  return "?";
}

bool is_access(Op op) {
  return op == Op::Read || op == Op::Write || op == Op::SysRead || op == Op::SysWrite ||
         op == Op::PopRead || op == Op::PopWrite;
}

bool is_fill(Op op) {
  return op == Op::Copy || op == Op::Zeropage || op == Op::Continue || op == Op::Poison;
}

bool is_paged_ioctl(Op op) {
  return is_fill(op) || op == Op::Move;
}

bool is_region_op(Op op) {
  return op == Op::Mremap || op == Op::Munmap || op == Op::Unregister;
}

std::string Spec::page_name(int page) const {
  const PageSpec& p = pages[page];
  return regions[p.region].name + "[" + std::to_string(p.index) + "]";
}

}  // namespace fl::model::mm

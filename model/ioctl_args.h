#pragma once
// The model's argument checks of the userfaultfd range ioctls
// (UFFDIO_REGISTER ... UFFDIO_MOVE): page-aligned start and length, a
// non-zero length, a range that neither wraps around nor leaves the user
// address space, and only known mode bits.  A failed check is -EINVAL.
//
// Written once, as a template over "an unsigned 64-bit value": the model
// instantiates it with uint64_t; the prover (proofs/ioctl_args.cpp)
// instantiates it with a 64-bit Z3 bit-vector and proves, over all 2^256
// argument tuples, that it accepts exactly what the kernel's own checks
// (fs/userfaultfd.c: validate_range, validate_unaligned_range and the mode
// tests of each ioctl) accept.  The value type needs + - % & ~ == != <= >=
// with uint64_t meaning, and a `constant_like(sample, v)` found by
// argument-dependent lookup; its comparisons may return any type with &&.
//
// The model deliberately states the checks in its own words ("the range
// [start, start + len) does not wrap and ends at or below TASK_SIZE")
// rather than copying the kernel's sequence, so that the proof compares two
// formulations instead of one formulation with itself.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fl::model::uffd {

inline constexpr uint64_t kPageSize = 4096;
// x86-64 with 4-level paging: TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE
// (arch/x86/include/asm/page_64_types.h).
inline constexpr uint64_t kTaskSize = 0x00007ffffffff000;

enum class Ioctl : uint8_t {
  Register,
  Unregister,
  Wake,
  Copy,
  Zeropage,
  Writeprotect,
  Continue,
  Poison,
  Move,
};

inline constexpr Ioctl kAllIoctls[] = {Ioctl::Register, Ioctl::Unregister, Ioctl::Wake,
                                       Ioctl::Copy,     Ioctl::Zeropage,   Ioctl::Writeprotect,
                                       Ioctl::Continue, Ioctl::Poison,     Ioctl::Move};

inline const char* name(Ioctl op) {
  switch (op) {
    case Ioctl::Register:
      return "UFFDIO_REGISTER";
    case Ioctl::Unregister:
      return "UFFDIO_UNREGISTER";
    case Ioctl::Wake:
      return "UFFDIO_WAKE";
    case Ioctl::Copy:
      return "UFFDIO_COPY";
    case Ioctl::Zeropage:
      return "UFFDIO_ZEROPAGE";
    case Ioctl::Writeprotect:
      return "UFFDIO_WRITEPROTECT";
    case Ioctl::Continue:
      return "UFFDIO_CONTINUE";
    case Ioctl::Poison:
      return "UFFDIO_POISON";
    case Ioctl::Move:
      return "UFFDIO_MOVE";
  }
  return "?";
}

// Mode bits, include/uapi/linux/userfaultfd.h.
namespace mode {
inline constexpr uint64_t kRegisterMissing = 1 << 0;
inline constexpr uint64_t kRegisterWp = 1 << 1;
inline constexpr uint64_t kRegisterMinor = 1 << 2;
inline constexpr uint64_t kCopyDontwake = 1 << 0;
inline constexpr uint64_t kCopyWp = 1 << 1;
inline constexpr uint64_t kZeropageDontwake = 1 << 0;
inline constexpr uint64_t kWriteprotectWp = 1 << 0;
inline constexpr uint64_t kWriteprotectDontwake = 1 << 1;
inline constexpr uint64_t kContinueDontwake = 1 << 0;
inline constexpr uint64_t kContinueWp = 1 << 1;
inline constexpr uint64_t kPoisonDontwake = 1 << 0;
inline constexpr uint64_t kMoveDontwake = 1 << 0;
inline constexpr uint64_t kMoveAllowSrcHoles = 1 << 1;
}  // namespace mode

// The mode bits the model accepts for each ioctl (x86-64 supports WP and
// MINOR registration).  UNREGISTER and WAKE take no mode.
inline uint64_t allowed_modes(Ioctl op) {
  using namespace mode;
  switch (op) {
    case Ioctl::Register:
      return kRegisterMissing | kRegisterWp | kRegisterMinor;
    case Ioctl::Copy:
      return kCopyDontwake | kCopyWp;
    case Ioctl::Zeropage:
      return kZeropageDontwake;
    case Ioctl::Writeprotect:
      return kWriteprotectWp | kWriteprotectDontwake;
    case Ioctl::Continue:
      return kContinueDontwake | kContinueWp;
    case Ioctl::Poison:
      return kPoisonDontwake;
    case Ioctl::Move:
      return kMoveDontwake | kMoveAllowSrcHoles;
    default:
      return 0;
  }
}

inline bool has_mode(Ioctl op) {
  return op != Ioctl::Unregister && op != Ioctl::Wake;
}
inline bool has_src(Ioctl op) {
  return op == Ioctl::Copy || op == Ioctl::Move;
}

// The arguments: dst is the range start (uffdio_range.start, or the
// destination of COPY / MOVE); src and mode only for ioctls that have them.
template <class U>
struct Args {
  U dst;
  U src;
  U len;
  U mode;
};

inline uint64_t constant_like(uint64_t /*sample*/, uint64_t v) {
  return v;
}

template <class U>
using Truth = decltype(std::declval<const U&>() == std::declval<const U&>());

template <class U>
struct Check {
  std::string name;
  Truth<U> ok;  // true: this check passes
};

// The model's checks of `op`, each named; the arguments are accepted iff
// every check passes.
template <class U>
std::vector<Check<U>> model_checks(Ioctl op, const Args<U>& a) {
  const U zero = constant_like(a.len, 0);
  const U page = constant_like(a.len, kPageSize);
  const U top = constant_like(a.len, kTaskSize);
  std::vector<Check<U>> out;
  // [start, start + len) is a non-empty range of whole pages in user space.
  auto range = [&](const std::string& what, const U& start, bool aligned) {
    const U end = start + a.len;
    if (aligned) out.push_back({what + " page-aligned", start % page == zero});
    out.push_back({what + " + len does not wrap", end >= start});
    out.push_back({what + " + len <= TASK_SIZE", end <= top});
  };
  out.push_back({"len page-aligned", a.len % page == zero});
  out.push_back({"len non-zero", a.len != zero});
  range(has_src(op) ? "dst" : "start", a.dst, true);
  // COPY reads its source with copy_from_user, which needs no alignment.
  if (has_src(op)) range("src", a.src, op == Ioctl::Move);
  if (has_mode(op)) {
    const U allowed = constant_like(a.len, allowed_modes(op));
    out.push_back({"mode bits known", (a.mode & ~allowed) == zero});
  }
  if (op == Ioctl::Register) out.push_back({"mode non-empty", a.mode != zero});
  if (op == Ioctl::Writeprotect) {
    // DONTWAKE only means something when removing the protection (only
    // that wakes waiters), so it is refused together with WP.
    const U both = constant_like(a.len, mode::kWriteprotectWp | mode::kWriteprotectDontwake);
    out.push_back({"not WP with DONTWAKE", (a.mode & both) != both});
  }
  return out;
}

template <class U>
Truth<U> model_accepts(Ioctl op, const Args<U>& a) {
  std::vector<Check<U>> checks = model_checks(op, a);
  Truth<U> ok = checks.front().ok;
  for (size_t i = 1; i < checks.size(); ++i) ok = ok && checks[i].ok;
  return ok;
}

}  // namespace fl::model::uffd

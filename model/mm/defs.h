#pragma once
// The mm model's vocabulary: the value encodings of its state variables,
// the outcome labels of observation registers, the kernel-configuration
// knobs, and the resolved scenario description (Spec) that the generator
// turns into IR.  docs/model-mm.md describes every item.

#include <string>
#include <vector>

#include "model/ir.h"

namespace fl::model::mm {

// Leaf entry of one page (kernel-semantics.md 2.1).  Writability of a
// present page is abstracted: "present" means the access is allowed, the
// uffd-wp bit (which write-protects on x86) is kept separately.
enum Pte : Value {
  kPteNone = 0,          // pte_none
  kPteZero = 1,          // shared zero page (read-only special PTE), anon only
  kPteZeroWp = 2,        // zero page with the uffd-wp bit
  kPtePresent = 3,       // a mapped page without the uffd-wp bit
  kPtePresentWp = 4,     // a mapped page with the uffd-wp bit (write-protected)
  kPteMarkerWp = 5,      // PTE_MARKER_UFFD_WP
  kPteMarkerPoison = 6,  // PTE_MARKER_POISONED
  kPteMarkerGuard = 7,   // PTE_MARKER_GUARD
};
inline constexpr Value kPteMax = 7;
const std::vector<std::string>& pte_labels();

// Page contents as provenance tokens.  For anon pages: the page mapped by
// the PTE (absent unless the PTE maps something).  For shmem and hugetlb:
// the page-cache folio at that offset (absent = not in the page cache).
enum Tok : Value { kTokAbsent = 0, kTokZero = 1, kTokSrc = 2, kTokStale = 3 };
inline constexpr Value kTokMax = 3;
const std::vector<std::string>& tok_labels();

// Outcome labels of observation registers, one enumeration for all of them
// (each is also a constant visible to the scenario: `r1 == SIGBUS_MCEERR`).
#define FL_MM_OUTCOMES(X)                                                           \
  X(Pending, "PENDING")            /* not started or not finished yet */            \
  X(Blocked, "BLOCKED")            /* asleep in handle_userfault */                 \
  X(Ok, "OK")                      /* a write, ioctl or madvise that succeeded */   \
  X(DataZero, "DATA_ZERO")         /* a read that returned zeroes */                \
  X(DataSrc, "DATA_SRC")           /* a read that returned the source's contents */ \
  X(DataStale, "DATA_STALE")       /* a read that returned stale page-cache data */ \
  X(SigbusMceerr, "SIGBUS_MCEERR") /* SIGBUS, si_code BUS_MCEERR_AR */              \
  X(SigbusAdrerr, "SIGBUS_ADRERR") /* SIGBUS, si_code BUS_ADRERR */                 \
  X(Sigsegv, "SIGSEGV")                                                             \
  X(Eexist, "EEXIST")                                                               \
  X(Eagain, "EAGAIN")                                                               \
  X(Enoent, "ENOENT")                                                               \
  X(Efault, "EFAULT")                                                               \
  X(Ehwpoison, "EHWPOISON")                                                         \
  X(Einval, "EINVAL")                                                               \
  X(Eio, "EIO")                                                                     \
  X(Ebadf, "EBADF")                                                                 \
  X(Enomem, "ENOMEM") /* madvise of an unmapped range */

enum Outcome : Value {
#define FL_X(name, text) k##name,
  FL_MM_OUTCOMES(FL_X)
#undef FL_X
      kOutcomeCount
};
const std::vector<std::string>& outcome_labels();

// Kernel configuration and version choices that change behaviour.  The
// defaults are the running machine's (6.18, x86-64, CONFIG_X86_MCE off so
// CONFIG_MEMORY_FAILURE is off); variants and `kconfig` declarations
// override them.
struct Knobs {
  // CONFIG_MEMORY_FAILURE: arch/x86/mm/fault.c do_sigbus sends
  // BUS_MCEERR_AR for VM_FAULT_HWPOISON only when it is built in;
  // otherwise a plain BUS_ADRERR.
  bool memory_failure = false;
  // uffdio-sigbus-v1: the poison marker returns plain VM_FAULT_SIGBUS.
  bool poison_marker_sigbus = false;
  // 6.18 uses pte_none_mostly() (any marker, guard included) in
  // userfaultfd_must_wait and mfill_atomic_install_pte; ~6.19 checks only
  // uffd markers (uffd-wp, poisoned).
  bool none_mostly_any_marker = true;
};

// Knobs of a variant (kernel variants in model/variants.h).
Knobs knobs_for_variant(const std::string& variant);

// --- the resolved scenario ---------------------------------------------

enum class Mem { Anon, Shmem, Hugetlb };
enum ModeBits : unsigned { kModeMissing = 1, kModeWp = 2, kModeMinor = 4 };
// handle_userfault reasons, as kept in a waiter's state.
enum Reason : Value { kReasonNone = 0, kReasonMissing = 1, kReasonWp = 2, kReasonMinor = 3 };

struct CtxSpec {
  std::string name;
  bool sigbus = false;          // UFFD_FEATURE_SIGBUS
  bool user_mode_only = false;  // userfaultfd(UFFD_USER_MODE_ONLY)
  bool thread_id = false;       // UFFD_FEATURE_THREAD_ID (message payload only)
  // The non-cooperative events (kernel-semantics.md 3.10).
  bool event_fork = false;    // UFFD_FEATURE_EVENT_FORK
  bool event_remap = false;   // UFFD_FEATURE_EVENT_REMAP
  bool event_remove = false;  // UFFD_FEATURE_EVENT_REMOVE
  bool event_unmap = false;   // UFFD_FEATURE_EVENT_UNMAP
  SourceLoc loc;
};

struct RegionSpec {
  std::string name;
  Mem mem = Mem::Anon;
  int pages = 1;
  int first = 0;  // global index of its page 0
  int ctx = -1;   // registered context, -1 = not registered
  unsigned modes = 0;
  SourceLoc loc;
};

enum class Src { Data, Zero, Poison };
enum class Init { None, Mapped, MappedWp, WpMarker, Poisoned, Guard, Cached, Stale };

struct PageSpec {
  int region = 0;
  int index = 0;  // within the region
  Src src = Src::Data;
  Init init = Init::None;
};

enum class Op {
  Read,
  Write,  // user-mode access
  SysRead,
  SysWrite,  // kernel-mode uaccess (a syscall touching the buffer)
  PopRead,
  PopWrite,  // MADV_POPULATE_READ / WRITE (GUP)
  Copy,
  Zeropage,
  Continue,
  Poison,  // fill ioctls
  Wake,
  Protect,
  Unprotect,  // UFFDIO_WAKE, UFFDIO_WRITEPROTECT
  Dontneed,
  PunchHole,   // madvise / fallocate
  Close,       // last close of the userfaultfd
  Fork,        // fork(2) of the whole process
  Mremap,      // mremap(2) of a whole region to a new address
  Munmap,      // munmap(2) of a whole region
  Unregister,  // UFFDIO_UNREGISTER of a whole region
  Move,        // UFFDIO_MOVE
  GuardInstall,
  GuardRemove,  // MADV_GUARD_INSTALL / MADV_GUARD_REMOVE
};
const char* op_name(Op op);
bool is_access(Op op);
bool is_fill(Op op);
// The ioctls that run page by page like mfill_atomic (the fills and MOVE).
bool is_paged_ioctl(Op op);
// Operations on a whole region (no page index).
bool is_region_op(Op op);

struct OpSpec {
  Op op = Op::Read;
  std::string reg;  // observation register, "" = none
  int page = 0;     // global index of the first page
  int len = 1;
  int ctx = -1;  // the userfaultfd the ioctl / close is issued on
  bool dontwake = false;
  bool wp = false;     // COPY / CONTINUE mode WP
  int src = -1;        // MOVE: global index of the first source page
  bool holes = false;  // MOVE mode ALLOW_SRC_HOLES
  SourceLoc loc;
};

struct ThreadSpec {
  std::string name;
  bool child = false;  // runs in the child of the scenario's fork, on its copy of the pages
  std::vector<OpSpec> ops;
  SourceLoc loc;
};

struct MonitorSpec {
  std::string name;
  int ctx = 0;
  bool wake_after_eexist = false;
  bool forget_eagain = false;   // drops a message whose ioctl got -EAGAIN (S16)
  bool wake_on_remove = false;  // UFFDIO_WAKE of the range after a REMOVE / UNMAP event
  bool fair = false;            // weakly fair (liveness properties)
  SourceLoc loc;
};

struct Spec {
  std::vector<CtxSpec> ctxs;
  std::vector<RegionSpec> regions;
  std::vector<PageSpec> pages;
  std::vector<ThreadSpec> threads;
  std::vector<MonitorSpec> monitors;
  Knobs knobs;
  int num_pages() const { return static_cast<int>(pages.size()); }
  const RegionSpec& region_of(int page) const { return regions[pages[page].region]; }
  std::string page_name(int page) const;
};

}  // namespace fl::model::mm

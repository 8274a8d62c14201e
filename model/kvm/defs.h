#pragma once
// The KVM model's vocabulary: value encodings of its state, outcome labels,
// the variant knobs, and the resolved scenario description (Spec) that the
// generator turns into IR.  docs/model-kvm.md describes every item.

#include <string>
#include <vector>

#include "model/ir.h"

namespace fl::model::kvm {

// Stage-2 (TDP) leaf of one gfn.  The level is what the install chose: a
// 4 KiB leaf, or part of a huge leaf that covers the slot's huge group.
enum Spte : Value { kSpteNone = 0, kSpte4k = 1, kSpteHuge = 2 };
const std::vector<std::string>& spte_labels();

// vCPU phases (value of `<vcpu>.ph`): where the vCPU thread is in the
// stage-2 fault path (kernel-semantics.md 4.1-4.6) or in userspace.
enum Phase : Value {
  kPhRun = 0,      // in the guest, about to execute op `pc` (or retrying it)
  kPhGup = 1,      // kvm_mmu_faultin_pfn done: hva_to_pfn (fast GUP, NOWAIT slow GUP) next
  kPhGmem = 2,     // kvm_mmu_faultin_pfn done: kvm_gmem_get_pfn next
  kPhSyncGup = 3,  // NEEDS_IO without async PF: synchronous hva_to_pfn_slow next
  kPhUfWait = 4,   // asleep in handle_userfault (vCPU thread)
  kPhInstall = 5,  // pfn in hand: mmu_lock, is_page_fault_stale, map next
  kPhExit = 6,     // KVM_RUN returned with an exit the VMM's exit handler must serve
  kPhSignal = 7,   // KVM_RUN returned -EINTR with SIGBUS pending: the SIGBUS handler next
  kPhDead = 8,     // KVM_RUN returned -EFAULT without an address: the VMM gives up
  kPhApfHalt = 9,  // async page fault outstanding: halted until page ready
  kPhEmu = 10,     // the instruction emulator's copy_from_user faulted: uaccess fault next
  kPhDone = 11,    // every op done
};
inline constexpr Value kPhMax = 11;
const std::vector<std::string>& phase_labels();

// Async page-fault worker (`<vcpu>.apf`): async_pf_execute in a kworker.
enum Apf : Value {
  kApfIdle = 0,
  kApfRun = 1,   // queued: get_user_pages_remote next
  kApfWait = 2,  // asleep in handle_userfault (kworker)
  kApfOk = 3,    // done, GUP succeeded
  kApfErr = 4,   // done, GUP failed (the result is ignored by mainline)
};

// A waiter's userfaultfd message (`<vcpu>.uf`, `<vcpu>.kw_uf`).
enum UfMsg : Value { kUfNone = 0, kUfQueued = 1, kUfRead = 2, kUfSigbus = 3 };

// KVM_RUN results the VMM sees (`<vcpu>.exit`); also scenario constants.
#define FL_KVM_EXITS(X)                                                             \
  X(ExitNone, "EXIT_NONE")                                                          \
  X(ExitIntr, "EXIT_INTR")                /* -1/EINTR, KVM_EXIT_INTR */             \
  X(ExitMemoryFault, "EXIT_MEMORY_FAULT") /* -1/EFAULT, KVM_EXIT_MEMORY_FAULT */    \
  X(ExitEfault, "EXIT_EFAULT")            /* -1/EFAULT, exit_reason stale */        \
  X(ExitEhwpoison, "EXIT_EHWPOISON")      /* -1/EHWPOISON, KVM_EXIT_MEMORY_FAULT */ \
  X(ExitMmio, "EXIT_MMIO")                /* 0, KVM_EXIT_MMIO (emulated access) */

enum Exit : Value {
#define FL_X(name, text) k##name,
  FL_KVM_EXITS(FL_X)
#undef FL_X
      kExitCount
};
const std::vector<std::string>& exit_labels();

// kvm_run.memory_fault.flags (bit values of the model, not the uapi's).
inline constexpr Value kMfPrivate = 1;    // KVM_MEMORY_EXIT_FLAG_PRIVATE
inline constexpr Value kMfUserfault = 2;  // KVM_MEMORY_EXIT_FLAG_USERFAULT (proposed)

// Extra outcome labels of access registers, after the mm model's labels
// (model/mm/defs.h): the guest took a machine check for the accessed gpa
// (MCE); the guest read what the VMM answered to a KVM_EXIT_MMIO read
// (MMIO_READ: VMM-chosen data, not the page's).
inline constexpr const char* kMceLabel = "MCE";
inline constexpr const char* kMmioReadLabel = "MMIO_READ";

// --- knobs ----------------------------------------------------------------

struct Knobs {
  // kvm-userfault-*: the per-gfn userfault bitmap is consulted in
  // __kvm_mmu_faultin_pfn (v3).
  bool userfault = false;
  bool force_4k = false;     // mappings forced to PG_LEVEL_4K while the slot flag is on
  bool clear_first = false;  // the VMM clears the bit before populating
  bool exit_every = false;   // every fault in a userfault slot exits; bitmap inside KVM
  // Poison designs.  marker_sigbus: the poison marker returns plain
  // VM_FAULT_SIGBUS to GUP (uffdio-sigbus-v1 and the designs that fix it).
  bool marker_sigbus = false;
  bool sigbus_queue = false;  // KVM queues SIGBUS (with the hva) for a SIGBUS fault
  bool wake_sigbus = false;   // no marker: the handler wakes the faulter with SIGBUS
  bool mf_exit = false;       // every -EFAULT of the stage-2 handler is a memory-fault exit
  // Demand paging.
  bool fast_gup_only = false;  // KVM_MEM_EXIT_ON_MISSING: fast GUP, else exit
  bool no_wait_flag = false;   // handle_userfault returns instead of sleeping (task flag)
  // Async page-fault errors.
  bool apf_exit_retry = false;  // remember the error gfn, exit when the guest retries it
  bool apf_request = false;     // exit through a KVM request when the work fails
  // Configuration (`kvm-config`).
  bool retry_check = true;      // is_page_fault_stale / mmu_invalidate_retry_gfn
  bool apf = false;             // kvm_can_do_async_pf (`apf on`)
  bool memory_failure = false;  // CONFIG_MEMORY_FAILURE: SIGBUS code of KVM's hwpoison signal
};
Knobs knobs_for_variant(const std::string& variant);
// The variants this model implements (model/variants.cpp lists them all).
const std::vector<std::string>& kvm_variants();

// --- the resolved scenario ------------------------------------------------

struct GmemSpec {
  std::string name;
  int pages = 1;
  int first = 0;  // global index of its page 0 in `gmem`
  std::vector<bool> populated;
  std::vector<bool> poisoned;  // the source host's page is poisoned
  SourceLoc loc;
};

struct SlotSpec {
  std::string name;
  int gfn0 = 0, pages = 1;
  int region = -1;     // mm region (hva backing), -1 = none
  int page0 = 0;       // mm page of the slot's first gfn
  int gmem = -1;       // guest_memfd, -1 = none
  int gmem_page0 = 0;  // gmem page of the slot's first gfn
  bool readonly = false, userfault = false, huge = false, priv = false;
  SourceLoc loc;
};

enum class VOp { Read, Write, EmuRead };
struct VcpuOp {
  VOp op = VOp::Read;
  bool priv = false;  // a private access (the guest's C-bit / TDX shared bit clear)
  std::string reg;
  int gfn = 0;
  SourceLoc loc;
};
struct VcpuSpec {
  std::string name;
  std::vector<VcpuOp> ops;
  SourceLoc loc;
};

enum class MOp { SetPrivate, SetShared, SetUserfault, ClearUserfault, Populate, PunchHole };
struct VmmOp {
  MOp op = MOp::Populate;
  int gfn = 0;
  SourceLoc loc;
};
struct VmmSpec {
  std::string name;
  std::vector<VmmOp> ops;
  bool fair = false;  // weakly fair (liveness properties)
  SourceLoc loc;
};

struct Spec {
  std::vector<GmemSpec> gmems;
  std::vector<SlotSpec> slots;
  std::vector<VcpuSpec> vcpus;
  std::vector<VmmSpec> vmms;
  std::string exit_handler;    // vmm NAME exit-handler, "" = none
  std::string sigbus_handler;  // vmm NAME sigbus-handler, "" = none
  bool exit_handler_fair = false, sigbus_handler_fair = false;
  Knobs knobs;
  int num_gfns = 0;
  int num_gmem_pages = 0;
  std::vector<int> slot_of;  // per gfn: slot index, -1 = no memslot
  const SlotSpec* slot(int gfn) const { return slot_of[gfn] < 0 ? nullptr : &slots[slot_of[gfn]]; }
};

}  // namespace fl::model::kvm

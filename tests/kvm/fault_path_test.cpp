// The vCPU's stage-2 fault path, one test per step and return path
// (kernel-semantics.md 4.1-4.6), each citing the kernel function the
// action models.

#include <gtest/gtest.h>

#include "tests/kvm/kvm_test_util.h"

namespace fl::model::kvm::test {
namespace {

const char* const kMissing = R"(
uffd ctx
region guest anon pages 2 uffd ctx missing
monitor m on ctx { serve }
memslot slot gfn 0 pages 2 region guest
vcpu v0 { r0 = read gpa 0 }
)";

TEST(FaultPath, EptViolationSnapshotsTheSequence) {
  // kvm_mmu_faultin_pfn: mmu_invalidate_seq snapshot, then the hva path.
  Model m = build(kMissing);
  State s = initial_state(m);
  EXPECT_EQ(enabled_names(m, s), std::vector<std::string>{"v0.0:read gpa 0 / EPT violation"});
  EXPECT_NE(kernel_function(m, "v0", "EPT violation").find("kvm_mmu_faultin_pfn"),
            std::string::npos);
  s = fire(m, s, "v0", "EPT violation");
  EXPECT_EQ(value(m, s, "v0.ph"), "gup");
  EXPECT_EQ(value(m, s, "v0.seq_moved"), "0");
}

TEST(FaultPath, SynchronousGupSleepsInUserfaultfdAndIsWoken) {
  // hva_to_pfn_slow (FOLL_NOWAIT) -> NEEDS_IO; no async PF -> synchronous
  // GUP -> handle_userfault; the monitor's UFFDIO_COPY wake_userfault
  // wakes the vCPU thread; the retried GUP finds the page; kvm_tdp_mmu_map.
  Model m = build(kMissing);
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  EXPECT_NE(kernel_function(m, "v0", "NOWAIT GUP: userfault").find("RETRY_NOWAIT"),
            std::string::npos);
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  EXPECT_EQ(value(m, s, "v0.ph"), "sync-gup");
  EXPECT_NE(kernel_function(m, "v0", "GUP: userfault").find("handle_userfault"), std::string::npos);
  s = fire(m, s, "v0", "GUP: userfault");
  EXPECT_EQ(value(m, s, "v0.ph"), "uffd-wait");
  EXPECT_EQ(value(m, s, "r0"), "BLOCKED");
  s = fire(m, s, "m", "read msg v0:0");
  s = fire(m, s, "m", "copy guest[0]");
  EXPECT_EQ(value(m, s, "v0.ph"), "uffd-wait");  // the wake is the ioctl's epilogue
  s = fire(m, s, "m", "wake guest[0]");
  EXPECT_EQ(value(m, s, "v0.ph"), "sync-gup");
  s = fire(m, s, "v0", "GUP: page");
  EXPECT_EQ(value(m, s, "v0.pfn"), "src");
  EXPECT_NE(kernel_function(m, "v0", "install").find("is_page_fault_stale"), std::string::npos);
  s = fire(m, s, "v0", "install");
  EXPECT_EQ(value(m, s, "spte", 0), "4k");
  s = fire(m, s, "v0", "stage-2 hit");
  EXPECT_EQ(value(m, s, "r0"), "DATA_SRC");
  EXPECT_EQ(value(m, s, "v0.ph"), "done");
}

const char* const kPoison = R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
init guest[0] = poisoned
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
vmm sig sigbus-handler
vmm run exit-handler
)";

std::string variants_of(const char* text, const std::string& v) {
  return std::string("scenario t\nvariants linux-6.18, ") + v + "\n" + text;
}

TEST(FaultPath, PoisonMarkerSendsHwpoisonSignal) {
  // -EHWPOISON -> KVM_PFN_ERR_HWPOISON -> kvm_handle_error_pfn ->
  // kvm_send_hwpoison_signal (BUS_MCEERR_AR, the hva) -> KVM_EXIT_INTR.
  Model m = build(kPoison);
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  EXPECT_NE(kernel_function(m, "v0", "NOWAIT GUP: poison marker").find("kvm_send_hwpoison_signal"),
            std::string::npos);
  s = fire(m, s, "v0", "NOWAIT GUP: poison marker");
  EXPECT_EQ(value(m, s, "v0.ph"), "sigbus");
  EXPECT_EQ(value(m, s, "v0_sigbus"), "BUS_MCEERR_AR");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_INTR");
  s = fire(m, s, "sig", "inject MCE");
  EXPECT_EQ(value(m, s, "r0"), "MCE");
}

TEST(FaultPath, SigbusWithoutHandlerKillsTheVmm) {
  Model m = build(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
init guest[0] = poisoned
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)");
  EXPECT_EQ(outcomes(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
init guest[0] = poisoned
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)",
                     "r0"),
            Labels{"SIGBUS_MCEERR"});
  EXPECT_NE(kernel_function(m, "v0", "SIGBUS kills").find("get_signal"), std::string::npos);
}

TEST(FaultPath, V1MarkerIsEfaultWithoutAddress) {
  // uffdio-sigbus-v1: VM_FAULT_SIGBUS -> NEEDS_IO on the NOWAIT attempt,
  // -EFAULT on the synchronous one -> KVM_RUN -EFAULT, exit_reason stale.
  Model m = build(variants_of(kPoison, "uffdio-sigbus-v1"), "uffdio-sigbus-v1");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: poison marker");
  EXPECT_EQ(value(m, s, "v0.ph"), "sync-gup");
  s = fire(m, s, "v0", "GUP: poison marker");
  EXPECT_EQ(value(m, s, "v0.ph"), "dead");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_EFAULT");
  EXPECT_EQ(value(m, s, "r0"), "EFAULT");
}

TEST(FaultPath, MemoryFaultExitAnnotatesTheEfault) {
  Model m = build(variants_of(kPoison, "memory-fault-exit"), "memory-fault-exit");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: poison marker");
  s = fire(m, s, "v0", "GUP: poison marker");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
  EXPECT_EQ(value(m, s, "v0_exit_gpa"), "0");
  s = fire(m, s, "run", "take exit v0");
  s = fire(m, s, "run", "inject MCE");
  EXPECT_EQ(value(m, s, "r0"), "MCE");
}

TEST(FaultPath, SigbusQueueSignalSendsAdrerrWithAddress) {
  Model m = build(variants_of(kPoison, "sigbus-queue-signal"), "sigbus-queue-signal");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: poison marker");
  s = fire(m, s, "v0", "GUP: poison marker");
  EXPECT_EQ(value(m, s, "v0_sigbus"), "BUS_ADRERR");
  s = fire(m, s, "sig", "inject MCE");
  EXPECT_EQ(value(m, s, "r0"), "MCE");
}

TEST(FaultPath, GuardMarkerIsEfault) {
  EXPECT_EQ(outcomes(R"(
region guest anon pages 1
init guest[0] = guard
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)",
                     "r0"),
            Labels{"EFAULT"});
}

TEST(FaultPath, UnregisteredHoleIsFaultedInByNowaitGup) {
  // FOLL_NOWAIT still completes a fault that needs no I/O: the zero page.
  Model m = build(R"(
region guest anon pages 1
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = write gpa 0 }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: fault in");
  EXPECT_EQ(value(m, s, "pte", 0), "zero");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_ZERO"});
  EXPECT_EQ(finals_of(m, x, "r1"), Labels{"OK"});
}

TEST(FaultPath, UffdSigbusFeatureIsEfault) {
  // UFFD_FEATURE_SIGBUS on the synchronous attempt: -EFAULT, no address (4.10).
  EXPECT_EQ(outcomes(R"(
uffd ctx features sigbus
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)",
                     "r0"),
            Labels{"EFAULT"});
}

// The emulator's failed __copy_from_user is KVM_EXIT_MMIO with the exact
// gpa, not -EFAULT: emulator_read_write_onepage's MMIO fallback, pinned on
// this host by tests/shim/kvm_test.cpp (docs/kernel-facts.md "KVM (this
// host)").
TEST(Emulator, PoisonMarkerIsMmioExitWithTheGpa) {
  const char* text = R"(
uffd ctx
region guest anon pages 2 uffd ctx missing
source guest[1] = poison
init guest[1] = poisoned
memslot slot gfn 0 pages 2 region guest
vcpu v0 { r0 = emulate-read gpa 1 }
vmm run exit-handler
check fault-address-reported, poison-reaches-guest, no-unpopulated-map
)";
  Model m = build(text);
  EXPECT_NE(kernel_function(m, "v0", "uaccess fault: marker").find("MMIO fallback"),
            std::string::npos);
  State s = fire(m, initial_state(m), "v0", "uaccess fault: marker");
  EXPECT_EQ(value(m, s, "v0.ph"), "exit");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MMIO");
  EXPECT_EQ(value(m, s, "v0_exit_gpa"), "1");
  EXPECT_EQ(value(m, s, "v0_sigbus"), "none");
  s = fire(m, s, "run", "take exit");
  s = fire(m, s, "run", "MMIO read");
  EXPECT_EQ(value(m, s, "r0"), "MMIO_READ");
  EXPECT_EQ(value(m, s, "v0.ph"), "done");
  // The gpa is reported, but the guest read VMM data from a poisoned page
  // instead of taking a machine check.
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"MMIO_READ"});
  EXPECT_EQ(x.violated, (std::set<std::string>{"poison-reaches-guest", "no-unpopulated-map"}));
}

TEST(Emulator, SigbusFeatureAndUserModeOnlyAreMmioExits) {
  for (const char* ctx : {"uffd ctx features sigbus", "uffd ctx user-mode-only"}) {
    const std::string text = std::string(ctx) + R"(
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = emulate-read gpa 0 }
)";
    Model m = build(text);
    State s = fire(m, initial_state(m), "v0", "uaccess fault: userfault");
    EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MMIO") << ctx;
    EXPECT_EQ(value(m, s, "v0_exit_gpa"), "0") << ctx;
    EXPECT_EQ(value(m, s, "v0.uffd_msg"), "none") << ctx;  // no message
    // Without an exit handler the vCPU stays in the exit: nothing is lost,
    // and no -EFAULT.
    EXPECT_EQ(outcomes(text, "r0"), Labels{"PENDING"}) << ctx;
  }
}

TEST(FaultPath, ZapDuringFaultForcesRetry) {
  // A racing MADV_DONTNEED runs the mmu notifier: the SPTE is unmapped and
  // mmu_invalidate_seq moves; is_page_fault_stale sends the fault back.
  const char* text = R"(
region guest anon pages 1
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
thread t { dontneed guest[0] }
)";
  Model m = build(text);
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "GUP-fast");
  EXPECT_EQ(value(m, s, "v0.ph"), "install");
  s = fire(m, s, "t", "dontneed");
  EXPECT_EQ(value(m, s, "v0.seq_moved"), "1");
  s = fire(m, s, "v0", "install");
  EXPECT_EQ(value(m, s, "v0.ph"), "guest");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), (Labels{"DATA_SRC", "DATA_ZERO"}));
  // Without the re-check the freed page is mapped: the guest reads it.
  Model n = build(std::string(text) + "kvm retry-check = off\n");
  State t = fire(n, initial_state(n), "v0", "EPT violation");
  t = fire(n, t, "v0", "GUP-fast");
  t = fire(n, t, "t", "dontneed");
  t = fire(n, t, "v0", "install");
  EXPECT_EQ(value(n, t, "spte", 0), "4k");
  EXPECT_EQ(value(n, t, "pte", 0), "none");
}

TEST(FaultPath, GuestMemfdHoleIsZeroedAndPageIsMapped) {
  const char* text = R"(
gmem g pages 2 populated 1
memslot slot gfn 0 pages 2 guest-memfd g private
vcpu v0 { r0 = read-private gpa 0; r1 = read-private gpa 1 }
)";
  Model m = build(text);
  EXPECT_NE(kernel_function(m, "v0", "guest_memfd hole").find("kvm_gmem_get_pfn"),
            std::string::npos);
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_ZERO"});
  EXPECT_EQ(finals_of(m, x, "r1"), Labels{"DATA_SRC"});
}

TEST(FaultPath, PrivateSharedMismatchIsMemoryFaultExit) {
  // kvm_mmu_prepare_memory_fault_exit: flags PRIVATE for a private access
  // to a shared gfn; the exit handler converts and re-enters.
  Model m = build(R"(
gmem g pages 1 populated 0
memslot slot gfn 0 pages 1 guest-memfd g
vcpu v0 { r0 = read-private gpa 0 }
vmm run exit-handler
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
  EXPECT_EQ(value(m, s, "v0_exit_flags"), "1");
  s = fire(m, s, "run", "take exit");
  s = fire(m, s, "run", "convert");
  EXPECT_EQ(value(m, s, "attr_private", 0), "1");
  s = fire(m, s, "run", "re-enter");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_SRC"});
}

}  // namespace
}  // namespace fl::model::kvm::test

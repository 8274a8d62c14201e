// The mm model's wakes and zaps reach KVM through the hooks the mm
// generator records (model/mm/gen.h); these tests take the operations the
// first KVM model did not see (munmap, mremap, guard install, DONTNEED
// after its REMOVE event, UNREGISTER, UFFDIO_MOVE, write-protection) and
// check their effect on a vCPU: its stage-2 mapping is dropped, or it is
// woken from handle_userfault.  Also the read-only memslot and fairness.

#include <gtest/gtest.h>

#include <string>

#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "tests/kvm/kvm_test_util.h"

namespace fl::model::kvm::test {
namespace {

// Maps gpa 0 through the fast path: the vCPU's first read installs a 4K
// SPTE and the second one hits it.
State map_gpa0(const Model& m) {
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "GUP-fast");
  s = fire(m, s, "v0", "install");
  s = fire(m, s, "v0", "stage-2 hit");
  EXPECT_EQ(value(m, s, "spte", 0), "4k");
  EXPECT_EQ(value(m, s, "v0.seq_moved"), "0");
  return s;
}

TEST(Hooks, MunmapDropsTheStage2MappingAndTheBacking) {
  Model m = build(R"(
region guest anon pages 1
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = read gpa 0; r2 = read gpa 0 }
thread t { munmap guest }
)");
  State s = map_gpa0(m);
  s = fire(m, s, "t", "unmap");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
  EXPECT_EQ(value(m, s, "slot.hva_gone"), "unmapped");
  // The memslot still names the old host address, where no VMA is left:
  // GUP fails and KVM_RUN returns -EFAULT without an address.
  s = fire(m, s, "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: no VMA");
  EXPECT_EQ(value(m, s, "r1"), "EFAULT");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_EFAULT");
  EXPECT_NE(kernel_function(m, "t", "unmap").find("unmap_vmas"), std::string::npos);
}

TEST(Hooks, MremapDropsTheMappingAndLeavesNothingAtTheOldAddress) {
  Model m = build(R"(
region guest anon pages 1
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = read gpa 0; r2 = read gpa 0 }
thread t { mremap guest }
)");
  State s = map_gpa0(m);
  s = fire(m, s, "t", "move_vma");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
  EXPECT_EQ(value(m, s, "slot.hva_gone"), "moved");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), (Labels{"DATA_SRC", "EFAULT"}));
}

TEST(Hooks, MremapDoesNotLetARangeWakeReachAnOldAddressWaiter) {
  // A vCPU asleep in handle_userfault before mremap: its message names the
  // old address.  The monitor's COPY and wake name the new one, so the vCPU
  // sleeps on; only release's wake of everything would wake it.
  Model m = build(R"(
uffd ctx features event-remap
region guest anon pages 1 uffd ctx missing
monitor m on ctx { serve }
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
thread t { mremap guest; c = copy guest[0] }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0", "GUP: userfault");
  s = fire(m, s, "t", "move_vma");
  s = fire(m, s, "m", "read REMAP event");
  s = fire(m, s, "t", "event done");
  s = fire(m, s, "t", "early checks");
  s = fire(m, s, "t", "install");
  s = fire(m, s, "t", "wake");
  EXPECT_EQ(value(m, s, "v0.ph"), "uffd-wait");
}

TEST(Hooks, GuardInstallZapsAMappedPage) {
  Model m = build(R"(
region guest anon pages 1
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = read gpa 0; r2 = read gpa 0 }
thread t { guard-install guest[0] }
)");
  State s = map_gpa0(m);
  s = fire(m, s, "t", "guard-install");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
  EXPECT_EQ(value(m, s, "v0.seq_moved"), "1");
  // The guard marker then fails GUP: -EFAULT without an address.
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r2"), (Labels{"DATA_SRC", "EFAULT", "PENDING"}));
}

TEST(Hooks, DontneedAfterItsRemoveEventZapsInTheZapStep) {
  Model m = build(R"(
uffd ctx features event-remove
region guest anon pages 1 uffd ctx missing
init guest[0] = mapped
monitor m on ctx { serve }
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = read gpa 0 }
thread t { dontneed guest[0] }
)");
  State s = map_gpa0(m);
  s = fire(m, s, "t", "userfaultfd_remove");
  EXPECT_EQ(value(m, s, "spte", 0), "4k");  // the event is sent first
  s = fire(m, s, "m", "read REMOVE event");
  s = fire(m, s, "t", "event done");
  s = fire(m, s, "t", "zap");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
}

TEST(Hooks, WriteProtectIsAnInvalidation) {
  Model m = build(R"(
uffd ctx
region guest anon pages 1 uffd ctx wp
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = read gpa 0 }
thread t { writeprotect guest[0] }
)");
  State s = map_gpa0(m);
  s = fire(m, s, "t", "writeprotect");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
}

TEST(Hooks, UnregisterWakesAVcpuAsleepInHandleUserfault) {
  Model m = build(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
thread t { unregister guest }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0", "GUP: userfault");
  EXPECT_EQ(value(m, s, "v0.ph"), "uffd-wait");
  s = fire(m, s, "t", "unregister");
  EXPECT_EQ(value(m, s, "v0.ph"), "sync-gup");
  // The retried GUP is an ordinary fault now: the zero page.
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_ZERO"});
}

TEST(Hooks, MoveWakesTheVcpuAndZapsTheSource) {
  Model m = build(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
region src anon pages 1
init src[0] = mapped
memslot slot gfn 0 pages 1 region guest
memslot srcslot gfn 1 pages 1 region src
vcpu v0 { r0 = read gpa 0 }
vcpu v1 { s0 = read gpa 1; s1 = read gpa 1 }
thread t { c = move guest[0] from src[0] }
)");
  State s = fire(m, initial_state(m), "v1", "EPT violation");
  s = fire(m, s, "v1", "GUP-fast");
  s = fire(m, s, "v1", "install");
  EXPECT_EQ(value(m, s, "spte", 1), "4k");
  s = fire(m, s, "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0", "GUP: userfault");
  s = fire(m, s, "t", "install");
  EXPECT_EQ(value(m, s, "spte", 1), "none");  // the source page moved away
  s = fire(m, s, "t", "wake 1");
  EXPECT_EQ(value(m, s, "v0.ph"), "sync-gup");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_SRC"});
}

TEST(ReadOnly, AWriteIsEmulatedAndExitsWithMmio) {
  Model m = build(R"(
region guest anon pages 1
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest readonly
vcpu v0 { r0 = read gpa 0; w0 = write gpa 0 }
vmm run exit-handler
)");
  State s = map_gpa0(m);  // the read maps the page (read-only)
  s = fire(m, s, "v0", "1:write gpa 0 / EPT violation");
  s = fire(m, s, "v0", "read-only slot");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MMIO");
  EXPECT_EQ(value(m, s, "v0.ph"), "exit");
  EXPECT_NE(kernel_function(m, "v0", "read-only slot").find("KVM_PFN_ERR_RO_FAULT"),
            std::string::npos);
  s = fire(m, s, "run", "take exit");
  s = fire(m, s, "run", "MMIO write");
  EXPECT_EQ(value(m, s, "w0"), "OK");
  EXPECT_EQ(value(m, s, "v0.ph"), "done");
  EXPECT_EQ(value(m, s, "page", 0), "src");  // guest memory is untouched
  Explored x = explore(m);
  EXPECT_EQ(tuples_of(m, x, {"r0", "w0", "v0_exit"}),
            (Labels{"r0=DATA_SRC w0=OK v0_exit=EXIT_MMIO"}));
}

TEST(ReadOnly, WithoutAnExitHandlerTheVcpuStaysInTheExit) {
  Model m = build(R"(
region guest anon pages 1
memslot slot gfn 0 pages 1 region guest readonly
vcpu v0 { w0 = write gpa 0 }
check no-vcpu-stuck
expect no-vcpu-stuck violated
)");
  Explored x = explore(m);
  EXPECT_TRUE(unmet_expectations(m, x).empty());
  EXPECT_EQ(finals_of(m, x, "v0_exit"), Labels{"EXIT_MMIO"});
}

TEST(ReadOnly, AGuestMemfdSlotIsRefused) {
  try {
    lang::Scenario sc =
        lang::Scenario::parse("t.fl",
                              "scenario t\ngmem g pages 1\nmemslot s gfn 0 guest-memfd g readonly\n"
                              "vcpu v { read gpa 0 }\n",
                              kernel_extensions());
    sc.elaborate("linux-6.18", {});
    ADD_FAILURE() << "accepted";
  } catch (const lang::ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("read-only memslot with a guest_memfd is not modelled"),
              std::string::npos)
        << e.what();
  }
}

TEST(Fairness, VcpusAreFairAndVmmActorsWhenDeclared) {
  Model m = build(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
monitor m on ctx fair { serve }
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
vmm run exit-handler fair
vmm sig sigbus-handler
vmm p fair { }
)");
  auto fair = [&](const std::string& name) {
    for (const Actor& a : m.actors) {
      if (a.name == name) return a.fair;
    }
    ADD_FAILURE() << "no actor " << name;
    return false;
  };
  EXPECT_TRUE(fair("v0"));
  EXPECT_TRUE(fair("m"));
  EXPECT_TRUE(fair("run"));
  EXPECT_FALSE(fair("sig"));
  EXPECT_TRUE(fair("p"));
}

TEST(Fairness, AnUnfairUpdaterLetsTheRetryLoopHang) {
  // The vCPU retries RET_PF_RETRY while the attribute update is between
  // mmu_invalidate_begin and _end: without weak fairness of the updater that
  // loop can go on forever.
  auto text = [](const std::string& fair) {
    return "gmem g pages 1 populated 0\n"
           "memslot slot gfn 0 pages 1 guest-memfd g private userfault\n"
           "vcpu v0 { r0 = read-private gpa 0 }\n"
           "vmm discard " +
           fair + "{ set-userfault gfn 0 }\nvmm run exit-handler fair\ncheck no-vcpu-hang\n";
  };
  auto hang = [](const Model& m) {
    for (Id p = 0; p < m.properties.size(); ++p) {
      if (m.properties[p].name == "no-vcpu-hang") return liveness_violated(m, p);
    }
    ADD_FAILURE() << "no property";
    return false;
  };
  EXPECT_TRUE(hang(build(text(""), "kvm-userfault-rfc")));
  EXPECT_FALSE(hang(build(text("fair "), "kvm-userfault-rfc")));
}

}  // namespace
}  // namespace fl::model::kvm::test

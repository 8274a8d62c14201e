// Async page faults, the VMM actors, the KVM Userfault designs and the
// demand-paging exits, plus every seed scenario under every variant it
// declares (checked with the test explorer).

#include <gtest/gtest.h>

#include <filesystem>

#include "model/kvm/defs.h"
#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "model/variants.h"
#include "tests/kvm/kvm_test_util.h"

namespace fl::model::kvm::test {
namespace {

std::string with_variant(const std::string& text, const std::string& v) {
  return "scenario t\nvariants " + v + "\n" + text;
}

TEST(AsyncPf, ErrorIsIgnoredAndTheGuestRetries) {
  // kvm_arch_setup_async_pf; async_pf_execute's GUP fails (SIGBUS feature);
  // kvm_check_async_pf_completion says "page ready" and the guest retries.
  Model m = build(R"(
kvm apf = on
uffd ctx features sigbus
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  EXPECT_EQ(value(m, s, "v0.ph"), "apf-halt");
  EXPECT_NE(kernel_function(m, "v0.kworker", "async GUP: userfault").find("async_pf_execute"),
            std::string::npos);
  s = fire(m, s, "v0.kworker", "async GUP: userfault");
  EXPECT_EQ(value(m, s, "v0.apf"), "error");
  EXPECT_NE(kernel_function(m, "v0", "page ready").find("kvm_check_async_pf_completion"),
            std::string::npos);
  s = fire(m, s, "v0", "page ready");
  EXPECT_EQ(value(m, s, "v0.ph"), "guest");
  EXPECT_EQ(value(m, s, "v0.apf_retries"), "1");
  Explored x = explore(m);
  EXPECT_TRUE(x.finals.empty());  // the loop never ends
}

TEST(AsyncPf, KworkerSleepsInUserfaultfdAndIsServed) {
  Model m = build(R"(
kvm apf = on
uffd ctx
region guest anon pages 1 uffd ctx missing
monitor m on ctx { serve }
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0.kworker", "async GUP: userfault");
  EXPECT_EQ(value(m, s, "v0.apf"), "uffd-wait");
  s = fire(m, s, "m", "read msg v0.kworker:0");
  s = fire(m, s, "m", "copy guest[0]");
  s = fire(m, s, "m", "wake guest[0]");
  EXPECT_EQ(value(m, s, "v0.apf"), "queued");
  s = fire(m, s, "v0.kworker", "async GUP: page");
  s = fire(m, s, "v0", "page ready");
  s = fire(m, s, "v0", "EPT violation");
  s = fire(m, s, "v0", "GUP-fast");
  s = fire(m, s, "v0", "install");
  s = fire(m, s, "v0", "stage-2 hit");
  EXPECT_EQ(value(m, s, "r0"), "DATA_SRC");
}

const char* const kApfErr = R"(
kvm apf = on
uffd ctx features sigbus
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
vmm run exit-handler
)";

TEST(AsyncPf, ExitOnRetryReportsTheGfn) {
  Model m = build(with_variant(kApfErr, "apf-error-exit-on-retry"), "apf-error-exit-on-retry");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0.kworker", "async GUP: userfault");
  s = fire(m, s, "v0", "page ready");
  EXPECT_EQ(value(m, s, "v0.apf_error_gfn"), "1");
  s = fire(m, s, "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
}

TEST(AsyncPf, RequestExitsAtCompletion) {
  Model m = build(with_variant(kApfErr, "apf-error-request"), "apf-error-request");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0.kworker", "async GUP: userfault");
  s = fire(m, s, "v0", "page ready");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
  s = fire(m, s, "run", "take exit v0");
  s = fire(m, s, "run", "UFFDIO_COPY");
  s = fire(m, s, "run", "re-enter v0");
  EXPECT_EQ(value(m, s, "v0.ph"), "guest");
}

const char* const kDemand = R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
vmm run exit-handler
)";

TEST(DemandPaging, FastGupOnlyExitsWithTheGpa) {
  Model m = build(with_variant(kDemand, "fast-gup-only-exit"), "fast-gup-only-exit");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  EXPECT_NE(kernel_function(m, "v0", "exit on missing").find("hva_to_pfn_fast"), std::string::npos);
  s = fire(m, s, "v0", "exit on missing");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
  s = fire(m, s, "run", "take exit");
  s = fire(m, s, "run", "UFFDIO_COPY");
  EXPECT_EQ(value(m, s, "pte", 0), "present");
  s = fire(m, s, "run", "re-enter");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_SRC"});
}

TEST(DemandPaging, NoWaitFlagExitsFromTheSynchronousGup) {
  Model m = build(with_variant(kDemand, "no-uffd-wait-flag"), "no-uffd-wait-flag");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0", "GUP: userfault");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
}

TEST(DemandPaging, EmulatorCannotExit) {
  const char* text = R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = emulate-read gpa 0 }
vmm run exit-handler
check fault-address-reported, no-unpopulated-map, no-vcpu-stuck
)";
  Model m = build(text);
  EXPECT_NE(kernel_function(m, "v0", "uaccess fault: userfault").find("__copy_from_user"),
            std::string::npos);
  EXPECT_EQ(outcomes(text, "r0"), Labels{"BLOCKED"});
  // With the flag handle_userfault returns, the copy fails and the
  // emulator falls back to MMIO (docs/kernel-facts.md "KVM (this host)"):
  // the gpa is reported, but the guest reads the VMM's MMIO answer.
  Model n = build(with_variant(text, "no-uffd-wait-flag"), "no-uffd-wait-flag");
  State s = fire(n, initial_state(n), "v0", "uaccess fault: userfault");
  EXPECT_EQ(value(n, s, "v0_exit"), "EXIT_MMIO");
  EXPECT_EQ(value(n, s, "v0.ph"), "exit");
  Explored x = explore(n);
  EXPECT_EQ(finals_of(n, x, "r0"), Labels{"MMIO_READ"});
  EXPECT_EQ(x.violated, (std::set<std::string>{"no-unpopulated-map"}));
}

const char* const kUserfault = R"(
gmem g pages 2 populated 0
memslot slot gfn 0 pages 2 guest-memfd g private userfault huge
vcpu v0 { r0 = read-private gpa 0; r1 = read-private gpa 1 }
vmm run exit-handler
)";

TEST(Userfault, BitCheckExitsWithUserfaultFlag) {
  Model m = build(with_variant(kUserfault, "kvm-userfault-rfc"), "kvm-userfault-rfc");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "guest_memfd page");
  s = fire(m, s, "v0", "install");
  EXPECT_EQ(value(m, s, "spte", 0), "4k");  // forced 4K while the slot flag is on
  EXPECT_EQ(value(m, s, "spte", 1), "none");
  s = fire(m, s, "v0", "stage-2 hit");
  s = fire(m, s, "v0", "EPT violation");
  EXPECT_EQ(value(m, s, "v0_exit"), "EXIT_MEMORY_FAULT");
  EXPECT_EQ(value(m, s, "v0_exit_flags"), "3");  // USERFAULT | PRIVATE
  s = fire(m, s, "run", "take exit");
  s = fire(m, s, "run", "populate");
  s = fire(m, s, "run", "clear bit");
  s = fire(m, s, "run", "re-enter");
  EXPECT_EQ(value(m, s, "userfault", 1), "0");
  EXPECT_EQ(value(m, s, "gmem", 1), "src");
}

TEST(Userfault, No4kMapsTheNeighbourHuge) {
  // kvm-userfault-no-4k, written as its knob (the lexer cannot spell "4k").
  Model m = build(
      with_variant(std::string("kvm force-small-pages = off\n") + kUserfault, "kvm-userfault-rfc"),
      "kvm-userfault-rfc");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "guest_memfd page");
  s = fire(m, s, "v0", "install");
  EXPECT_EQ(value(m, s, "spte", 1), "huge");
  EXPECT_EQ(value(m, s, "spte_data", 1), "zero");
}

TEST(Userfault, ClearFirstOrder) {
  Model m =
      build(with_variant(kUserfault, "kvm-userfault-clear-first"), "kvm-userfault-clear-first");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "guest_memfd page");
  s = fire(m, s, "v0", "install");
  s = fire(m, s, "v0", "stage-2 hit");
  s = fire(m, s, "v0", "EPT violation");
  s = fire(m, s, "run", "take exit");
  s = fire(m, s, "run", "clear bit");
  EXPECT_EQ(value(m, s, "gmem", 1), "hole");
  EXPECT_EQ(value(m, s, "userfault", 1), "0");
}

TEST(Userfault, AttributeUpdateIsBracketedByAnInvalidation) {
  Model m = build(with_variant(R"(
gmem g pages 1 populated 0
memslot slot gfn 0 pages 1 guest-memfd g private userfault
vcpu v0 { r0 = read-private gpa 0 }
vmm discard { set-userfault gfn 0 }
)",
                               "kvm-userfault-rfc"),
                  "kvm-userfault-rfc");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "guest_memfd page");
  s = fire(m, s, "discard", "begin");
  EXPECT_EQ(value(m, s, "mmu_invalidate_in_progress"), "1");
  s = fire(m, s, "discard", "end");
  EXPECT_EQ(value(m, s, "mmu_invalidate_in_progress"), "0");
  EXPECT_EQ(value(m, s, "v0.seq_moved"), "1");
  s = fire(m, s, "v0", "install");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
}

TEST(GuestMemfd, PunchHoleUnmapsAndTruncates) {
  Model m = build(R"(
gmem g pages 1 populated 0
memslot slot gfn 0 pages 1 guest-memfd g private
vcpu v0 { r0 = read-private gpa 0; r1 = read-private gpa 0 }
vmm p { punch-hole gfn 0 }
)");
  EXPECT_NE(kernel_function(m, "p", "punch-hole").find("kvm_gmem_punch_hole"), std::string::npos);
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r1"), (Labels{"DATA_SRC", "DATA_ZERO"}));
}

TEST(Hooks, MmWakesWakeTheVcpu) {
  // wake_userfault of a thread's UFFDIO_COPY epilogue wakes the vCPU
  // thread asleep in handle_userfault (mm::wake_sites + Gen::hooks).
  Model m = build(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
thread t { c = copy guest[0] }
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "NOWAIT GUP: userfault");
  s = fire(m, s, "v0", "GUP: userfault");
  s = fire(m, s, "t", "install");
  EXPECT_EQ(value(m, s, "v0.ph"), "uffd-wait");
  s = fire(m, s, "t", "wake");
  EXPECT_EQ(value(m, s, "v0.ph"), "sync-gup");
  Explored x = explore(m);
  EXPECT_EQ(finals_of(m, x, "r0"), Labels{"DATA_SRC"});
}

TEST(Hooks, ReleaseWakesTheVcpu) {
  // userfaultfd_release wakes every waiter; the retried GUP then faults in
  // a zero page (S20: silent zero-fill).
  EXPECT_EQ(outcomes(R"(
uffd ctx
region guest anon pages 1 uffd ctx missing
thread t { close ctx }
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0 }
)",
                     "r0"),
            Labels{"DATA_ZERO"});
}

TEST(Hooks, DontneedIsAnMmuNotifierInvalidation) {
  Model m = build(R"(
region guest anon pages 1
init guest[0] = mapped
memslot slot gfn 0 pages 1 region guest
vcpu v0 { r0 = read gpa 0; r1 = read gpa 0 }
thread t { dontneed guest[0] }
)");
  State s = fire(m, initial_state(m), "v0", "EPT violation");
  s = fire(m, s, "v0", "GUP-fast");
  s = fire(m, s, "v0", "install");
  s = fire(m, s, "v0", "stage-2 hit");
  EXPECT_EQ(value(m, s, "spte", 0), "4k");
  s = fire(m, s, "t", "dontneed");
  EXPECT_EQ(value(m, s, "spte", 0), "none");
}

TEST(Seeds, EveryVariantMeetsItsExpectations) {
  std::vector<std::string> files = find_scenarios(std::string(FL_SOURCE_DIR) + "/scenarios/seeds");
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    lang::Scenario sc = load_scenario(f);
    for (const std::string& v : sc.info().variants) {
      Model m = sc.elaborate(v, {});
      Explored x = explore(m);
      EXPECT_TRUE(x.errors.empty()) << f << " [" << v << "]: " << x.errors.front();
      for (const std::string& u : unmet_expectations(m, x)) {
        ADD_FAILURE() << f << " [" << v << "]: not as expected: " << u;
      }
      EXPECT_LT(x.states, 100000u) << f << " [" << v << "]";
    }
  }
}

TEST(Variants, AllKvmVariantsAreImplemented) {
  for (const std::string& v : kvm_variants()) {
    const VariantInfo* info = find_variant(v);
    ASSERT_NE(info, nullptr) << v;
    EXPECT_TRUE(info->implemented) << v;
  }
}

TEST(Declarations, ErrorsNameTheProblem) {
  auto error = [](const std::string& text) -> std::string {
    try {
      lang::Scenario sc = lang::Scenario::parse("t.fl", "scenario t\n" + text, kernel_extensions());
      sc.elaborate("linux-6.18", {});
    } catch (const lang::ScenarioError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error("memslot s gfn 0 pages 1\nvcpu v { read gpa 0 }").find("needs a backing"),
            std::string::npos);
  EXPECT_NE(error("gmem g pages 1\nmemslot s gfn 0 guest-memfd g\nvcpu v { read gpa 3 }")
                .find("in no memslot"),
            std::string::npos);
  EXPECT_NE(error("memslot s gfn 0 region nowhere\nvcpu v { read gpa 0 }").find("no mm region"),
            std::string::npos);
  EXPECT_NE(error("kvm speed = on").find("unknown KVM option"), std::string::npos);
}

}  // namespace
}  // namespace fl::model::kvm::test

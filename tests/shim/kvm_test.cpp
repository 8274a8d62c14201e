// Pins what this host's KVM does on the fault paths the KVM model covers (docs/model-kvm.md):
// a tiny real-mode guest reads or writes one byte and reports it through port I/O, and each test
// records KVM_RUN's answer (exit reason and payload, errno, SIGBUS on the vCPU thread) and, for
// userfaultfd-backed memory, which thread the kernel put to sleep. The observed values and their
// agreement with kernel-semantics.md are in docs/kernel-facts.md, "KVM (this host)".

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "kernel-shim/kvm.h"
#include "shim_test_util.h"

namespace fl::shim::test {
namespace {

using namespace std::chrono_literals;

// Guest-physical layout: the code page, a data slot of kDataPages pages, and a hole for MMIO.
constexpr std::uint64_t kCodeGpa = 0x1000;
constexpr std::uint64_t kDataGpa = 0x4000;
constexpr std::size_t kDataPages = 2;
constexpr std::uint64_t kHoleGpa = 0x9000;
constexpr std::uint32_t kCodeSlot = 0;
constexpr std::uint32_t kDataSlot = 1;
// A KVM_RUN that must return promptly gets this long before the watchdog kicks it.
constexpr auto kRunPrompt = 2000ms;

#define FL_REQUIRE_KVM()                                                                      \
  do {                                                                                        \
    const auto& fl_probe_ = ::fl::shim::cached_probe();                                       \
    if (!fl_probe_.kvm_open) GTEST_SKIP() << "/dev/kvm unavailable (errno "                    \
                                          << fl_probe_.kvm_errno << ")";                      \
    if (!fl_probe_.kvm_vm_created) GTEST_SKIP() << "KVM_CREATE_VM fails (errno "               \
                                                << fl_probe_.kvm_vm_errno << ")";             \
  } while (0)

// A VM with its code page in slot 0. The data slot is added by each test, because its backing
// and flags are what the test is about.
struct Guest {
  KvmSystem sys;
  KvmVm vm;
  Mapping code;
  std::optional<KvmVcpu> vcpu;
};

// Builds the VM. irqchip: create the in-kernel LAPIC (a precondition of async page faults).
std::unique_ptr<Guest> make_guest(bool irqchip = false) {
  auto sys = KvmSystem::open();
  EXPECT_TRUE(sys.ok()) << sys.error();
  if (!sys) return nullptr;
  auto vm = KvmVm::create(*sys);
  EXPECT_TRUE(vm.ok()) << vm.error();
  if (!vm) return nullptr;
  auto code = Mapping::anon(page_size_bytes());
  EXPECT_TRUE(code.ok()) << code.error();
  if (!code) return nullptr;
  auto g = std::unique_ptr<Guest>(
      new Guest{std::move(*sys), std::move(*vm), std::move(*code), std::nullopt});
  EXPECT_EQ(g->vm.set_memory_region(kCodeSlot, 0, kCodeGpa, page_size_bytes(), g->code.data()), 0);
  if (irqchip) EXPECT_EQ(g->vm.create_irqchip(), 0);
  return g;
}

// Loads the code, creates the vCPU and points it at the code.
void start(Guest& g, const std::vector<std::uint8_t>& code, std::uint64_t rflags = 0x2) {
  std::memcpy(g.code.data(), code.data(), code.size());
  auto vcpu = KvmVcpu::create(g.vm);
  ASSERT_TRUE(vcpu.ok()) << vcpu.error();
  g.vcpu.emplace(std::move(*vcpu));
  ASSERT_EQ(g.vcpu->setup_real_mode(kCodeGpa, rflags), 0);
}

std::uint16_t data_addr(std::size_t page, std::size_t offset) {
  return static_cast<std::uint16_t>(kDataGpa + page * page_size_bytes() + offset);
}

void expect_report(const KvmExit& e, std::uint8_t value) {
  EXPECT_EQ(e.rc, 0) << describe(e);
  EXPECT_EQ(e.exit_reason, KVM_EXIT_IO) << describe(e);
  EXPECT_EQ(e.io_port, kGuestReportPort) << describe(e);
  EXPECT_EQ(e.io_direction, KVM_EXIT_IO_OUT) << describe(e);
  EXPECT_EQ(e.io_size, 1) << describe(e);
  EXPECT_EQ(e.io_count, 1u) << describe(e);
  EXPECT_EQ(e.io_data, value) << describe(e);
}

// Runs KVM_RUN in its own thread (the "vCPU thread") so the test can watch it block.
class VcpuThread {
 public:
  VcpuThread(const KvmVcpu& vcpu, std::chrono::milliseconds timeout)
      : thread_([this, &vcpu, timeout] {
          tid_.store(static_cast<pid_t>(syscall(SYS_gettid)));
          exit_ = vcpu.run(timeout);
          done_.store(true);
        }) {}
  VcpuThread(const VcpuThread&) = delete;
  VcpuThread& operator=(const VcpuThread&) = delete;
  ~VcpuThread() { join(); }

  pid_t tid() const {
    while (tid_.load() == 0) std::this_thread::yield();
    return tid_.load();
  }
  bool done() const { return done_.load(); }
  const KvmExit& join() {
    if (thread_.joinable()) thread_.join();
    return exit_;
  }

 private:
  std::atomic<pid_t> tid_{0};
  std::atomic<bool> done_{false};
  KvmExit exit_;
  std::thread thread_;
};

// True if the thread stays asleep ('S' or 'D') over several polls.
bool stays_asleep(pid_t tid) {
  for (int i = 0; i < 5; ++i) {
    const char st = thread_state(tid);
    if (st != 'S' && st != 'D') return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class KvmShim : public ShimTest {};

TEST_F(KvmShim, GuestReadsPopulatedAnonPage) {
  FL_REQUIRE_KVM();
  auto g = make_guest();
  ASSERT_TRUE(g);
  auto data = Mapping::anon(kDataPages * ps());
  ASSERT_TRUE(data.ok());
  data->data()[ps() + 0x10] = 0x5a;
  ASSERT_EQ(g->vm.set_memory_region(kDataSlot, 0, kDataGpa, data->size_bytes(), data->data()), 0);
  start(*g, guest_code_read(data_addr(1, 0x10)));
  expect_report(g->vcpu->run(kRunPrompt), 0x5a);
  const KvmExit halt = g->vcpu->run(kRunPrompt);
  EXPECT_EQ(halt.rc, 0) << describe(halt);
  EXPECT_EQ(halt.exit_reason, KVM_EXIT_HLT) << describe(halt);
}

TEST_F(KvmShim, GuestWriteLandsInAnonPage) {
  FL_REQUIRE_KVM();
  auto g = make_guest();
  ASSERT_TRUE(g);
  auto data = Mapping::anon(kDataPages * ps());
  ASSERT_TRUE(data.ok());
  ASSERT_EQ(g->vm.set_memory_region(kDataSlot, 0, kDataGpa, data->size_bytes(), data->data()), 0);
  start(*g, guest_code_write(data_addr(0, 0x20), 0xc3));
  expect_report(g->vcpu->run(kRunPrompt), 0xc3);
  EXPECT_EQ(static_cast<std::uint8_t>(data->data()[0x20]), 0xc3);
}

TEST_F(KvmShim, GuestReadOutsideAnyMemslotIsMmioExit) {
  FL_REQUIRE_KVM();
  auto g = make_guest();
  ASSERT_TRUE(g);
  start(*g, guest_code_read(static_cast<std::uint16_t>(kHoleGpa + 0x30)));
  const KvmExit e = g->vcpu->run(kRunPrompt);
  EXPECT_EQ(e.rc, 0) << describe(e);
  EXPECT_EQ(e.exit_reason, KVM_EXIT_MMIO) << describe(e);
  EXPECT_EQ(e.mmio_phys, kHoleGpa + 0x30) << describe(e);
  EXPECT_EQ(e.mmio_len, 1u) << describe(e);
  EXPECT_FALSE(e.mmio_is_write) << describe(e);
  // The VMM answers the read by filling mmio.data; the guest then reports it.
  g->vcpu->run_struct()->mmio.data[0] = 0x77;
  expect_report(g->vcpu->run(kRunPrompt), 0x77);
}

TEST_F(KvmShim, GuestWriteToReadonlySlotIsMmioExit) {
  FL_REQUIRE_KVM();
  auto g = make_guest();
  ASSERT_TRUE(g);
  auto data = Mapping::anon(kDataPages * ps());
  ASSERT_TRUE(data.ok());
  data->data()[0x40] = 0x11;
  ASSERT_EQ(g->vm.set_memory_region(kDataSlot, KVM_MEM_READONLY, kDataGpa, data->size_bytes(),
                                    data->data()),
            0);
  start(*g, guest_code_write(data_addr(0, 0x40), 0x99));
  const KvmExit e = g->vcpu->run(kRunPrompt);
  EXPECT_EQ(e.rc, 0) << describe(e);
  EXPECT_EQ(e.exit_reason, KVM_EXIT_MMIO) << describe(e);
  EXPECT_EQ(e.mmio_phys, kDataGpa + 0x40) << describe(e);
  EXPECT_EQ(e.mmio_len, 1u) << describe(e);
  EXPECT_TRUE(e.mmio_is_write) << describe(e);
  EXPECT_EQ(e.mmio_data, 0x99) << describe(e);
  // The write completes as an MMIO write: the guest goes on, host memory is unchanged.
  expect_report(g->vcpu->run(kRunPrompt), 0x99);
  EXPECT_EQ(data->data()[0x40], 0x11);
}

TEST_F(KvmShim, GuestReadOfReadonlySlotReadsMemory) {
  FL_REQUIRE_KVM();
  auto g = make_guest();
  ASSERT_TRUE(g);
  auto data = Mapping::anon(kDataPages * ps());
  ASSERT_TRUE(data.ok());
  data->data()[0x41] = 0x12;
  ASSERT_EQ(g->vm.set_memory_region(kDataSlot, KVM_MEM_READONLY, kDataGpa, data->size_bytes(),
                                    data->data()),
            0);
  start(*g, guest_code_read(data_addr(0, 0x41)));
  expect_report(g->vcpu->run(kRunPrompt), 0x12);
}

}  // namespace
}  // namespace fl::shim::test

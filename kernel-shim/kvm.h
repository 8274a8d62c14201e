#pragma once
// A thin RAII wrapper over KVM (virt/kvm/kvm_main.c, arch/x86/kvm): the system fd, a VM with its
// memslots (KVM_SET_USER_MEMORY_REGION / REGION2, guest_memfd), and vCPUs running a tiny
// real-mode guest whose code is generated per access. Every KVM_RUN is decoded into a KvmExit
// that records what the kernel answered (return value, errno, exit reason and its payload, a
// SIGBUS taken by the vCPU thread), because the model predicts exactly those observations.
//
// Nothing here can hang: every KVM_RUN is bounded by a per-thread POSIX timer that sends a kick
// signal to the running thread until KVM_RUN returns (KVM answers a pending signal with
// -EINTR / KVM_EXIT_INTR, also while the vCPU sleeps in handle_userfault or an async-PF halt).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernel-shim/result.h"
#include "kernel-shim/uapi.h"

namespace fl::shim {

// The guest's report port: generated code writes the byte it read (or wrote) with `out 0x10, al`.
inline constexpr std::uint16_t kGuestReportPort = 0x10;

// What one KVM_RUN returned, decoded.
struct KvmExit {
  int rc = 0;                     // KVM_RUN's return value (0 or -1)
  int err = 0;                    // errno when rc == -1
  std::uint32_t exit_reason = 0;  // kvm_run->exit_reason as KVM left it (may be stale on errors)
  // KVM_EXIT_IO
  std::uint16_t io_port = 0;
  std::uint8_t io_direction = 0;  // KVM_EXIT_IO_OUT / _IN
  std::uint8_t io_size = 0;
  std::uint32_t io_count = 0;
  std::uint8_t io_data = 0;  // first byte of the data
  // KVM_EXIT_MMIO
  std::uint64_t mmio_phys = 0;
  std::uint32_t mmio_len = 0;
  bool mmio_is_write = false;
  std::uint8_t mmio_data = 0;  // first byte of the data (the written value for a write)
  // KVM_EXIT_MEMORY_FAULT (read from the union whatever exit_reason says, so a stale or partial
  // annotation is visible too)
  std::uint64_t mf_flags = 0;
  std::uint64_t mf_gpa = 0;
  std::uint64_t mf_size = 0;
  // A SIGBUS delivered to the vCPU thread while KVM_RUN was in progress.
  bool sigbus = false;
  int sigbus_code = 0;
  std::uintptr_t sigbus_addr = 0;
  int sigbus_lsb = 0;
  // The watchdog fired at least once during this KVM_RUN.
  bool kicked = false;
  // The thread that ran KVM_RUN.
  pid_t tid = 0;
};

// "KVM_EXIT_IO", "KVM_EXIT_MMIO", ... or "exit<N>".
std::string kvm_exit_name(std::uint32_t reason);
// One line for test failure messages.
std::string describe(const KvmExit& exit);

// /dev/kvm.
class KvmSystem {
 public:
  static Result<KvmSystem> open();
  KvmSystem(KvmSystem&&) noexcept = default;
  KvmSystem& operator=(KvmSystem&&) noexcept = default;

  int fd() const { return fd_.get(); }
  // KVM_CHECK_EXTENSION: the capability's value (0 = absent), or -errno.
  long check_extension(long cap) const;
  // KVM_GET_VCPU_MMAP_SIZE.
  Result<std::size_t> vcpu_mmap_size() const;

 private:
  explicit KvmSystem(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// A VM (KVM_CREATE_VM). Memory registered in its slots must outlive it.
class KvmVm {
 public:
  static Result<KvmVm> create(const KvmSystem& sys, unsigned long type = KVM_X86_DEFAULT_VM);
  KvmVm(KvmVm&&) noexcept = default;
  KvmVm& operator=(KvmVm&&) noexcept = default;

  int fd() const { return fd_.get(); }
  // The system's KVM_GET_VCPU_MMAP_SIZE, remembered for the vCPUs.
  std::size_t run_size() const { return run_size_; }
  long check_extension(long cap) const;

  // KVM_SET_USER_MEMORY_REGION; returns 0 or the errno.
  int set_memory_region(std::uint32_t slot, std::uint32_t flags, std::uint64_t gpa,
                        std::uint64_t size, const void* hva) const;
  // KVM_SET_USER_MEMORY_REGION2 (v6.8), with an optional guest_memfd binding.
  int set_memory_region2(std::uint32_t slot, std::uint32_t flags, std::uint64_t gpa,
                         std::uint64_t size, const void* hva, int guest_memfd = -1,
                         std::uint64_t guest_memfd_offset = 0) const;
  // KVM_CREATE_GUEST_MEMFD: the new fd, or the errno.
  Result<UniqueFd> create_guest_memfd(std::uint64_t size, std::uint64_t flags) const;
  // KVM_ENABLE_CAP on the VM; returns 0 or the errno.
  int enable_cap(std::uint32_t cap, std::uint64_t arg0 = 0) const;
  // KVM_CREATE_IRQCHIP (in-kernel PIC/IOAPIC/LAPIC); returns 0 or the errno. Without it KVM
  // never takes an async page fault (kvm_can_do_async_pf requires lapic_in_kernel).
  int create_irqchip() const;

 private:
  KvmVm(UniqueFd fd, std::size_t run_size) : fd_(std::move(fd)), run_size_(run_size) {}
  UniqueFd fd_;
  std::size_t run_size_ = 0;
};

// Guest code generators (16-bit real mode, DS = 0, so `addr` is the gpa and must be < 64 KiB).
// Each reports the byte through `out kGuestReportPort, al` and then halts.
std::vector<std::uint8_t> guest_code_read(std::uint16_t addr);
std::vector<std::uint8_t> guest_code_write(std::uint16_t addr, std::uint8_t value);

// A vCPU with its kvm_run mapping.
class KvmVcpu {
 public:
  static Result<KvmVcpu> create(const KvmVm& vm, unsigned id = 0);
  KvmVcpu(const KvmVcpu&) = delete;
  KvmVcpu& operator=(const KvmVcpu&) = delete;
  KvmVcpu(KvmVcpu&& other) noexcept;
  KvmVcpu& operator=(KvmVcpu&& other) noexcept;
  ~KvmVcpu();

  int fd() const { return fd_.get(); }
  kvm_run* run_struct() const { return run_; }

  // Real mode, flat: CS = DS = ES = SS = 0 (base 0), RIP = code_gpa, RFLAGS = rflags (bit 1 is
  // always set; pass 0x202 for interrupts enabled). Returns 0 or the errno.
  int setup_real_mode(std::uint64_t code_gpa, std::uint64_t rflags = 0x2) const;

  // One KVM_RUN in the calling thread, kicked by the watchdog after `timeout` (and every 50 ms
  // after that until KVM_RUN returns).
  KvmExit run(std::chrono::milliseconds timeout) const;

  // The vCPU's binary statistics (KVM_GET_STATS_FD, v5.14): name -> first value. Used to tell
  // how KVM handled an access: "insn_emulation" counts emulated instructions, "pf_taken" /
  // "pf_emulate" / "pf_fixed" count page faults through the MMU.
  Result<std::map<std::string, std::uint64_t>> stats() const;

 private:
  KvmVcpu(UniqueFd fd, struct kvm_run* run, std::size_t run_size)
      : fd_(std::move(fd)), run_(run), run_size_(run_size) {}
  UniqueFd fd_;
  struct kvm_run* run_ = nullptr;
  std::size_t run_size_ = 0;
};

// Runs a real-mode guest that reads one populated byte and classifies how KVM executed it from
// the vCPU's stats: "emulator", "mmu" or "unknown", with a detail line (the stat deltas or the
// failing step). Creates and destroys its own VM; changes no system state.
struct KvmAccessPathProbe {
  std::string path = "unknown";
  std::string detail;
};
KvmAccessPathProbe probe_kvm_access_path();

}  // namespace fl::shim

#pragma once
// Capability probing: what the running kernel (and the machine under it) supports, so that replay
// and the shim tests can skip, with a reason, what they cannot exercise. Probing never changes
// system state: no sysctl is written, no page is poisoned, no huge page is faulted in.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fl::shim {

// What UFFDIO_REGISTER answered for one kind of memory and mode.
struct UffdRegisterProbe {
  std::string memory;  // "anon", "shmem", "hugetlb"
  std::string mode;    // "MISSING", "WP", "MINOR", ...
  int err = 0;         // 0 if the registration succeeded
  std::uint64_t ioctls = 0;
  std::string note;  // why it was not attempted, if it was not
};

struct KvmCapProbe {
  std::string name;
  int number = 0;
  long system_value = -1;  // KVM_CHECK_EXTENSION on /dev/kvm; -1 if not asked
  long vm_value = -1;      // on a default VM fd (caps may differ per VM); -1 if no VM
};

struct Probe {
  // Kernel and machine.
  std::string kernel_release;
  std::string machine;  // uname -m
  long page_size_bytes = 0;
  bool cpu_hypervisor_flag = false;  // /proc/cpuinfo "hypervisor": we run inside a VM

  // userfaultfd.
  bool uffd_syscall = false;
  int uffd_syscall_errno = 0;
  bool uffd_dev = false;  // /dev/userfaultfd + USERFAULTFD_IOC_NEW
  int uffd_dev_errno = 0;
  int unprivileged_userfaultfd = -1;  // /proc/sys/vm/unprivileged_userfaultfd; -1 unknown
  std::uint64_t uffd_features = 0;    // UFFDIO_API with features = 0
  std::uint64_t uffd_ioctls = 0;
  std::vector<UffdRegisterProbe> uffd_register;

  // hugetlb (default size).
  long hugepage_size_kib = 0;
  long nr_hugepages = 0;
  long free_hugepages = 0;
  long nr_overcommit_hugepages = 0;
  std::string thp_enabled;  // /sys/kernel/mm/transparent_hugepage/enabled, selected value

  // CONFIG_MEMORY_FAILURE: "y", "n" or "unknown", and how it was decided.
  std::string memory_failure;
  std::string memory_failure_method;

  // KVM.
  bool kvm_open = false;
  int kvm_errno = 0;
  int kvm_api_version = -1;
  bool kvm_vm_created = false;
  int kvm_vm_errno = 0;
  std::vector<KvmCapProbe> kvm_caps;
  std::string kvm_backend;         // "kvm_intel", "kvm_amd", "kvm_pvm", "none", ...
  std::string kvm_backend_detail;  // ept/npt/tdp_mmu parameters and nesting
  bool kvm_nested = false;         // KVM with hardware virtualization inside a VM
  // How KVM executes a real-mode guest's memory accesses, measured by running one read of a
  // populated byte and comparing the vCPU's binary stats (probe_kvm_access_path in kvm.h):
  // "emulator" (insn_emulation grew, pf_taken did not: every guest access is a kernel uaccess by
  // the vCPU thread, so faults never reach the MMU fault path of kernel-semantics.md 4.2-4.6),
  // "mmu" (the access was a hardware/shadow page fault or hit), "unknown" (the guest did not run
  // or the stats are unavailable; see the detail), "not probed" (no KVM).
  std::string kvm_guest_access_path = "not probed";
  std::string kvm_guest_access_detail;
  // Which thread sleeps in handle_userfault when the guest touches a userfaultfd-MISSING page:
  // "vcpu" (the vCPU thread, synchronously; the message's ptid is its tid) or "unknown". Derived
  // from kvm_guest_access_path: the emulator path is always the vCPU thread (pinned by
  // tests/shim/kvm_test.cpp, with and without an in-kernel LAPIC); on the MMU path it depends on
  // kvm_can_do_async_pf (a kworker with an in-kernel LAPIC and interrupts enabled), not probed.
  std::string kvm_uffd_fault_thread = "not probed";

  // Helpers for skips.
  bool has_uffd_feature(std::uint64_t feature) const { return (uffd_features & feature) != 0; }
  bool hugetlb_usable() const { return free_hugepages > 0 || nr_overcommit_hugepages > 0; }
  bool memory_failure_enabled() const { return memory_failure == "y"; }
  long kvm_cap(const std::string& name) const;  // VM value if known, else system value, else -1
};

// Probes the running kernel. Never throws; anything that cannot be determined is left at its
// "unknown" value.
Probe probe();
// The cached result of probe() for this process.
const Probe& cached_probe();

// Aligned "name: value" lines.
std::string format_probe(const Probe& p);
nlohmann::json to_json(const Probe& p);

}  // namespace fl::shim

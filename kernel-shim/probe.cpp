#include "kernel-shim/probe.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "kernel-shim/kernel_version.h"
#include "kernel-shim/kvm.h"
#include "kernel-shim/mapping.h"
#include "kernel-shim/result.h"
#include "kernel-shim/uapi.h"
#include "kernel-shim/userfaultfd.h"

namespace fl::shim {
namespace {

bool path_exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// The first line of a small sysfs / procfs file, or "" if it cannot be read.
std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

long read_long(const std::string& path, long fallback) {
  const std::string line = read_line(path);
  if (line.empty()) return fallback;
  try {
    return std::stol(line);
  } catch (...) {
    return fallback;
  }
}

// The bracketed choice of a sysfs multiple-choice file ("always [madvise] never" -> "madvise").
std::string selected_choice(const std::string& path) {
  const std::string line = read_line(path);
  const auto open = line.find('[');
  const auto close = line.find(']', open);
  if (open == std::string::npos || close == std::string::npos)
    return line.empty() ? "unknown" : line;
  return line.substr(open + 1, close - open - 1);
}

bool cpuinfo_has_flag(const std::string& flag) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string word;
    while (words >> word) {
      if (word == flag) return true;
    }
    return false;
  }
  return false;
}

// The UFFDIO_API features worth asking for when probing registration: every memory-type feature
// the kernel offers, but no event or SIGBUS feature (those change fault behaviour, not what
// REGISTER reports).
constexpr std::uint64_t kRegisterProbeFeatures =
    UFFD_FEATURE_MISSING_HUGETLBFS | UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MINOR_HUGETLBFS |
    UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_PAGEFAULT_FLAG_WP;

UffdRegisterProbe probe_register(const std::string& memory, const std::string& mode_name,
                                 std::uint64_t mode, std::uint64_t supported_features) {
  UffdRegisterProbe out{memory, mode_name, 0, 0, ""};
  auto uffd = Userfaultfd::open_syscall(O_CLOEXEC | O_NONBLOCK);
  if (!uffd) {
    out.err = uffd.error();
    out.note = "userfaultfd() failed";
    return out;
  }
  if (auto api = uffd->api(kRegisterProbeFeatures & supported_features); !api) {
    out.err = api.error();
    out.note = "UFFDIO_API failed";
    return out;
  }
  Result<Mapping> mapping = Errno{EINVAL};
  if (memory == "anon") {
    mapping = Mapping::anon(page_size_bytes());
  } else if (memory == "shmem") {
    mapping = Mapping::shmem(page_size_bytes());
  } else {
    // A hugetlb VMA needs no huge page to be registered: MAP_NORESERVE maps it without a
    // reservation and nothing here faults a page in, so this works with an empty pool and
    // changes no pool counter.
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::size_t huge_bytes = 0;
    while (meminfo >> key) {
      if (key == "Hugepagesize:") {
        meminfo >> huge_bytes;
        huge_bytes *= 1024;
        break;
      }
      meminfo.ignore(4096, '\n');
    }
    if (huge_bytes == 0) {
      out.err = ENOTSUP;
      out.note = "no default huge page size";
      return out;
    }
    void* addr = mmap(nullptr, huge_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
    if (addr == MAP_FAILED) {
      out.err = errno;
      out.note = "mmap(MAP_HUGETLB|MAP_NORESERVE) failed";
      return out;
    }
    const auto reg = uffd->register_range(addr, huge_bytes, mode);
    out.err = reg.error();
    if (reg) out.ioctls = *reg;
    munmap(addr, huge_bytes);
    return out;
  }
  if (!mapping) {
    out.err = mapping.error();
    out.note = "mmap failed";
    return out;
  }
  const auto reg = uffd->register_range(mapping->data(), mapping->size_bytes(), mode);
  out.err = reg.error();
  if (reg) out.ioctls = *reg;
  return out;
}

struct CapName {
  const char* name;
  int number;
};

constexpr CapName kKvmCaps[] = {
    {"USER_MEMORY", 3},
    {"SYNC_MMU", 16},
    {"MCE", 31},
    {"ASYNC_PF", KVM_CAP_ASYNC_PF},
    {"READONLY_MEM", 81},
    {"CHECK_EXTENSION_VM", 105},
    {"IMMEDIATE_EXIT", 136},
    {"ASYNC_PF_INT", KVM_CAP_ASYNC_PF_INT},
    {"EXIT_HYPERCALL", KVM_CAP_EXIT_HYPERCALL},
    {"USER_MEMORY2", KVM_CAP_USER_MEMORY2},
    {"MEMORY_FAULT_INFO", KVM_CAP_MEMORY_FAULT_INFO},
    {"MEMORY_ATTRIBUTES", KVM_CAP_MEMORY_ATTRIBUTES},
    {"GUEST_MEMFD", KVM_CAP_GUEST_MEMFD},
    {"VM_TYPES", KVM_CAP_VM_TYPES},
    {"PRE_FAULT_MEMORY", KVM_CAP_PRE_FAULT_MEMORY},
    {"GUEST_MEMFD_FLAGS", KVM_CAP_GUEST_MEMFD_FLAGS},
};

void probe_kvm(Probe& p) {
  UniqueFd kvm(open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm.valid()) {
    p.kvm_errno = errno;
  } else {
    p.kvm_open = true;
    p.kvm_api_version = ioctl(kvm.get(), KVM_GET_API_VERSION, 0);
    UniqueFd vm(ioctl(kvm.get(), KVM_CREATE_VM, KVM_X86_DEFAULT_VM));
    if (vm.valid()) {
      p.kvm_vm_created = true;
    } else {
      p.kvm_vm_errno = errno;
    }
    for (const auto& cap : kKvmCaps) {
      KvmCapProbe c{cap.name, cap.number, -1, -1};
      c.system_value = ioctl(kvm.get(), KVM_CHECK_EXTENSION, cap.number);
      if (vm.valid()) c.vm_value = ioctl(vm.get(), KVM_CHECK_EXTENSION, cap.number);
      p.kvm_caps.push_back(std::move(c));
    }
  }

  // The backend: which vendor module provides the vCPUs. A nested setup is KVM with hardware
  // virtualization (VMX/SVM) while the CPU reports that it is itself a guest.
  const bool intel = path_exists("/sys/module/kvm_intel");
  const bool amd = path_exists("/sys/module/kvm_amd");
  const bool pvm = path_exists("/sys/module/kvm_pvm");
  std::string detail;
  const std::string tdp_mmu = read_line("/sys/module/kvm/parameters/tdp_mmu");
  if (intel) {
    p.kvm_backend = "kvm_intel";
    detail = "ept=" + read_line("/sys/module/kvm_intel/parameters/ept") +
             " nested=" + read_line("/sys/module/kvm_intel/parameters/nested");
  } else if (amd) {
    p.kvm_backend = "kvm_amd";
    detail = "npt=" + read_line("/sys/module/kvm_amd/parameters/npt") +
             " nested=" + read_line("/sys/module/kvm_amd/parameters/nested");
  } else if (pvm) {
    // PVM (pagetable-based virtual machine) runs guests without VMX/SVM, using shadow paging;
    // it exists to run KVM inside a cloud VM.
    p.kvm_backend = "kvm_pvm";
    detail = "paravirtual, no VMX/SVM, shadow paging; pvm_native=" +
             read_line("/sys/module/kvm_pvm/parameters/pvm_native");
  } else {
    p.kvm_backend = p.kvm_open ? "unknown" : "none";
  }
  if (!tdp_mmu.empty()) detail += (detail.empty() ? "" : " ") + std::string("tdp_mmu=") + tdp_mmu;
  detail += p.cpu_hypervisor_flag ? " (inside a VM)" : " (bare metal)";
  p.kvm_backend_detail = detail;
  p.kvm_nested = p.cpu_hypervisor_flag && (intel || amd);

  if (p.kvm_vm_created) {
    const KvmAccessPathProbe path = probe_kvm_access_path();
    p.kvm_guest_access_path = path.path;
    p.kvm_guest_access_detail = path.detail;
    p.kvm_uffd_fault_thread = path.path == "emulator" ? "vcpu" : "unknown";
  }
}

std::string yes_no(bool value) {
  return value ? "yes" : "no";
}

std::string errno_text(int err) {
  if (err == 0) return "ok";
  return std::string(strerrorname_np(err) != nullptr ? strerrorname_np(err) : "E?") + " (" +
         std::to_string(err) + ")";
}

std::string hex(std::uint64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace

long Probe::kvm_cap(const std::string& name) const {
  for (const auto& cap : kvm_caps) {
    if (cap.name == name) return cap.vm_value >= 0 ? cap.vm_value : cap.system_value;
  }
  return -1;
}

Probe probe() {
  Probe p;
  p.kernel_release = kernel_release();
  struct utsname u {};
  if (uname(&u) == 0) p.machine = u.machine;
  p.page_size_bytes = static_cast<long>(page_size_bytes());
  p.cpu_hypervisor_flag = cpuinfo_has_flag("hypervisor");

  // userfaultfd.
  p.unprivileged_userfaultfd =
      static_cast<int>(read_long("/proc/sys/vm/unprivileged_userfaultfd", -1));
  auto sys = Userfaultfd::open_syscall(O_CLOEXEC | O_NONBLOCK);
  p.uffd_syscall = sys.ok();
  p.uffd_syscall_errno = sys.error();
  auto dev = Userfaultfd::open_dev(O_CLOEXEC | O_NONBLOCK);
  p.uffd_dev = dev.ok();
  p.uffd_dev_errno = dev.error();
  if (sys) {
    if (auto api = sys->api(0)) {
      p.uffd_features = api->features;
      p.uffd_ioctls = api->ioctls;
    }
  }
  if (p.uffd_syscall) {
    const std::pair<const char*, std::uint64_t> modes[] = {
        {"MISSING", UFFDIO_REGISTER_MODE_MISSING},
        {"WP", UFFDIO_REGISTER_MODE_WP},
        {"MINOR", UFFDIO_REGISTER_MODE_MINOR},
        {"MISSING|WP", UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP},
    };
    for (const char* memory : {"anon", "shmem", "hugetlb"}) {
      for (const auto& [name, mode] : modes) {
        p.uffd_register.push_back(probe_register(memory, name, mode, p.uffd_features));
      }
    }
  }

  // hugetlb and THP.
  const std::string hp = "/sys/kernel/mm/hugepages/";
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  while (meminfo >> key) {
    if (key == "Hugepagesize:") meminfo >> p.hugepage_size_kib;
    meminfo.ignore(4096, '\n');
  }
  if (p.hugepage_size_kib > 0) {
    const std::string dir = hp + "hugepages-" + std::to_string(p.hugepage_size_kib) + "kB/";
    p.nr_hugepages = read_long(dir + "nr_hugepages", 0);
    p.free_hugepages = read_long(dir + "free_hugepages", 0);
    p.nr_overcommit_hugepages = read_long(dir + "nr_overcommit_hugepages", 0);
  }
  p.thp_enabled = selected_choice("/sys/kernel/mm/transparent_hugepage/enabled");

  // CONFIG_MEMORY_FAILURE. The vm.memory_failure_* sysctls are registered by
  // mm/memory-failure.c, which is built only with CONFIG_MEMORY_FAILURE, so their presence is
  // the config. A plain-text kernel config under /boot, when present, is the tie-breaker. Nothing
  // is poisoned to find out (MADV_HWPOISON would really take a page out of service).
  const std::string boot_config = "/boot/config-" + p.kernel_release;
  if (path_exists("/proc/sys/vm/memory_failure_early_kill")) {
    p.memory_failure = "y";
    p.memory_failure_method = "/proc/sys/vm/memory_failure_early_kill exists";
  } else if (path_exists(boot_config)) {
    std::ifstream config(boot_config);
    std::string line;
    p.memory_failure = "n";
    while (std::getline(config, line)) {
      if (line == "CONFIG_MEMORY_FAILURE=y") p.memory_failure = "y";
    }
    p.memory_failure_method = boot_config;
  } else if (path_exists("/proc/sys/vm")) {
    p.memory_failure = "n";
    p.memory_failure_method = "/proc/sys/vm/memory_failure_early_kill absent";
  } else {
    p.memory_failure = "unknown";
    p.memory_failure_method = "/proc/sys/vm not readable";
  }

  probe_kvm(p);
  return p;
}

const Probe& cached_probe() {
  static const Probe p = probe();
  return p;
}

std::string format_probe(const Probe& p) {
  std::vector<std::pair<std::string, std::string>> rows;
  auto add = [&rows](std::string name, std::string value) {
    rows.emplace_back(std::move(name), std::move(value));
  };
  add("kernel", p.kernel_release + " " + p.machine);
  add("page_size", std::to_string(p.page_size_bytes));
  add("cpu.hypervisor", yes_no(p.cpu_hypervisor_flag));
  add("uffd.syscall", p.uffd_syscall ? "yes" : "no, " + errno_text(p.uffd_syscall_errno));
  add("uffd.dev", p.uffd_dev ? "yes" : "no, " + errno_text(p.uffd_dev_errno));
  add("uffd.unprivileged_userfaultfd", std::to_string(p.unprivileged_userfaultfd));
  add("uffd.features",
      hex(p.uffd_features) + " " + join_names(uffd_feature_names(p.uffd_features)));
  add("uffd.ioctls", join_names(uffd_ioctl_names(p.uffd_ioctls)));
  for (const auto& r : p.uffd_register) {
    std::string value = r.err == 0 ? join_names(uffd_ioctl_names(r.ioctls)) : errno_text(r.err);
    if (!r.note.empty()) value += " (" + r.note + ")";
    add("uffd.register." + r.memory + "." + r.mode, value);
  }
  add("hugetlb.size_kib", std::to_string(p.hugepage_size_kib));
  add("hugetlb.nr", std::to_string(p.nr_hugepages));
  add("hugetlb.free", std::to_string(p.free_hugepages));
  add("hugetlb.overcommit", std::to_string(p.nr_overcommit_hugepages));
  add("thp.enabled", p.thp_enabled);
  add("memory_failure", p.memory_failure + " (" + p.memory_failure_method + ")");
  add("kvm.open", p.kvm_open ? "yes" : "no, " + errno_text(p.kvm_errno));
  add("kvm.api_version", std::to_string(p.kvm_api_version));
  add("kvm.vm", p.kvm_vm_created ? "created" : "no, " + errno_text(p.kvm_vm_errno));
  for (const auto& c : p.kvm_caps) {
    std::string value = "system=" + std::to_string(c.system_value);
    if (c.vm_value >= 0) value += " vm=" + std::to_string(c.vm_value);
    add("kvm.cap." + c.name, value);
  }
  add("kvm.backend", p.kvm_backend);
  add("kvm.backend_detail", p.kvm_backend_detail);
  add("kvm.nested", yes_no(p.kvm_nested));
  add("kvm.guest_access_path", p.kvm_guest_access_path + " (" + p.kvm_guest_access_detail + ")");
  add("kvm.uffd_fault_thread", p.kvm_uffd_fault_thread);

  std::size_t width = 0;
  for (const auto& [name, value] : rows) width = std::max(width, name.size());
  std::string out;
  for (const auto& [name, value] : rows) {
    out += name + ":" + std::string(width - name.size() + 1, ' ') + value + "\n";
  }
  return out;
}

nlohmann::json to_json(const Probe& p) {
  nlohmann::json j;
  j["kernel_release"] = p.kernel_release;
  j["machine"] = p.machine;
  j["page_size_bytes"] = p.page_size_bytes;
  j["cpu_hypervisor_flag"] = p.cpu_hypervisor_flag;
  nlohmann::json uffd;
  uffd["syscall"] = p.uffd_syscall;
  uffd["syscall_errno"] = p.uffd_syscall_errno;
  uffd["dev"] = p.uffd_dev;
  uffd["dev_errno"] = p.uffd_dev_errno;
  uffd["unprivileged_userfaultfd"] = p.unprivileged_userfaultfd;
  uffd["features"] = p.uffd_features;
  uffd["feature_names"] = uffd_feature_names(p.uffd_features);
  uffd["ioctls"] = p.uffd_ioctls;
  uffd["ioctl_names"] = uffd_ioctl_names(p.uffd_ioctls);
  nlohmann::json reg = nlohmann::json::array();
  for (const auto& r : p.uffd_register) {
    reg.push_back({{"memory", r.memory},
                   {"mode", r.mode},
                   {"errno", r.err},
                   {"ioctls", r.ioctls},
                   {"ioctl_names", uffd_ioctl_names(r.ioctls)},
                   {"note", r.note}});
  }
  uffd["register"] = reg;
  j["userfaultfd"] = uffd;
  j["hugetlb"] = {{"size_kib", p.hugepage_size_kib},
                  {"nr", p.nr_hugepages},
                  {"free", p.free_hugepages},
                  {"overcommit", p.nr_overcommit_hugepages}};
  j["thp_enabled"] = p.thp_enabled;
  j["memory_failure"] = {{"value", p.memory_failure}, {"method", p.memory_failure_method}};
  nlohmann::json kvm;
  kvm["open"] = p.kvm_open;
  kvm["errno"] = p.kvm_errno;
  kvm["api_version"] = p.kvm_api_version;
  kvm["vm_created"] = p.kvm_vm_created;
  kvm["vm_errno"] = p.kvm_vm_errno;
  nlohmann::json caps = nlohmann::json::object();
  for (const auto& c : p.kvm_caps) {
    caps[c.name] = {{"number", c.number}, {"system", c.system_value}, {"vm", c.vm_value}};
  }
  kvm["caps"] = caps;
  kvm["backend"] = p.kvm_backend;
  kvm["backend_detail"] = p.kvm_backend_detail;
  kvm["nested"] = p.kvm_nested;
  kvm["guest_access_path"] = p.kvm_guest_access_path;
  kvm["guest_access_detail"] = p.kvm_guest_access_detail;
  kvm["uffd_fault_thread"] = p.kvm_uffd_fault_thread;
  j["kvm"] = kvm;
  return j;
}

}  // namespace fl::shim

#include "kernel-shim/kvm.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

namespace fl::shim {
namespace {

// The signal the watchdog sends to a vCPU thread. A real-time signal so that it never collides
// with SIGBUS/SIGSEGV capture (access.cpp) or with anything a test sends.
int kick_signal() {
  return SIGRTMIN + 4;
}

thread_local volatile sig_atomic_t t_kicks = 0;

void on_kick(int /*sig*/) {
  t_kicks = t_kicks + 1;
}

// Installed once: a handler that only counts, without SA_RESTART, so that the signal makes
// KVM_RUN (and an interruptible sleep inside it) return -EINTR.
void install_kick_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = on_kick;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(kick_signal(), &sa, nullptr);
  });
}

// A SIGBUS that KVM queues for the vCPU thread (kvm_send_hwpoison_signal) is delivered when
// KVM_RUN returns to user mode, not on a faulting instruction, so the handler can simply record
// it and return. The record is per thread because only the thread that ran KVM_RUN matters.
struct SigbusRecord {
  volatile sig_atomic_t armed = 0;
  volatile sig_atomic_t hit = 0;
  volatile int code = 0;
  volatile std::uintptr_t addr = 0;
  volatile int lsb = 0;
};
thread_local SigbusRecord t_sigbus;

void on_sigbus(int sig, siginfo_t* info, void* /*ucontext*/) {
  if (t_sigbus.armed == 0) {
    // A SIGBUS outside KVM_RUN on a thread that did not ask for it: behave as if the shim were
    // not there (default action once the faulting instruction is retried).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
    return;
  }
  t_sigbus.hit = 1;
  t_sigbus.code = info->si_code;
  t_sigbus.addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  t_sigbus.lsb = info->si_addr_lsb;
}

// The process-wide SIGBUS disposition is swapped in for the duration of a KVM_RUN and restored
// afterwards, so access.cpp's own handler (which siglongjmps) keeps working between runs. The
// count lets two vCPU threads overlap.
std::mutex g_sigbus_mutex;
int g_sigbus_users = 0;
struct sigaction g_sigbus_saved {};

void sigbus_acquire() {
  std::lock_guard<std::mutex> lock(g_sigbus_mutex);
  if (g_sigbus_users++ == 0) {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_sigbus_saved);
  }
}

void sigbus_release() {
  std::lock_guard<std::mutex> lock(g_sigbus_mutex);
  if (--g_sigbus_users == 0) sigaction(SIGBUS, &g_sigbus_saved, nullptr);
}

pid_t current_tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

// A per-thread POSIX timer aimed at the calling thread: first expiry after `timeout`, then every
// 50 ms, so a kick that lands just before KVM_RUN enters the guest is repeated.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds timeout) {
    struct sigevent sev {};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = kick_signal();
    sev._sigev_un._tid = current_tid();
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer_) != 0) return;
    armed_ = true;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    struct itimerspec its {};
    its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
    its.it_interval.tv_nsec = 50 * 1000 * 1000;
    timer_settime(timer_, 0, &its, nullptr);
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    if (armed_) timer_delete(timer_);
  }
  bool armed() const { return armed_; }

 private:
  timer_t timer_{};
  bool armed_ = false;
};

}  // namespace

std::string kvm_exit_name(std::uint32_t reason) {
  switch (reason) {
    case KVM_EXIT_UNKNOWN:
      return "KVM_EXIT_UNKNOWN";
    case KVM_EXIT_EXCEPTION:
      return "KVM_EXIT_EXCEPTION";
    case KVM_EXIT_IO:
      return "KVM_EXIT_IO";
    case KVM_EXIT_HLT:
      return "KVM_EXIT_HLT";
    case KVM_EXIT_MMIO:
      return "KVM_EXIT_MMIO";
    case KVM_EXIT_SHUTDOWN:
      return "KVM_EXIT_SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY:
      return "KVM_EXIT_FAIL_ENTRY";
    case KVM_EXIT_INTR:
      return "KVM_EXIT_INTR";
    case KVM_EXIT_INTERNAL_ERROR:
      return "KVM_EXIT_INTERNAL_ERROR";
    case KVM_EXIT_MEMORY_FAULT:
      return "KVM_EXIT_MEMORY_FAULT";
    default:
      return "exit" + std::to_string(reason);
  }
}

std::string describe(const KvmExit& e) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "rc=%d errno=%d(%s) reason=%s io{port=0x%x dir=%u size=%u data=0x%02x} "
                "mmio{phys=0x%llx len=%u write=%d data=0x%02x} mf{flags=0x%llx gpa=0x%llx "
                "size=%llu} sigbus{%d code=%d addr=0x%llx lsb=%d} kicked=%d",
                e.rc, e.err, e.err != 0 ? std::strerror(e.err) : "-",
                kvm_exit_name(e.exit_reason).c_str(), e.io_port, e.io_direction, e.io_size,
                e.io_data, static_cast<unsigned long long>(e.mmio_phys), e.mmio_len,
                e.mmio_is_write ? 1 : 0, e.mmio_data, static_cast<unsigned long long>(e.mf_flags),
                static_cast<unsigned long long>(e.mf_gpa),
                static_cast<unsigned long long>(e.mf_size), e.sigbus ? 1 : 0, e.sigbus_code,
                static_cast<unsigned long long>(e.sigbus_addr), e.sigbus_lsb, e.kicked ? 1 : 0);
  return buf;
}

// ---------------------------------------------------------------------------------------------

Result<KvmSystem> KvmSystem::open() {
  UniqueFd fd(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return Errno{errno};
  return KvmSystem(std::move(fd));
}

long KvmSystem::check_extension(long cap) const {
  const int rc = ioctl(fd(), KVM_CHECK_EXTENSION, cap);
  return rc < 0 ? -errno : rc;
}

Result<std::size_t> KvmSystem::vcpu_mmap_size() const {
  const int rc = ioctl(fd(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (rc < 0) return Errno{errno};
  return static_cast<std::size_t>(rc);
}

// ---------------------------------------------------------------------------------------------

Result<KvmVm> KvmVm::create(const KvmSystem& sys, unsigned long type) {
  auto size = sys.vcpu_mmap_size();
  if (!size) return Errno{size.error()};
  // KVM_CREATE_VM can fail transiently with EINTR while the kernel waits for a previous VM's
  // teardown; one retry is enough in practice.
  int fd = ioctl(sys.fd(), KVM_CREATE_VM, type);
  if (fd < 0 && errno == EINTR) fd = ioctl(sys.fd(), KVM_CREATE_VM, type);
  if (fd < 0) return Errno{errno};
  return KvmVm(UniqueFd(fd), *size);
}

long KvmVm::check_extension(long cap) const {
  const int rc = ioctl(fd(), KVM_CHECK_EXTENSION, cap);
  return rc < 0 ? -errno : rc;
}

int KvmVm::set_memory_region(std::uint32_t slot, std::uint32_t flags, std::uint64_t gpa,
                             std::uint64_t size, const void* hva) const {
  struct kvm_userspace_memory_region r {};
  r.slot = slot;
  r.flags = flags;
  r.guest_phys_addr = gpa;
  r.memory_size = size;
  r.userspace_addr = reinterpret_cast<std::uint64_t>(hva);
  return ioctl(fd(), KVM_SET_USER_MEMORY_REGION, &r) < 0 ? errno : 0;
}

int KvmVm::set_memory_region2(std::uint32_t slot, std::uint32_t flags, std::uint64_t gpa,
                              std::uint64_t size, const void* hva, int guest_memfd,
                              std::uint64_t guest_memfd_offset) const {
  struct kvm_userspace_memory_region2 r {};
  r.slot = slot;
  r.flags = flags;
  r.guest_phys_addr = gpa;
  r.memory_size = size;
  r.userspace_addr = reinterpret_cast<std::uint64_t>(hva);
  r.guest_memfd_offset = guest_memfd_offset;
  r.guest_memfd = guest_memfd < 0 ? 0 : static_cast<std::uint32_t>(guest_memfd);
  return ioctl(fd(), KVM_SET_USER_MEMORY_REGION2, &r) < 0 ? errno : 0;
}

Result<UniqueFd> KvmVm::create_guest_memfd(std::uint64_t size, std::uint64_t flags) const {
  struct kvm_create_guest_memfd g {};
  g.size = size;
  g.flags = flags;
  const int rc = ioctl(fd(), KVM_CREATE_GUEST_MEMFD, &g);
  if (rc < 0) return Errno{errno};
  return UniqueFd(rc);
}

int KvmVm::enable_cap(std::uint32_t cap, std::uint64_t arg0) const {
  struct kvm_enable_cap c {};
  c.cap = cap;
  c.args[0] = arg0;
  return ioctl(fd(), KVM_ENABLE_CAP, &c) < 0 ? errno : 0;
}

int KvmVm::create_irqchip() const {
  return ioctl(fd(), KVM_CREATE_IRQCHIP, 0) < 0 ? errno : 0;
}

// ---------------------------------------------------------------------------------------------

std::vector<std::uint8_t> guest_code_read(std::uint16_t addr) {
  const auto lo = static_cast<std::uint8_t>(addr & 0xff);
  const auto hi = static_cast<std::uint8_t>(addr >> 8);
  const auto port = static_cast<std::uint8_t>(kGuestReportPort);
  // A0 lo hi: mov al, [addr]; E6 port: out port, al; F4: hlt.
  return {0xA0, lo, hi, 0xE6, port, 0xF4};
}

std::vector<std::uint8_t> guest_code_write(std::uint16_t addr, std::uint8_t value) {
  const auto lo = static_cast<std::uint8_t>(addr & 0xff);
  const auto hi = static_cast<std::uint8_t>(addr >> 8);
  const auto port = static_cast<std::uint8_t>(kGuestReportPort);
  // B0 value: mov al, value; A2 lo hi: mov [addr], al; E6 port: out port, al; F4: hlt.
  return {0xB0, value, 0xA2, lo, hi, 0xE6, port, 0xF4};
}

// ---------------------------------------------------------------------------------------------

Result<KvmVcpu> KvmVcpu::create(const KvmVm& vm, unsigned id) {
  UniqueFd fd(ioctl(vm.fd(), KVM_CREATE_VCPU, id));
  if (!fd.valid()) return Errno{errno};
  void* run = mmap(nullptr, vm.run_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (run == MAP_FAILED) return Errno{errno};
  return KvmVcpu(std::move(fd), static_cast<struct kvm_run*>(run), vm.run_size());
}

KvmVcpu::KvmVcpu(KvmVcpu&& other) noexcept
    : fd_(std::move(other.fd_)),
      run_(std::exchange(other.run_, nullptr)),
      run_size_(std::exchange(other.run_size_, 0)) {}

KvmVcpu& KvmVcpu::operator=(KvmVcpu&& other) noexcept {
  if (this != &other) {
    if (run_ != nullptr) munmap(run_, run_size_);
    fd_ = std::move(other.fd_);
    run_ = std::exchange(other.run_, nullptr);
    run_size_ = std::exchange(other.run_size_, 0);
  }
  return *this;
}

KvmVcpu::~KvmVcpu() {
  if (run_ != nullptr) munmap(run_, run_size_);
}

int KvmVcpu::setup_real_mode(std::uint64_t code_gpa, std::uint64_t rflags) const {
  struct kvm_sregs sregs {};
  if (ioctl(fd(), KVM_GET_SREGS, &sregs) < 0) return errno;
  for (struct kvm_segment* s : {&sregs.cs, &sregs.ds, &sregs.es, &sregs.ss, &sregs.fs, &sregs.gs}) {
    s->base = 0;
    s->selector = 0;
  }
  if (ioctl(fd(), KVM_SET_SREGS, &sregs) < 0) return errno;
  struct kvm_regs regs {};
  regs.rip = code_gpa;
  regs.rflags = rflags | 0x2;
  regs.rsp = 0;
  if (ioctl(fd(), KVM_SET_REGS, &regs) < 0) return errno;
  return 0;
}

KvmExit KvmVcpu::run(std::chrono::milliseconds timeout) const {
  install_kick_handler();
  KvmExit e;
  e.tid = current_tid();
  sigbus_acquire();
  t_sigbus.hit = 0;
  t_sigbus.armed = 1;
  const sig_atomic_t kicks_before = t_kicks;
  {
    Watchdog watchdog(timeout);
    e.rc = ioctl(fd(), KVM_RUN, 0);
    e.err = e.rc < 0 ? errno : 0;
  }
  // A kick already queued when the timer was deleted is delivered at the latest here, on the
  // next return to user mode; it only bumps the counter.
  t_sigbus.armed = 0;
  sigbus_release();
  e.kicked = t_kicks != kicks_before;
  e.sigbus = t_sigbus.hit != 0;
  e.sigbus_code = t_sigbus.code;
  e.sigbus_addr = t_sigbus.addr;
  e.sigbus_lsb = t_sigbus.lsb;

  const struct kvm_run* r = run_;
  e.exit_reason = r->exit_reason;
  switch (r->exit_reason) {
    case KVM_EXIT_IO: {
      e.io_port = r->io.port;
      e.io_direction = r->io.direction;
      e.io_size = r->io.size;
      e.io_count = r->io.count;
      const auto* data = reinterpret_cast<const std::uint8_t*>(r) + r->io.data_offset;
      e.io_data = *data;
      break;
    }
    case KVM_EXIT_MMIO:
      e.mmio_phys = r->mmio.phys_addr;
      e.mmio_len = r->mmio.len;
      e.mmio_is_write = r->mmio.is_write != 0;
      e.mmio_data = r->mmio.data[0];
      break;
    default:
      break;
  }
  // The memory_fault payload is only meaningful when KVM set the exit reason; on a plain -EFAULT
  // the reason is stale and the union holds whatever the previous exit left there.
  fl::uapi::KvmMemoryFault mf{};
  std::memcpy(&mf, reinterpret_cast<const char*>(r) + fl::uapi::kKvmRunExitUnionOffset, sizeof mf);
  if (r->exit_reason == KVM_EXIT_MEMORY_FAULT) {
    e.mf_flags = mf.flags;
    e.mf_gpa = mf.gpa;
    e.mf_size = mf.size;
  }
  return e;
}

KvmAccessPathProbe probe_kvm_access_path() {
  KvmAccessPathProbe out;
  const auto fail = [&out](const char* step, int err) {
    out.path = "unknown";
    out.detail = std::string(step) + ": " + std::strerror(err);
    return out;
  };
  auto sys = KvmSystem::open();
  if (!sys) return fail("open /dev/kvm", sys.error());
  auto vm = KvmVm::create(*sys);
  if (!vm) return fail("KVM_CREATE_VM", vm.error());
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  // One page of code at gpa 0x1000 and one of data at 0x2000, in one anonymous mapping that is
  // unmapped on every return path below (after the VM, which holds no reference to it, is gone).
  void* mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return fail("mmap", errno);
  struct Unmap {
    void* p;
    std::size_t len;
    ~Unmap() { munmap(p, len); }
  } unmap{mem, 2 * page};
  auto* bytes = static_cast<std::uint8_t*>(mem);
  const auto code = guest_code_read(0x2010);
  std::memcpy(bytes, code.data(), code.size());
  bytes[page + 0x10] = 0xa5;
  if (int err = vm->set_memory_region(0, 0, 0x1000, 2 * page, mem); err != 0)
    return fail("KVM_SET_USER_MEMORY_REGION", err);
  auto vcpu = KvmVcpu::create(*vm);
  if (!vcpu) return fail("KVM_CREATE_VCPU", vcpu.error());
  if (int err = vcpu->setup_real_mode(0x1000); err != 0) return fail("set regs", err);
  auto before = vcpu->stats();
  if (!before) return fail("KVM_GET_STATS_FD", before.error());
  const KvmExit e = vcpu->run(std::chrono::milliseconds(1000));
  if (e.rc != 0 || e.exit_reason != KVM_EXIT_IO || e.io_data != 0xa5) {
    out.detail = "the probe guest did not report its byte: " + describe(e);
    return out;
  }
  auto after = vcpu->stats();
  if (!after) return fail("KVM_GET_STATS_FD", after.error());
  const auto delta = [&](const char* name) -> long long {
    const auto a = after->find(name);
    const auto b = before->find(name);
    if (a == after->end() || b == before->end()) return -1;
    return static_cast<long long>(a->second - b->second);
  };
  const long long emulated = delta("insn_emulation");
  const long long faults = delta("pf_taken");
  out.detail = "mov al,[m]; out: insn_emulation +" + std::to_string(emulated) + ", pf_taken +" +
               std::to_string(faults);
  if (emulated < 0 || faults < 0) {
    out.path = "unknown";
  } else if (emulated >= 2 && faults == 0) {
    out.path = "emulator";
  } else {
    out.path = "mmu";
  }
  return out;
}

Result<std::map<std::string, std::uint64_t>> KvmVcpu::stats() const {
  UniqueFd sfd(ioctl(fd(), KVM_GET_STATS_FD, 0));
  if (!sfd.valid()) return Errno{errno};
  struct kvm_stats_header header {};
  if (pread(sfd.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
    return Errno{EIO};
  // The descriptor's fixed part is 16 bytes in the kernel's C layout. sizeof / offsetof of the
  // system header's struct cannot be used from C++: its flexible name[] is declared through
  // __DECLARE_FLEX_ARRAY, an empty struct that occupies a byte in C++ and shifts the name.
  constexpr std::size_t kDescFixed = 16;
  const std::size_t desc_size = kDescFixed + header.name_size;
  std::vector<char> descs(desc_size * header.num_desc);
  if (pread(sfd.get(), descs.data(), descs.size(), header.desc_offset) !=
      static_cast<ssize_t>(descs.size()))
    return Errno{EIO};
  std::map<std::string, std::uint64_t> out;
  for (std::uint32_t i = 0; i < header.num_desc; ++i) {
    const char* d = descs.data() + i * desc_size;
    std::uint32_t offset = 0;
    std::memcpy(&offset, d + 8, sizeof offset);  // flags u32, exponent s16, size u16, offset u32
    std::uint64_t value = 0;
    if (pread(sfd.get(), &value, sizeof value, header.data_offset + offset) !=
        static_cast<ssize_t>(sizeof value))
      return Errno{EIO};
    const char* name = d + kDescFixed;
    out[std::string(name, strnlen(name, header.name_size))] = value;
  }
  return out;
}

}  // namespace fl::shim

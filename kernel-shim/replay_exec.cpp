// The replayer's in-child half: builds the scenario's memory and userfaultfd contexts, starts
// one worker thread per scenario thread and monitor, forces the schedule, completes the run in
// the natural order, and reports the registers.  It runs only in a forked child, which exits
// right after reporting, so threads still asleep in the kernel and everything it mapped vanish
// with the process.

#include "kernel-shim/replay_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "kernel-shim/access.h"
#include "kernel-shim/mapping.h"
#include "kernel-shim/uapi.h"
#include "kernel-shim/userfaultfd.h"

namespace fl::shim::detail {

namespace {

namespace mm = model::mm;
using model::Value;
using Clock = std::chrono::steady_clock;

struct Obs {
  Value value = mm::kPending;
  std::string text;
  std::string detail;
  bool has_out = false;  // a paged ioctl: `out` is its output field
  std::int64_t out = 0;  // pages done, or -label of the errno the kernel wrote there
};

std::string errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

Obs from_errno(int err) {
  Obs o;
  switch (err) {
    case 0:
      o.value = mm::kOk;
      break;
    case EEXIST:
      o.value = mm::kEexist;
      break;
    case EAGAIN:
      o.value = mm::kEagain;
      break;
    case ENOENT:
      o.value = mm::kEnoent;
      break;
    case EFAULT:
      o.value = mm::kEfault;
      break;
    case EHWPOISON:
      o.value = mm::kEhwpoison;
      break;
    case EINVAL:
      o.value = mm::kEinval;
      break;
    case ENOMEM:  // madvise of a range with no VMA (the model's ENOMEM label)
      o.value = mm::kEnomem;
      break;
    case EIO:
      o.value = mm::kEio;
      break;
    case EBADF:
      o.value = mm::kEbadf;
      break;
    default:
      o.value = kUnknownValue;
      o.text = errno_name(err);
      break;
  }
  return o;
}

// A thread that runs one posted job at a time.  It is detached: it may be asleep in the kernel
// when the child exits, and process exit is what ends it.
class Worker {
 public:
  Worker() {
    std::thread([this] { loop(); }).detach();
    while (tid_.load() == 0) std::this_thread::yield();
  }
  void post(std::function<void()> job) {
    job_ = std::move(job);
    busy_.store(true);
    seq_.fetch_add(1);
    seq_.notify_one();
  }
  bool busy() const { return busy_.load(); }
  pid_t tid() const { return tid_.load(); }

 private:
  void loop() {
    tid_.store(static_cast<pid_t>(syscall(SYS_gettid)));
    std::uint32_t seen = 0;
    for (;;) {
      seq_.wait(seen);
      seen = seq_.load();
      std::function<void()> job = std::move(job_);
      job();
      busy_.store(false);
    }
  }
  std::function<void()> job_;
  std::atomic<std::uint32_t> seq_{0};
  std::atomic<bool> busy_{false};
  std::atomic<pid_t> tid_{0};
};

// A small /proc file of this process, read with plain syscalls (fast, no allocation of streams).
std::string read_proc(const std::string& path) {
  char buf[512];
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

enum class Sleep { kNo, kInUserfault, kElsewhere, kUnknownWhere };

Sleep sleep_state(pid_t tid) {
  const std::string base = "/proc/self/task/" + std::to_string(tid);
  const std::string stat = read_proc(base + "/stat");
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return Sleep::kNo;
  const char st = stat[paren + 2];
  if (st != 'S' && st != 'D') return Sleep::kNo;
  const std::string wchan = read_proc(base + "/wchan");
  // handle_userfault, or an event generator waiting in userfaultfd_event_wait_completion (which
  // may be inlined into userfaultfd_remove / userfaultfd_unmap_complete and the like).
  if (wchan.find("userfault") != std::string::npos) return Sleep::kInUserfault;
  if (wchan.empty() || wchan == "0") return Sleep::kUnknownWhere;
  return Sleep::kElsewhere;
}

struct ThreadRun {
  Worker worker;
  int started = 0;                // ops started (scheduler only)
  std::atomic<int> completed{0};  // ops finished (written by the worker)
  std::vector<Obs> obs;           // per op, valid below `completed`
  int stable = 0;                 // consecutive sleeping polls without a wchan
};

struct Message {
  int page = -1;
  int reason = 0;  // 1 missing, 2 wp, 3 minor
};

struct MonitorRun {
  Worker worker;
  std::deque<Message> held;  // read and not answered yet, oldest first
  bool deferred = false;     // the oldest got -EAGAIN and waits for a retry
  bool read_since_defer = false;
  std::vector<std::string> log;
  bool have() const { return !held.empty(); }
};

class Exec {
 public:
  Exec(const ReplayScenario& sc, const ReplayOptions& opts) : sc_(sc), d_(sc.desc), opts_(opts) {}

  nlohmann::json run(const Schedule& schedule) {
    nlohmann::json out;
    std::string err;
    if (!setup(err)) {
      out["setup_error"] = err;
      return out;
    }
    for (std::size_t i = 0; i < schedule.size(); ++i) {
      forced(schedule[i]);
      if (opts_.after_forced_step) opts_.after_forced_step(i);
    }
    natural();
    out["registers"] = registers();
    for (size_t m = 0; m < monitors_.size(); ++m) {
      for (const std::string& line : monitors_[m]->log) notes_.push_back(line);
    }
    out["notes"] = notes_;
    return out;
  }

 private:
  // ---- setup ------------------------------------------------------------------------------

  std::uint8_t source_fill(int page) const {
    switch (d_.pages[page].src) {
      case mm::Src::Data:
        return src_byte(page);
      case mm::Src::Zero:
        return 0;
      case mm::Src::Poison:
        // What a VMM that does not know about the poison would copy: garbage.
        return stale_byte(page);
    }
    return 0;
  }

  char* page_addr(int page) const {
    const mm::DescPage& p = d_.pages[page];
    return maps_[p.region].page(p.index);
  }
  std::size_t granule(int page) const { return maps_[d_.pages[page].region].granule_bytes(); }
  char* src_addr(int page) const {
    const mm::DescPage& p = d_.pages[page];
    return srcs_[p.region].page(p.index);
  }
  std::size_t file_offset(int page) const { return d_.pages[page].index * granule(page); }

  static std::size_t round_up(std::size_t v, std::size_t g) { return (v + g - 1) / g * g; }

  // Why a window.  A munmap'd region leaves a hole in the address space, and any mmap(NULL) of
  // the child may land in it: a worker's first job (ASan maps a page per thread there), malloc,
  // a sanitizer's allocator.  A later access of the old address then reads that unrelated
  // mapping (DATA_ZERO) instead of faulting (SIGSEGV): a harness artifact, not the kernel.  The
  // hole cannot be re-covered at once: with event-unmap the munmap is still asleep in
  // userfaultfd_unmap_complete while the forced order runs the next step, and a PROT_NONE cover
  // would change what the model observes besides the read (MADV_* of the range: -ENOMEM with no
  // VMA, 0 or -EFAULT with one).  So the hole stays a real hole, and the regions are put where
  // the kernel's allocator does not look first: MAP_FIXED inside a PROT_NONE MAP_NORESERVE
  // window reserved in the middle of the largest free gap of the address space.  Both the
  // top-down and the legacy bottom-up allocator return the first fitting gap from their end
  // (mm/vma.c: unmapped_area_topdown / unmapped_area), and half of that gap, terabytes on 64-bit,
  // lies between them and the window, so a hole inside the window is never handed out.
  static char* reserve_window(std::size_t len, std::size_t align, std::string& err) {
    const std::size_t total = len + align;
    void* at = mmap(reinterpret_cast<void*>(window_hint(total)), total, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (at == MAP_FAILED) {
      fail(err, "mmap(replay window)", errno);
      return nullptr;
    }
    return reinterpret_cast<char*>(round_up(reinterpret_cast<std::uintptr_t>(at), align));
  }

  // The middle of the largest gap between two mappings of /proc/self/maps that holds `len`, or
  // 0 (no hint) if the file cannot be read.
  static std::uintptr_t window_hint(std::size_t len) {
    const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    std::string text;
    char buf[4096];
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    std::uintptr_t prev_end = 0, best_start = 0, best_len = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t eol = std::min(text.find('\n', pos), text.size());
      unsigned long long start = 0, end = 0;
      // [vsyscall] (x86-64) lies above the user address space: the gap below it is no gap.
      const bool user = text.substr(pos, eol - pos).find("[vsyscall]") == std::string::npos;
      if (user && std::sscanf(text.c_str() + pos, "%llx-%llx", &start, &end) == 2) {
        // The first gap starts above the lowest mapping (below it: mmap_min_addr and the like).
        if (prev_end != 0 && start > prev_end && start - prev_end > best_len) {
          best_start = prev_end;
          best_len = start - prev_end;
        }
        prev_end = static_cast<std::uintptr_t>(end);
      }
      pos = eol + 1;
    }
    if (best_len < 4 * len) return 0;
    return round_up(best_start + best_len / 2, page_size_bytes());
  }

  bool setup(std::string& err) {
    for (const mm::DescContext& c : d_.contexts) {
      const int flags = O_CLOEXEC | O_NONBLOCK | (c.user_mode_only ? UFFD_USER_MODE_ONLY : 0);
      auto uffd = Userfaultfd::open_syscall(flags);
      if (!uffd) return fail(err, "userfaultfd(" + c.name + ")", uffd.error());
      std::uint64_t features = 0;
      for (const std::string& f : c.features) features |= uffd_feature_bit(f);
      if (auto api = uffd->api(features); !api) return fail(err, "UFFDIO_API", api.error());
      uffds_.push_back(std::move(*uffd));
      closed_.push_back(false);
    }
    // The regions live in a private window (see reserve_window): the granule of each, then its
    // place in the window, then the mappings.
    std::vector<std::size_t> grans, offsets;
    std::size_t window_len = 0, align = page_size_bytes();
    for (const mm::DescRegion& r : d_.regions) {
      std::size_t gran = page_size_bytes();
      if (r.mem == mm::Mem::Hugetlb) {
        // The huge page size, from a one-page mapping (which needs a reservable huge page, like
        // the region itself).
        auto one = Mapping::create(Backing::kHugetlbShared, 1);
        if (!one) return fail(err, "mmap(" + r.name + ")", one.error());
        gran = one->granule_bytes();
      }
      // One PROT_NONE guard page of the window before each region, so no two regions merge.
      window_len = round_up(window_len + page_size_bytes(), gran);
      offsets.push_back(window_len);
      window_len += gran * static_cast<std::size_t>(r.pages);
      grans.push_back(gran);
      align = std::max(align, gran);
    }
    char* window = nullptr;
    if (!d_.regions.empty()) {
      window = reserve_window(window_len + page_size_bytes(), align, err);
      if (window == nullptr) return false;
    }
    for (size_t i = 0; i < d_.regions.size(); ++i) {
      const mm::DescRegion& r = d_.regions[i];
      const Backing backing = r.mem == mm::Mem::Anon    ? Backing::kAnonPrivate
                              : r.mem == mm::Mem::Shmem ? Backing::kShmemShared
                                                        : Backing::kHugetlbShared;
      const std::size_t len = grans[i] * static_cast<std::size_t>(r.pages);
      auto m = Mapping::create(backing, len, Mapping::PROT_RW, window + offsets[i]);
      if (!m) return fail(err, "mmap(" + r.name + ")", m.error());
      auto src = Mapping::anon(len);
      if (!src) return fail(err, "mmap(source of " + r.name + ")", src.error());
      maps_.push_back(std::move(*m));
      srcs_.push_back(std::move(*src));
    }
    for (int p = 0; p < static_cast<int>(d_.pages.size()); ++p) {
      std::memset(src_addr(p), source_fill(p), granule(p));
      if (!init_before_register(p, err)) return false;
    }
    for (size_t r = 0; r < d_.regions.size(); ++r) {
      const mm::DescRegion& reg = d_.regions[r];
      if (reg.ctx < 0) continue;
      const std::uint64_t mode = (reg.missing ? UFFDIO_REGISTER_MODE_MISSING : 0) |
                                 (reg.wp ? UFFDIO_REGISTER_MODE_WP : 0) |
                                 (reg.minor ? UFFDIO_REGISTER_MODE_MINOR : 0);
      auto ok = uffds_[reg.ctx].register_range(maps_[r].data(), maps_[r].size_bytes(), mode);
      if (!ok) return fail(err, "UFFDIO_REGISTER(" + reg.name + ")", ok.error());
    }
    for (int p = 0; p < static_cast<int>(d_.pages.size()); ++p) {
      if (!init_after_register(p, err)) return false;
    }
    for (size_t t = 0; t < d_.threads.size(); ++t) {
      threads_.push_back(std::make_unique<ThreadRun>());
      threads_.back()->obs.resize(d_.threads[t].ops.size());
    }
    for (size_t m = 0; m < d_.monitors.size(); ++m)
      monitors_.push_back(std::make_unique<MonitorRun>());
    return true;
  }

  static bool fail(std::string& err, const std::string& what, int code) {
    err = what + ": " + errno_name(code);
    return false;
  }

  bool init_before_register(int p, std::string& err) {
    const mm::DescRegion& r = d_.regions[d_.pages[p].region];
    const Mapping& m = maps_[d_.pages[p].region];
    switch (d_.pages[p].init) {
      case mm::Init::Mapped:
      case mm::Init::MappedWp:
        std::memset(page_addr(p), source_fill(p), granule(p));
        return true;
      case mm::Init::Guard:
        if (int e = m.advise(file_offset(p), granule(p), MADV_GUARD_INSTALL); e != 0)
          return fail(err, "MADV_GUARD_INSTALL", e);
        return true;
      case mm::Init::Cached:
      case mm::Init::Stale: {
        if (r.mem == mm::Mem::Anon) return true;
        const bool stale = d_.pages[p].init == mm::Init::Stale;
        // A poisoned source page is never in the page cache as "cached" (the model has no
        // contents for it).
        if (!stale && d_.pages[p].src == mm::Src::Poison) return true;
        std::string bytes(granule(p), static_cast<char>(stale ? stale_byte(p) : source_fill(p)));
        if (int e = m.pwrite_file(file_offset(p), bytes.data(), bytes.size()); e != 0)
          return fail(err, "pwrite(page cache)", e);
        return true;
      }
      default:
        return true;
    }
  }

  bool init_after_register(int p, std::string& err) {
    const mm::DescRegion& r = d_.regions[d_.pages[p].region];
    switch (d_.pages[p].init) {
      case mm::Init::Poisoned: {
        auto res = uffds_[r.ctx].poison(page_addr(p), granule(p), UFFDIO_POISON_MODE_DONTWAKE);
        return res.ok() || fail(err, "UFFDIO_POISON (init)", res.err);
      }
      case mm::Init::MappedWp:
      case mm::Init::WpMarker: {
        int e = uffds_[r.ctx].writeprotect(page_addr(p), granule(p), UFFDIO_WRITEPROTECT_MODE_WP);
        return e == 0 || fail(err, "UFFDIO_WRITEPROTECT (init)", e);
      }
      default:
        return true;
    }
  }

  // ---- operations -------------------------------------------------------------------------

  Obs data_token(int page, std::uint8_t byte) const {
    Obs o;
    if (byte == 0) {
      o.value = mm::kDataZero;
    } else if ((byte & 0xc0) == 0x80) {
      // The source's contents (of this page, or of the page a MOVE brought here).
      o.value = mm::kDataSrc;
      if (byte != src_byte(page)) o.detail = "source byte of page " + std::to_string(byte & 0x3f);
    } else if ((byte & 0xc0) == 0x40) {
      o.value = mm::kDataStale;
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "DATA_0x%02x", byte);
      o.value = kUnknownValue;
      o.text = buf;
    }
    return o;
  }

  Obs user_access(const mm::DescOp& op) {
    const bool write = op.op == mm::Op::Write;
    char* addr = page_addr(op.page) + (write ? kWriteOffset : kReadOffset);
    const AccessOutcome a = access_byte(addr, write ? AccessKind::kWrite : AccessKind::kRead,
                                        kWriteByte, reinterpret_cast<std::uintptr_t>(addr));
    if (a.completed) return write ? from_errno(0) : data_token(op.page, a.value);
    Obs o;
    o.detail = describe(a) + " (addr relative to the accessed byte)";
    if (a.signo == SIGBUS && a.code == BUS_ADRERR) {
      o.value = mm::kSigbusAdrerr;
    } else if (a.signo == SIGBUS && a.code == BUS_MCEERR_AR) {
      o.value = mm::kSigbusMceerr;
    } else if (a.signo == SIGSEGV) {
      o.value = mm::kSigsegv;
    } else {
      o.value = kUnknownValue;
      o.text = "SIG" + std::to_string(a.signo) + "_code" + std::to_string(a.code);
    }
    return o;
  }

  // A syscall that touches the buffer: write(2) from it into a pipe (the kernel reads it,
  // copy_from_user) or read(2) from a pipe into it (the kernel writes it, copy_to_user).
  Obs syscall_access(const mm::DescOp& op) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return from_errno(errno);
    UniqueFd rd(fds[0]), wr(fds[1]);
    if (op.op == mm::Op::SysRead) {
      const ssize_t n = write(wr.get(), page_addr(op.page) + kReadOffset, 1);
      if (n != 1) return from_errno(n < 0 ? errno : EIO);
      std::uint8_t byte = 0;
      if (read(rd.get(), &byte, 1) != 1) return from_errno(EIO);
      return data_token(op.page, byte);
    }
    const std::uint8_t byte = kWriteByte;
    if (write(wr.get(), &byte, 1) != 1) return from_errno(EIO);
    const ssize_t n = read(rd.get(), page_addr(op.page) + kWriteOffset, 1);
    return from_errno(n == 1 ? 0 : (n < 0 ? errno : EIO));
  }

  // The model shows a paged ioctl's output field as pages done, or as the negated label of the
  // errno the kernel wrote there.  A field the kernel left alone reads 0 (what a caller's
  // zero-initialised struct holds).
  Obs fill_result(const UffdIoctlResult& r, int page) const {
    Obs o = from_errno(r.err);
    o.has_out = true;
    if (!r.out_written) {
      o.out = 0;
    } else if (r.out >= 0) {
      o.out = r.out / static_cast<std::int64_t>(granule(page));
    } else {
      const Obs e = from_errno(static_cast<int>(-r.out));
      o.out = e.value == kUnknownValue ? kUnknownValue : -e.value;
    }
    o.detail = "output field " + (r.out_written ? std::to_string(r.out) : "not written");
    return o;
  }

  Obs do_op(const mm::DescOp& op) {
    using mm::Op;
    if (op.ctx >= 0 && closed_[op.ctx] && op.op != Op::Close) return from_errno(EBADF);
    const bool no_page = op.op == Op::Close || op.page < 0;
    const std::size_t len = no_page ? 0 : granule(op.page) * op.len;
    char* addr = no_page ? nullptr : page_addr(op.page);
    switch (op.op) {
      case Op::Read:
      case Op::Write:
        return user_access(op);
      case Op::SysRead:
      case Op::SysWrite:
        return syscall_access(op);
      case Op::PopRead:
      case Op::PopWrite: {
        const int advice = op.op == Op::PopRead ? MADV_POPULATE_READ : MADV_POPULATE_WRITE;
        return from_errno(madvise(addr, granule(op.page), advice) == 0 ? 0 : errno);
      }
      case Op::Copy:
        return fill_result(uffds_[op.ctx].copy(addr, src_addr(op.page), len,
                                               (op.dontwake ? UFFDIO_COPY_MODE_DONTWAKE : 0) |
                                                   (op.wp ? UFFDIO_COPY_MODE_WP : 0)),
                           op.page);
      case Op::Zeropage:
        return fill_result(
            uffds_[op.ctx].zeropage(addr, len, op.dontwake ? UFFDIO_ZEROPAGE_MODE_DONTWAKE : 0),
            op.page);
      case Op::Continue:
        return fill_result(
            uffds_[op.ctx].continue_range(addr, len,
                                          (op.dontwake ? UFFDIO_CONTINUE_MODE_DONTWAKE : 0) |
                                              (op.wp ? UFFDIO_CONTINUE_MODE_WP : 0)),
            op.page);
      case Op::Poison:
        return fill_result(
            uffds_[op.ctx].poison(addr, len, op.dontwake ? UFFDIO_POISON_MODE_DONTWAKE : 0),
            op.page);
      case Op::Wake:
        return from_errno(uffds_[op.ctx].wake(addr, len));
      case Op::Protect:
      case Op::Unprotect: {
        std::uint64_t mode = op.op == Op::Protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
        if (op.dontwake) mode |= UFFDIO_WRITEPROTECT_MODE_DONTWAKE;
        return from_errno(uffds_[op.ctx].writeprotect(addr, len, mode));
      }
      case Op::Dontneed:
        return from_errno(madvise(addr, len, MADV_DONTNEED) == 0 ? 0 : errno);
      case Op::PunchHole:
        return from_errno(maps_[d_.pages[op.page].region].punch_hole(file_offset(op.page), len));
      case Op::Munmap: {
        const Mapping& m = maps_[d_.pages[op.page].region];
        return from_errno(munmap(m.data(), m.size_bytes()) == 0 ? 0 : errno);
      }
      case Op::Unregister: {
        const Mapping& m = maps_[d_.pages[op.page].region];
        return from_errno(uffds_[op.ctx].unregister(m.data(), m.size_bytes()));
      }
      case Op::GuardInstall:
      case Op::GuardRemove:
        return from_errno(
            madvise(addr, len,
                    op.op == Op::GuardInstall ? MADV_GUARD_INSTALL : MADV_GUARD_REMOVE) == 0
                ? 0
                : errno);
      case Op::Move:
        return fill_result(
            uffds_[op.ctx].move(addr, page_addr(op.src), len,
                                (op.dontwake ? UFFDIO_MOVE_MODE_DONTWAKE : 0) |
                                    (op.holes ? UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES : 0)),
            op.page);
      case Op::Close:
        // The last reference: the scheduler guarantees that no other actor is inside a call on
        // this fd, so close() runs userfaultfd_release now.
        uffds_[op.ctx].close();
        closed_[op.ctx] = true;
        return from_errno(0);
      default: {
        Obs o;
        o.value = kUnknownValue;
        o.text = "UNSUPPORTED_" + op.verb;
        return o;
      }
    }
  }

  void start_op(int t) {
    ThreadRun& tr = *threads_[t];
    const int k = tr.started++;
    const mm::DescOp op = d_.threads[t].ops[k];
    tr.worker.post([this, &tr, k, op] {
      tr.obs[k] = do_op(op);
      tr.completed.store(k + 1);
    });
  }

  // ---- the monitor ------------------------------------------------------------------------

  int page_of_address(std::uint64_t addr) const {
    for (size_t r = 0; r < maps_.size(); ++r) {
      const std::uint64_t base = maps_[r].addr();
      if (addr >= base && addr < base + maps_[r].size_bytes()) {
        return d_.regions[r].first_page +
               static_cast<int>((addr - base) / maps_[r].granule_bytes());
      }
    }
    return -1;
  }

  // Reads one message.  A page-fault message is kept for monitor_resolve; an event is handled
  // at once, as the model's monitor does (reading completes it; with wake-on-remove a REMOVE or
  // UNMAP event is followed by UFFDIO_WAKE of its range).
  void monitor_read(int m, int timeout_ms) {
    MonitorRun& mr = *monitors_[m];
    const mm::DescMonitor& md = d_.monitors[m];
    auto msg = uffds_[md.ctx].read_message(timeout_ms);
    if (!msg) return;
    mr.read_since_defer = true;
    if (msg->event == UFFD_EVENT_PAGEFAULT) {
      Message held;
      held.page = page_of_address(msg->address);
      held.reason = (msg->flags & UFFD_PAGEFAULT_FLAG_MINOR) != 0 ? 3
                    : (msg->flags & UFFD_PAGEFAULT_FLAG_WP) != 0  ? 2
                                                                  : 1;
      if (held.page >= 0) mr.held.push_back(held);
      return;
    }
    std::string line = md.name + ": " + uffd_event_name(msg->event) + " event read";
    if (msg->event == UFFD_EVENT_FORK) close(static_cast<int>(msg->fork_ufd));
    if ((msg->event == UFFD_EVENT_REMOVE || msg->event == UFFD_EVENT_UNMAP) && md.wake_on_remove) {
      const int e = uffds_[md.ctx].wake(reinterpret_cast<void*>(msg->start), msg->end - msg->start);
      line += ", UFFDIO_WAKE -> " + (e == 0 ? std::string("ok") : errno_name(e));
    }
    mr.log.push_back(line);
  }

  void monitor_resolve(int m) {
    MonitorRun& mr = *monitors_[m];
    const mm::DescMonitor& md = d_.monitors[m];
    const Message msg = mr.held.front();
    const int p = msg.page;
    const mm::DescRegion& r = d_.regions[d_.pages[p].region];
    const Userfaultfd& u = uffds_[md.ctx];
    const mm::Src src = d_.pages[p].src;
    const std::size_t g = granule(p);
    UffdIoctlResult res;
    std::string what;
    if (msg.reason == 2) {
      if (!r.wp) {
        mr.held.pop_front();
        return;
      }
      res.err = u.writeprotect(page_addr(p), g, 0);
      what = "UFFDIO_WRITEPROTECT(un-protect)";
    } else if (src == mm::Src::Poison) {
      res = u.poison(page_addr(p), g);
      what = "UFFDIO_POISON";
    } else if (msg.reason == 3) {
      std::string bytes(g, static_cast<char>(source_fill(p)));
      maps_[d_.pages[p].region].pwrite_file(file_offset(p), bytes.data(), g);
      res = u.continue_range(page_addr(p), g);
      what = "write page cache + UFFDIO_CONTINUE";
    } else if (src == mm::Src::Zero && r.mem != mm::Mem::Hugetlb) {
      res = u.zeropage(page_addr(p), g);
      what = "UFFDIO_ZEROPAGE";
    } else {
      res = u.copy(page_addr(p), src_addr(p), g);
      what = "UFFDIO_COPY";
    }
    std::string line = md.name + ": " + what + " " + d_.page_name(p) + " -> " +
                       (res.err == 0 ? "ok" : errno_name(res.err));
    if (res.err == EEXIST && md.wake_after_eexist) {
      const int e = u.wake(page_addr(p), g);
      line += ", UFFDIO_WAKE -> " + (e == 0 ? std::string("ok") : errno_name(e));
    }
    if (res.err == EAGAIN && !md.forget_eagain) {
      // mmap_changing is up: keep the message and retry once the events have been read.
      mr.deferred = true;
      mr.read_since_defer = false;
      line += " (kept for a retry)";
    } else {
      mr.held.pop_front();
      mr.deferred = false;
    }
    mr.log.push_back(line);
  }

  // ---- scheduling -------------------------------------------------------------------------

  bool in_flight(int t) const { return threads_[t]->started > threads_[t]->completed.load(); }

  // Waits until every started op has completed or sleeps in handle_userfault, and every monitor
  // step has finished.  A thread asleep somewhere else, or still running at the deadline, is
  // reported and left alone.
  void settle() {
    const auto deadline = Clock::now() + opts_.step_timeout;
    for (;;) {
      bool quiet = true;
      for (auto& mr : monitors_) quiet = quiet && !mr->worker.busy();
      for (size_t t = 0; t < threads_.size(); ++t) {
        ThreadRun& tr = *threads_[t];
        if (!in_flight(static_cast<int>(t))) continue;
        const Sleep s = sleep_state(tr.worker.tid());
        if (s == Sleep::kInUserfault) continue;
        if (s == Sleep::kUnknownWhere && ++tr.stable >= 5) continue;  // no wchan: 5 polls
        if (s != Sleep::kUnknownWhere) tr.stable = 0;
        quiet = false;
      }
      if (quiet) return;
      if (Clock::now() >= deadline) {
        notes_.push_back("a step neither completed nor blocked in handle_userfault within " +
                         std::to_string(opts_.step_timeout.count()) + " ms");
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(30));
    }
  }

  void forced(const ReplayStep& step) {
    if (step.kind == ReplayStep::Kind::kOp) {
      ThreadRun& tr = *threads_[step.actor];
      const std::string name = d_.threads[step.actor].name;
      if (in_flight(step.actor)) {
        notes_.push_back("skipped " + format_step(d_, step) + ": " + name +
                         " is still asleep in op " + std::to_string(tr.started - 1));
        return;
      }
      if (tr.started != step.op) {
        notes_.push_back("skipped " + format_step(d_, step) + ": " + name + " is at op " +
                         std::to_string(tr.started));
        return;
      }
      start_op(step.actor);
      settle();
      return;
    }
    MonitorRun& mr = *monitors_[step.actor];
    const mm::DescMonitor& md = d_.monitors[step.actor];
    if (closed_[md.ctx]) {
      notes_.push_back("skipped " + format_step(d_, step) + ": its userfaultfd is closed");
      return;
    }
    if (step.kind == ReplayStep::Kind::kRead) {
      const size_t before = mr.held.size() + mr.log.size();
      // The message was queued before its thread went to sleep, which settle() waited for.
      mr.worker.post([this, m = step.actor] { monitor_read(m, 20); });
      settle();
      if (mr.held.size() + mr.log.size() == before) {
        notes_.push_back(format_step(d_, step) + ": no message to read");
      }
      return;
    }
    if (!mr.have()) {
      notes_.push_back("skipped " + format_step(d_, step) + ": no message held");
      return;
    }
    mr.worker.post([this, m = step.actor] { monitor_resolve(m); });
    settle();
  }

  // The natural order: the first actor, in declaration order, that can take a step.
  void natural() {
    for (int guard = 0; guard < 256; ++guard) {
      bool moved = false;
      for (size_t t = 0; t < threads_.size() && !moved; ++t) {
        const int ti = static_cast<int>(t);
        if (in_flight(ti) || threads_[t]->started >= static_cast<int>(d_.threads[t].ops.size()))
          continue;
        start_op(ti);
        settle();
        moved = true;
      }
      for (size_t m = 0; m < monitors_.size() && !moved; ++m) {
        MonitorRun& mr = *monitors_[m];
        if (closed_[d_.monitors[m].ctx]) continue;
        const int mi = static_cast<int>(m);
        // Answer what is held, unless it waits for a retry; otherwise read; a deferred message
        // is retried once something was read since it failed.
        if (mr.have() && !mr.deferred) {
          mr.worker.post([this, mi] { monitor_resolve(mi); });
          settle();
          moved = true;
          continue;
        }
        const size_t before = mr.held.size() + mr.log.size();
        mr.worker.post([this, mi] { monitor_read(mi, 0); });
        settle();
        if (mr.held.size() + mr.log.size() != before) {
          moved = true;
        } else if (mr.deferred && mr.read_since_defer) {
          mr.worker.post([this, mi] { monitor_resolve(mi); });
          settle();
          moved = true;
        }
      }
      if (!moved) return;
    }
    notes_.push_back("the natural order did not come to rest after 256 steps");
  }

  nlohmann::json registers() {
    nlohmann::json regs = nlohmann::json::array();
    for (size_t t = 0; t < threads_.size(); ++t) {
      ThreadRun& tr = *threads_[t];
      const int done = tr.completed.load();
      const auto& ops = d_.threads[t].ops;
      for (int k = 0; k < static_cast<int>(ops.size()); ++k) {
        if (ops[k].reg.empty()) continue;
        Obs o;
        if (k < done) {
          o = tr.obs[k];
        } else if (k < tr.started) {
          const Sleep s = sleep_state(tr.worker.tid());
          if (s == Sleep::kInUserfault || s == Sleep::kUnknownWhere) {
            o.value = mm::kBlocked;
          } else {
            o.value = kUnknownValue;
            o.text = "STUCK";
            o.detail = "wchan " +
                       read_proc("/proc/self/task/" + std::to_string(tr.worker.tid()) + "/wchan");
          }
        }
        regs.push_back(
            {{"name", ops[k].reg}, {"value", o.value}, {"text", o.text}, {"detail", o.detail}});
        if (sc_.model.find_var(ops[k].reg + "_out") != model::kNoId) {
          regs.push_back({{"name", ops[k].reg + "_out"},
                          {"value", o.has_out ? o.out : 0},
                          {"text", o.out == kUnknownValue ? "UNKNOWN_ERRNO" : ""},
                          {"detail", ""}});
        }
      }
    }
    return regs;
  }

  const ReplayScenario& sc_;
  const mm::ScenarioDesc& d_;
  const ReplayOptions& opts_;
  std::vector<Userfaultfd> uffds_;
  std::vector<bool> closed_;
  std::vector<Mapping> maps_;
  std::vector<Mapping> srcs_;
  std::vector<std::unique_ptr<ThreadRun>> threads_;
  std::vector<std::unique_ptr<MonitorRun>> monitors_;
  std::vector<std::string> notes_;
};

}  // namespace

std::uint64_t uffd_feature_bit(const std::string& name) {
  static const std::pair<const char*, std::uint64_t> kFeatures[] = {
      {"pagefault-flag-wp", UFFD_FEATURE_PAGEFAULT_FLAG_WP},
      {"event-fork", UFFD_FEATURE_EVENT_FORK},
      {"event-remap", UFFD_FEATURE_EVENT_REMAP},
      {"event-remove", UFFD_FEATURE_EVENT_REMOVE},
      {"missing-hugetlbfs", UFFD_FEATURE_MISSING_HUGETLBFS},
      {"missing-shmem", UFFD_FEATURE_MISSING_SHMEM},
      {"event-unmap", UFFD_FEATURE_EVENT_UNMAP},
      {"sigbus", UFFD_FEATURE_SIGBUS},
      {"thread-id", UFFD_FEATURE_THREAD_ID},
      {"minor-hugetlbfs", UFFD_FEATURE_MINOR_HUGETLBFS},
      {"minor-shmem", UFFD_FEATURE_MINOR_SHMEM},
      {"exact-address", UFFD_FEATURE_EXACT_ADDRESS},
      {"wp-hugetlbfs-shmem", UFFD_FEATURE_WP_HUGETLBFS_SHMEM},
      {"wp-unpopulated", UFFD_FEATURE_WP_UNPOPULATED},
      {"poison", UFFD_FEATURE_POISON},
      {"wp-async", UFFD_FEATURE_WP_ASYNC},
      {"move", UFFD_FEATURE_MOVE},
  };
  for (const auto& [n, bit] : kFeatures) {
    if (name == n) return bit;
  }
  return 0;
}

std::string run_in_child(const ReplayScenario& sc, const Schedule& schedule,
                         const ReplayOptions& opts) {
  // Deliberately never destroyed: worker threads may still be asleep in the kernel on its
  // memory and fds, and the child exits right after reporting, which ends them all at once.
  auto* exec = new Exec(sc, opts);
  return exec->run(schedule).dump();
}

}  // namespace fl::shim::detail

#include "kernel-shim/access.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

namespace fl::shim {
namespace {

// Per-thread state the signal handler fills in. The fields the handler writes are volatile so
// that the values read after siglongjmp are the ones the handler stored.
struct Armed {
  sigjmp_buf env;
  volatile sig_atomic_t active = 0;
  volatile int signo = 0;
  volatile int code = 0;
  volatile std::uintptr_t addr = 0;
  volatile int lsb = 0;
};

thread_local Armed* t_armed = nullptr;

void on_fault_signal(int sig, siginfo_t* info, void* /*ucontext*/) {
  Armed* armed = t_armed;
  if (armed == nullptr || armed->active == 0) {
    // Not a fault we asked for: restore the default action and return, so the faulting
    // instruction runs again and the process dies exactly as it would have without the shim.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
    return;
  }
  armed->active = 0;
  armed->signo = sig;
  armed->code = info->si_code;
  armed->addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  armed->lsb = info->si_addr_lsb;
  siglongjmp(armed->env, 1);
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGSEGV, &sa, nullptr);
  });
}

struct AccessRequest {
  volatile std::uint8_t* p;
  AccessKind kind;
  std::uint8_t write_value;
  std::uint8_t value;
};

// The access itself, out of line so that guarded_access holds nothing in registers across it.
[[gnu::noinline]] void do_access(AccessRequest* req) {
  if (req->kind == AccessKind::kRead) {
    req->value = *req->p;
  } else {
    *req->p = req->write_value;
    req->value = req->write_value;
  }
}

// The only code that runs between sigsetjmp and a possible siglongjmp. Its only locals are the
// two pointers, which never change, so nothing can be clobbered by the longjmp.
[[gnu::noinline]] bool guarded_access(Armed* armed, AccessRequest* req) {
  if (sigsetjmp(armed->env, 1) != 0) return false;
  armed->active = 1;
  do_access(req);
  armed->active = 0;
  return true;
}

pid_t current_tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

bool read_full(int fd, void* buf, std::size_t len) {
  auto* out = static_cast<char*>(buf);
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = read(fd, out + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string describe(const AccessOutcome& outcome) {
  char buf[160];
  if (outcome.completed) {
    std::snprintf(buf, sizeof buf, "ok value=0x%02x", outcome.value);
  } else if (outcome.signo != 0) {
    std::snprintf(
        buf, sizeof buf, "%s code=%d addr=base%+lld lsb=%d",
        outcome.signo == SIGBUS ? "SIGBUS" : (outcome.signo == SIGSEGV ? "SIGSEGV" : "SIG?"),
        outcome.code, static_cast<long long>(outcome.addr_offset), outcome.addr_lsb);
  } else {
    std::snprintf(buf, sizeof buf, "errno=%d (%s) bytes=%zu", outcome.err,
                  std::strerror(outcome.err), outcome.bytes);
  }
  return buf;
}

AccessOutcome access_byte(void* addr, AccessKind kind, std::uint8_t write_value,
                          std::uintptr_t region_base) {
  install_handlers();
  Armed armed;
  t_armed = &armed;
  AccessOutcome out;
  AccessRequest req{static_cast<volatile std::uint8_t*>(addr), kind, write_value, 0};
  if (guarded_access(&armed, &req)) {
    out.completed = true;
    out.value = req.value;
  } else {
    out.signo = armed.signo;
    out.code = armed.code;
    out.addr = armed.addr;
    out.addr_offset = static_cast<std::intptr_t>(armed.addr - region_base);
    out.addr_lsb = armed.lsb;
  }
  t_armed = nullptr;
  return out;
}

Result<AccessOutcome> access_in_child(void* addr, AccessKind kind, std::uint8_t write_value,
                                      std::uintptr_t region_base,
                                      std::chrono::milliseconds timeout) {
  install_handlers();  // before fork, so the child runs no call_once machinery
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Errno{errno};
  UniqueFd rd(fds[0]), wr(fds[1]);
  const pid_t pid = fork();
  if (pid < 0) return Errno{errno};
  if (pid == 0) {
    // The watchdog: a child that blocks (for instance in a userfault) dies by SIGALRM.
    alarm(static_cast<unsigned>(timeout.count() / 1000 + 2));
    const AccessOutcome outcome = access_byte(addr, kind, write_value, region_base);
    const ssize_t n = write(wr.get(), &outcome, sizeof outcome);
    _exit(n == static_cast<ssize_t>(sizeof outcome) ? 0 : 1);
  }
  wr.reset();
  pollfd pfd{rd.get(), POLLIN, 0};
  int rc;
  do {
    rc = poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  AccessOutcome outcome;
  const bool answered = rc > 0 && read_full(rd.get(), &outcome, sizeof outcome);
  if (!answered) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!answered) return Errno{rc == 0 ? ETIMEDOUT : ECHILD};
  return outcome;
}

Result<std::size_t> kernel_write_via_pipe(void* addr, std::size_t len) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Errno{errno};
  UniqueFd rd(fds[0]), wr(fds[1]);
  std::vector<char> pattern(len, static_cast<char>(0xA5));
  if (write(wr.get(), pattern.data(), len) != static_cast<ssize_t>(len)) return Errno{errno};
  const ssize_t n = read(rd.get(), addr, len);
  if (n < 0) return Errno{errno};
  return static_cast<std::size_t>(n);
}

Result<std::size_t> kernel_read_via_pipe(const void* addr, std::size_t len) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return Errno{errno};
  UniqueFd rd(fds[0]), wr(fds[1]);
  const ssize_t n = write(wr.get(), addr, len);
  if (n < 0) return Errno{errno};
  return static_cast<std::size_t>(n);
}

Result<std::size_t> kernel_read_via_process_vm_readv(const void* addr, std::size_t len) {
  std::vector<char> buf(len);
  iovec local{buf.data(), len};
  iovec remote{const_cast<void*>(addr), len};
  const ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n < 0) return Errno{errno};
  return static_cast<std::size_t>(n);
}

char thread_state(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return '?';
  // The command name may contain spaces and parentheses; the state follows the last ')'.
  const auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return '?';
  return line[paren + 2];
}

std::string thread_wchan(pid_t tid) {
  std::ifstream wchan("/proc/self/task/" + std::to_string(tid) + "/wchan");
  std::string name;
  std::getline(wchan, name);
  return name;
}

BlockingCall::BlockingCall(Body body) : state_(std::make_shared<State>()) {
  thread_ = std::thread([state = state_, body = std::move(body)] {
    state->tid.store(current_tid());
    state->outcome = body();
    state->done.store(true);
  });
}

BlockingCall::~BlockingCall() {
  if (!thread_.joinable()) return;
  if (wait_done(std::chrono::milliseconds(3000))) {
    thread_.join();
  } else {
    // Still asleep in the kernel: joining could hang the caller. The thread owns its state
    // through the shared_ptr, so detaching it is memory-safe; it finishes when its userfaultfd is
    // released or the process exits.
    thread_.detach();
  }
}

std::unique_ptr<BlockingCall> BlockingCall::access(void* addr, AccessKind kind,
                                                   std::uint8_t write_value,
                                                   std::uintptr_t region_base) {
  return std::make_unique<BlockingCall>(
      [=] { return access_byte(addr, kind, write_value, region_base); });
}

std::unique_ptr<BlockingCall> BlockingCall::kernel_write(void* addr, std::size_t len) {
  return std::make_unique<BlockingCall>([=] {
    AccessOutcome out;
    const auto result = kernel_write_via_pipe(addr, len);
    out.err = result.error();
    out.bytes = result.ok() ? *result : 0;
    out.completed = result.ok();
    return out;
  });
}

pid_t BlockingCall::tid() const {
  for (int i = 0; i < 1000 && state_->tid.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return state_->tid.load();
}

bool BlockingCall::wait_blocked(std::chrono::milliseconds timeout) const {
  const pid_t id = tid();
  if (id == 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int asleep_polls = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return false;
    const char state = thread_state(id);
    asleep_polls = (state == 'S' || state == 'D') ? asleep_polls + 1 : 0;
    // Several consecutive sleeping samples: a thread that merely got descheduled between two
    // instructions shows 'R', so only a real sleep in the kernel passes this.
    if (asleep_polls >= 5) return !done();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

bool BlockingCall::wait_done(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace fl::shim

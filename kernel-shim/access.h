#pragma once
// Accessing memory the way a scenario's actors do, and recording what the kernel answered:
//  - user-mode accesses of one byte with SIGBUS / SIGSEGV captured (si_signo, si_code, si_addr,
//    si_addr_lsb), in the calling thread, in a forked child, or in a thread that may block in
//    handle_userfault (observable as "blocked" with timeouts, so nothing hangs);
//  - kernel-mode accesses (the kernel's own copy_to_user / copy_from_user / GUP on the address),
//    which report an errno instead of a signal.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "kernel-shim/result.h"

namespace fl::shim {

enum class AccessKind { kRead, kWrite };

struct AccessOutcome {
  bool completed = false;   // the access finished without a signal
  std::uint8_t value = 0;   // the byte read, or the byte written
  int signo = 0;            // SIGBUS / SIGSEGV when !completed
  int code = 0;             // si_code
  std::uintptr_t addr = 0;  // si_addr
  // addr minus the region base the caller passed (so tests can pin "page + 0x123").
  std::intptr_t addr_offset = 0;
  int addr_lsb = 0;  // si_addr_lsb, meaningful for BUS_MCEERR_*; 0 otherwise
  // Kernel-mode accesses (BlockingCall::kernel_*): the errno, 0 on success, and the bytes moved.
  int err = 0;
  std::size_t bytes = 0;
};

// One-line rendering, e.g. "read 0x00" or "SIGBUS code=4 addr=base+0x1000 lsb=12".
std::string describe(const AccessOutcome& outcome);

// Performs one byte access at addr in the calling thread with SIGBUS and SIGSEGV captured.
// region_base is subtracted from si_addr to fill si_addr_offset.
AccessOutcome access_byte(void* addr, AccessKind kind, std::uint8_t write_value,
                          std::uintptr_t region_base);

// The same access in a forked child, so that an unexpected fatal signal or a hang cannot take the
// caller down; the child has an alarm() watchdog. ETIMEDOUT if the child did not answer in time
// (it is then killed and reaped). Note the child's view of the address space is a fork's view:
// without UFFD_FEATURE_EVENT_FORK its VMAs are not userfaultfd-registered.
Result<AccessOutcome> access_in_child(void* addr, AccessKind kind, std::uint8_t write_value,
                                      std::uintptr_t region_base,
                                      std::chrono::milliseconds timeout);

// Kernel-mode accesses. Each returns the number of bytes transferred, or the errno.
// The kernel writes into [addr, addr + len) from a pipe with read(2): copy_to_user, a kernel-mode
// write fault on the user address.
Result<std::size_t> kernel_write_via_pipe(void* addr, std::size_t len);
// The kernel reads [addr, addr + len) into a pipe with write(2): copy_from_user.
Result<std::size_t> kernel_read_via_pipe(const void* addr, std::size_t len);
// process_vm_readv from our own pid: remote GUP (FOLL_REMOTE) on the source address.
Result<std::size_t> kernel_read_via_process_vm_readv(const void* addr, std::size_t len);

// The scheduler state letter of a thread of this process from /proc/self/task/TID/stat
// ('R', 'S', 'D', ...), or '?' if it cannot be read.
char thread_state(pid_t tid);
// /proc/self/task/TID/wchan (the kernel function the thread sleeps in, if the kernel exposes it).
std::string thread_wchan(pid_t tid);

// Runs a body in its own thread so that an access which sleeps in handle_userfault can be
// observed as blocked and later resolved. The body's result lands in shared state, so the object
// can be destroyed while the thread is still asleep: the destructor waits a bounded time and then
// detaches (the thread finishes when the test closes the userfaultfd or the process exits).
class BlockingCall {
 public:
  using Body = std::function<AccessOutcome()>;

  explicit BlockingCall(Body body);
  BlockingCall(const BlockingCall&) = delete;
  BlockingCall& operator=(const BlockingCall&) = delete;
  ~BlockingCall();

  // A user-mode byte access in the thread.
  static std::unique_ptr<BlockingCall> access(void* addr, AccessKind kind, std::uint8_t write_value,
                                              std::uintptr_t region_base);
  // A kernel-mode write of len bytes into addr (read(2) from a pipe) in the thread; the outcome
  // carries err / bytes.
  static std::unique_ptr<BlockingCall> kernel_write(void* addr, std::size_t len);

  pid_t tid() const;
  // True once the body returned.
  bool done() const { return state_->done.load(); }
  // Waits until the thread is asleep in the kernel (state 'S' or 'D', stable over a few polls) or
  // the body returned. Returns true iff it is asleep.
  bool wait_blocked(std::chrono::milliseconds timeout) const;
  // Waits until the body returns; false on timeout.
  bool wait_done(std::chrono::milliseconds timeout) const;
  // The body's outcome; valid only when done().
  const AccessOutcome& outcome() const { return state_->outcome; }

 private:
  struct State {
    std::atomic<pid_t> tid{0};
    std::atomic<bool> done{false};
    AccessOutcome outcome;
  };
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace fl::shim

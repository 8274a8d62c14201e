#pragma once
// A thin RAII wrapper over one userfaultfd context (fs/userfaultfd.c). Every ioctl returns what
// the kernel returned: the errno and, for the fill ioctls, the output field the kernel wrote
// back (copy / zeropage / mapped / updated / move), because the model predicts both.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel-shim/result.h"
#include "kernel-shim/uapi.h"

namespace fl::shim {

// The outcome of an ioctl that has an output field. err is 0 on success, else the errno of the
// failed ioctl (e.g. EEXIST, EAGAIN). out is the output field as the kernel left it: bytes done,
// or a negative errno (the kernel writes -EEXIST etc. there too). out_written tells whether the
// kernel touched the field at all (the wrapper pre-fills it with a sentinel).
struct UffdIoctlResult {
  int err = 0;
  std::int64_t out = 0;
  bool out_written = false;
  bool ok() const { return err == 0; }
};

struct UffdApiInfo {
  std::uint64_t features = 0;  // what UFFDIO_API wrote back
  std::uint64_t ioctls = 0;    // bit n = ioctl _UFFDIO n is supported
};

// A decoded struct uffd_msg.
struct UffdMessage {
  std::uint8_t event = 0;
  // PAGEFAULT
  std::uint64_t flags = 0;
  std::uint64_t address = 0;
  std::uint32_t ptid = 0;
  // FORK
  std::uint32_t fork_ufd = 0;
  // REMAP
  std::uint64_t remap_from = 0, remap_to = 0, remap_len = 0;
  // REMOVE / UNMAP
  std::uint64_t start = 0, end = 0;
};

class Userfaultfd {
 public:
  // userfaultfd(2) via syscall(SYS_userfaultfd, flags). flags: O_CLOEXEC, O_NONBLOCK,
  // UFFD_USER_MODE_ONLY.
  static Result<Userfaultfd> open_syscall(int flags = 0);
  // open("/dev/userfaultfd") + ioctl(USERFAULTFD_IOC_NEW, flags) (v6.1).
  static Result<Userfaultfd> open_dev(int flags = 0);
  // Adopts an fd the kernel created (e.g. the one a FORK event carries).
  static Userfaultfd adopt(int fd) { return Userfaultfd(UniqueFd(fd)); }

  Userfaultfd(Userfaultfd&&) noexcept = default;
  Userfaultfd& operator=(Userfaultfd&&) noexcept = default;

  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  // Closes the fd now (userfaultfd_release runs if this was the last reference).
  void close() { fd_.reset(); }

  // UFFDIO_API with api = UFFD_API and the requested features.
  Result<UffdApiInfo> api(std::uint64_t features = 0) const;
  // UFFDIO_REGISTER; on success returns the ioctls bitmask the kernel reports for the range.
  Result<std::uint64_t> register_range(const void* start, std::size_t len,
                                       std::uint64_t mode) const;
  int unregister(const void* start, std::size_t len) const;

  UffdIoctlResult copy(void* dst, const void* src, std::size_t len, std::uint64_t mode = 0) const;
  UffdIoctlResult zeropage(void* start, std::size_t len, std::uint64_t mode = 0) const;
  UffdIoctlResult continue_range(void* start, std::size_t len, std::uint64_t mode = 0) const;
  UffdIoctlResult poison(void* start, std::size_t len, std::uint64_t mode = 0) const;
  UffdIoctlResult move(void* dst, void* src, std::size_t len, std::uint64_t mode = 0) const;
  // UFFDIO_WRITEPROTECT; mode UFFDIO_WRITEPROTECT_MODE_WP protects, 0 resolves (and wakes).
  int writeprotect(void* start, std::size_t len, std::uint64_t mode) const;
  int wake(void* start, std::size_t len) const;

  // Waits up to timeout_ms for a message (poll), then reads one. ETIMEDOUT if none arrived;
  // otherwise the errno of poll/read.
  Result<UffdMessage> read_message(int timeout_ms) const;

 private:
  explicit Userfaultfd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Names of the set bits ("POISON", "MOVE", ...); unknown bits print as "bit<N>".
std::vector<std::string> uffd_feature_names(std::uint64_t features);
// Names of the ioctls in an ioctls bitmask ("COPY", "ZEROPAGE", ...).
std::vector<std::string> uffd_ioctl_names(std::uint64_t ioctls);
const char* uffd_event_name(std::uint8_t event);
// Joins names with '|' ("-" for none).
std::string join_names(const std::vector<std::string>& names);

}  // namespace fl::shim

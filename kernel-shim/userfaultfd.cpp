#include "kernel-shim/userfaultfd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace fl::shim {
namespace {

// The output fields are pre-filled with this value so that "the kernel did not write the field"
// is distinguishable from any value it can write (bytes done, or a negative errno).
constexpr std::int64_t kUnwritten = std::numeric_limits<std::int64_t>::min();

std::uint64_t to_u64(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

template <class Arg>
UffdIoctlResult fill_ioctl(int fd, unsigned long request, Arg& arg, __s64 Arg::*out_field) {
  arg.*out_field = kUnwritten;
  UffdIoctlResult result;
  if (ioctl(fd, request, &arg) != 0) result.err = errno;
  result.out = arg.*out_field;
  result.out_written = result.out != kUnwritten;
  return result;
}

}  // namespace

Result<Userfaultfd> Userfaultfd::open_syscall(int flags) {
  const long fd = syscall(SYS_userfaultfd, flags);
  if (fd < 0) return Errno{errno};
  return Userfaultfd(UniqueFd(static_cast<int>(fd)));
}

Result<Userfaultfd> Userfaultfd::open_dev(int flags) {
  UniqueFd dev(open("/dev/userfaultfd", O_RDWR | O_CLOEXEC));
  if (!dev.valid()) return Errno{errno};
  const int fd = ioctl(dev.get(), USERFAULTFD_IOC_NEW, flags);
  if (fd < 0) return Errno{errno};
  return Userfaultfd(UniqueFd(fd));
}

Result<UffdApiInfo> Userfaultfd::api(std::uint64_t features) const {
  uffdio_api arg{};
  arg.api = UFFD_API;
  arg.features = features;
  if (ioctl(fd(), UFFDIO_API, &arg) != 0) return Errno{errno};
  return UffdApiInfo{arg.features, arg.ioctls};
}

Result<std::uint64_t> Userfaultfd::register_range(const void* start, std::size_t len,
                                                  std::uint64_t mode) const {
  uffdio_register arg{};
  arg.range.start = to_u64(start);
  arg.range.len = len;
  arg.mode = mode;
  if (ioctl(fd(), UFFDIO_REGISTER, &arg) != 0) return Errno{errno};
  return static_cast<std::uint64_t>(arg.ioctls);
}

int Userfaultfd::unregister(const void* start, std::size_t len) const {
  uffdio_range arg{to_u64(start), len};
  return ioctl(fd(), UFFDIO_UNREGISTER, &arg) == 0 ? 0 : errno;
}

UffdIoctlResult Userfaultfd::copy(void* dst, const void* src, std::size_t len,
                                  std::uint64_t mode) const {
  uffdio_copy arg{};
  arg.dst = to_u64(dst);
  arg.src = to_u64(src);
  arg.len = len;
  arg.mode = mode;
  return fill_ioctl(fd(), UFFDIO_COPY, arg, &uffdio_copy::copy);
}

UffdIoctlResult Userfaultfd::zeropage(void* start, std::size_t len, std::uint64_t mode) const {
  uffdio_zeropage arg{};
  arg.range = {to_u64(start), len};
  arg.mode = mode;
  return fill_ioctl(fd(), UFFDIO_ZEROPAGE, arg, &uffdio_zeropage::zeropage);
}

UffdIoctlResult Userfaultfd::continue_range(void* start, std::size_t len,
                                            std::uint64_t mode) const {
  uffdio_continue arg{};
  arg.range = {to_u64(start), len};
  arg.mode = mode;
  return fill_ioctl(fd(), UFFDIO_CONTINUE, arg, &uffdio_continue::mapped);
}

UffdIoctlResult Userfaultfd::poison(void* start, std::size_t len, std::uint64_t mode) const {
  uffdio_poison arg{};
  arg.range = {to_u64(start), len};
  arg.mode = mode;
  return fill_ioctl(fd(), UFFDIO_POISON, arg, &uffdio_poison::updated);
}

UffdIoctlResult Userfaultfd::move(void* dst, void* src, std::size_t len, std::uint64_t mode) const {
  uffdio_move arg{};
  arg.dst = to_u64(dst);
  arg.src = to_u64(src);
  arg.len = len;
  arg.mode = mode;
  return fill_ioctl(fd(), UFFDIO_MOVE, arg, &uffdio_move::move);
}

int Userfaultfd::writeprotect(void* start, std::size_t len, std::uint64_t mode) const {
  uffdio_writeprotect arg{};
  arg.range = {to_u64(start), len};
  arg.mode = mode;
  return ioctl(fd(), UFFDIO_WRITEPROTECT, &arg) == 0 ? 0 : errno;
}

int Userfaultfd::wake(void* start, std::size_t len) const {
  uffdio_range arg{to_u64(start), len};
  return ioctl(fd(), UFFDIO_WAKE, &arg) == 0 ? 0 : errno;
}

Result<UffdMessage> Userfaultfd::read_message(int timeout_ms) const {
  pollfd pfd{fd(), POLLIN, 0};
  int rc;
  do {
    rc = poll(&pfd, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Errno{errno};
  if (rc == 0) return Errno{ETIMEDOUT};
  if ((pfd.revents & POLLIN) == 0) return Errno{(pfd.revents & POLLERR) != 0 ? EINVAL : EPIPE};

  uffd_msg msg{};
  ssize_t n;
  do {
    n = read(fd(), &msg, sizeof msg);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno{errno};
  if (static_cast<std::size_t>(n) != sizeof msg) return Errno{EIO};

  UffdMessage out;
  out.event = msg.event;
  switch (msg.event) {
    case UFFD_EVENT_PAGEFAULT:
      out.flags = msg.arg.pagefault.flags;
      out.address = msg.arg.pagefault.address;
      out.ptid = msg.arg.pagefault.feat.ptid;
      break;
    case UFFD_EVENT_FORK:
      out.fork_ufd = msg.arg.fork.ufd;
      break;
    case UFFD_EVENT_REMAP:
      out.remap_from = msg.arg.remap.from;
      out.remap_to = msg.arg.remap.to;
      out.remap_len = msg.arg.remap.len;
      break;
    case UFFD_EVENT_REMOVE:
    case UFFD_EVENT_UNMAP:
      out.start = msg.arg.remove.start;
      out.end = msg.arg.remove.end;
      break;
    default:
      break;
  }
  return out;
}

std::vector<std::string> uffd_feature_names(std::uint64_t features) {
  static const char* const kNames[] = {"PAGEFAULT_FLAG_WP",
                                       "EVENT_FORK",
                                       "EVENT_REMAP",
                                       "EVENT_REMOVE",
                                       "MISSING_HUGETLBFS",
                                       "MISSING_SHMEM",
                                       "EVENT_UNMAP",
                                       "SIGBUS",
                                       "THREAD_ID",
                                       "MINOR_HUGETLBFS",
                                       "MINOR_SHMEM",
                                       "EXACT_ADDRESS",
                                       "WP_HUGETLBFS_SHMEM",
                                       "WP_UNPOPULATED",
                                       "POISON",
                                       "WP_ASYNC",
                                       "MOVE"};
  std::vector<std::string> names;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if ((features & (std::uint64_t{1} << bit)) == 0) continue;
    if (bit < std::size(kNames)) {
      names.emplace_back(kNames[bit]);
    } else {
      names.push_back("bit" + std::to_string(bit));
    }
  }
  return names;
}

std::vector<std::string> uffd_ioctl_names(std::uint64_t ioctls) {
  std::vector<std::string> names;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if ((ioctls & (std::uint64_t{1} << bit)) == 0) continue;
    switch (bit) {
      case _UFFDIO_REGISTER:
        names.emplace_back("REGISTER");
        break;
      case _UFFDIO_UNREGISTER:
        names.emplace_back("UNREGISTER");
        break;
      case _UFFDIO_WAKE:
        names.emplace_back("WAKE");
        break;
      case _UFFDIO_COPY:
        names.emplace_back("COPY");
        break;
      case _UFFDIO_ZEROPAGE:
        names.emplace_back("ZEROPAGE");
        break;
      case _UFFDIO_MOVE:
        names.emplace_back("MOVE");
        break;
      case _UFFDIO_WRITEPROTECT:
        names.emplace_back("WRITEPROTECT");
        break;
      case _UFFDIO_CONTINUE:
        names.emplace_back("CONTINUE");
        break;
      case _UFFDIO_POISON:
        names.emplace_back("POISON");
        break;
      case _UFFDIO_API:
        names.emplace_back("API");
        break;
      default:
        names.push_back("ioctl" + std::to_string(bit));
        break;
    }
  }
  return names;
}

const char* uffd_event_name(std::uint8_t event) {
  switch (event) {
    case UFFD_EVENT_PAGEFAULT:
      return "PAGEFAULT";
    case UFFD_EVENT_FORK:
      return "FORK";
    case UFFD_EVENT_REMAP:
      return "REMAP";
    case UFFD_EVENT_REMOVE:
      return "REMOVE";
    case UFFD_EVENT_UNMAP:
      return "UNMAP";
    default:
      return "?";
  }
}

std::string join_names(const std::vector<std::string>& names) {
  if (names.empty()) return "-";
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += '|';
    out += name;
  }
  return out;
}

}  // namespace fl::shim

#include "kernel-shim/mapping.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "kernel-shim/uapi.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

namespace fl::shim {
namespace {

// The default huge page size from /proc/meminfo ("Hugepagesize: 2048 kB"), or 0 if unknown.
std::size_t default_hugepage_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  while (meminfo >> key) {
    if (key == "Hugepagesize:") {
      std::size_t kib = 0;
      meminfo >> kib;
      return kib * 1024;
    }
    meminfo.ignore(4096, '\n');
  }
  return 0;
}

std::size_t round_up(std::size_t value, std::size_t granule) {
  return (value + granule - 1) / granule * granule;
}

}  // namespace

std::size_t page_size_bytes() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

const char* backing_name(Backing backing) {
  switch (backing) {
    case Backing::kAnonPrivate:
      return "anon";
    case Backing::kShmemShared:
      return "shmem-shared";
    case Backing::kShmemPrivate:
      return "shmem-private";
    case Backing::kHugetlbAnon:
      return "hugetlb-anon";
    case Backing::kHugetlbShared:
      return "hugetlb-shared";
  }
  return "?";
}

Result<Mapping> Mapping::create(Backing backing, std::size_t len_bytes, int prot, void* at) {
  const bool huge = backing == Backing::kHugetlbAnon || backing == Backing::kHugetlbShared;
  std::size_t granule = page_size_bytes();
  if (huge) {
    granule = default_hugepage_bytes();
    if (granule == 0) return Errno{ENOTSUP};
  }
  const std::size_t len = round_up(len_bytes == 0 ? granule : len_bytes, granule);

  UniqueFd memfd;
  int flags = 0;
  switch (backing) {
    case Backing::kAnonPrivate:
      flags = MAP_PRIVATE | MAP_ANONYMOUS;
      break;
    case Backing::kHugetlbAnon:
      flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
      break;
    case Backing::kShmemShared:
    case Backing::kShmemPrivate:
    case Backing::kHugetlbShared: {
      const unsigned mfd_flags = MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0U);
      memfd.reset(memfd_create("faultline", mfd_flags));
      if (!memfd.valid()) return Errno{errno};
      if (ftruncate(memfd.get(), static_cast<off_t>(len)) != 0) return Errno{errno};
      flags = backing == Backing::kShmemPrivate ? MAP_PRIVATE : MAP_SHARED;
      break;
    }
  }
  if (at != nullptr) flags |= MAP_FIXED;
  void* addr = mmap(at, len, prot, flags, memfd.valid() ? memfd.get() : -1, 0);
  if (addr == MAP_FAILED) return Errno{errno};
  return Mapping(addr, len, granule, backing, std::move(memfd));
}

Mapping::Mapping(Mapping&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)),
      len_(std::exchange(other.len_, 0)),
      granule_(other.granule_),
      backing_(other.backing_),
      memfd_(std::move(other.memfd_)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    unmap();
    addr_ = std::exchange(other.addr_, nullptr);
    len_ = std::exchange(other.len_, 0);
    granule_ = other.granule_;
    backing_ = other.backing_;
    memfd_ = std::move(other.memfd_);
  }
  return *this;
}

Mapping::~Mapping() {
  unmap();
}

int Mapping::unmap() {
  if (addr_ == nullptr) return 0;
  const int rc = munmap(addr_, len_);
  const int err = rc == 0 ? 0 : errno;
  addr_ = nullptr;
  len_ = 0;
  return err;
}

int Mapping::advise(std::size_t offset_bytes, std::size_t len_bytes, int advice) const {
  return madvise(data() + offset_bytes, len_bytes, advice) == 0 ? 0 : errno;
}

int Mapping::punch_hole(std::size_t offset_bytes, std::size_t len_bytes) const {
  if (!memfd_.valid()) return EBADF;
  const int rc = fallocate(memfd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                           static_cast<off_t>(offset_bytes), static_cast<off_t>(len_bytes));
  return rc == 0 ? 0 : errno;
}

int Mapping::pwrite_file(std::size_t offset_bytes, const void* src, std::size_t len_bytes) const {
  if (!memfd_.valid()) return EBADF;
  const ssize_t n = pwrite(memfd_.get(), src, len_bytes, static_cast<off_t>(offset_bytes));
  if (n < 0) return errno;
  return static_cast<std::size_t>(n) == len_bytes ? 0 : EIO;
}

}  // namespace fl::shim

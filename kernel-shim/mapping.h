#pragma once
// Memory regions the shim maps for a scenario: anonymous private memory, shmem (a memfd mapped
// shared or private) and hugetlb. One RAII object per mapping; it also owns the memfd when there
// is one, so fallocate punch-hole can be applied to the backing file.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernel-shim/result.h"

namespace fl::shim {

// The base page size of the running kernel, in bytes.
std::size_t page_size_bytes();

enum class Backing {
  kAnonPrivate,    // mmap(MAP_PRIVATE | MAP_ANONYMOUS)
  kShmemShared,    // memfd_create + mmap(MAP_SHARED)
  kShmemPrivate,   // memfd_create + mmap(MAP_PRIVATE): private COW pages over page cache
  kHugetlbAnon,    // mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB)
  kHugetlbShared,  // memfd_create(MFD_HUGETLB) + mmap(MAP_SHARED)
};

const char* backing_name(Backing backing);

class Mapping {
 public:
  // Maps len_bytes (rounded up to the page size of the backing) of the given backing. hugetlb
  // backings fail with the mmap errno (ENOMEM) unless the pool has reservable pages; the shim
  // never changes the hugetlb sysctls.  With `at` set, the mapping is placed exactly there
  // (MAP_FIXED: `at` must be aligned to the granule and lie inside address space the caller has
  // reserved, for instance a PROT_NONE window of its own).
  static Result<Mapping> create(Backing backing, std::size_t len_bytes, int prot = PROT_RW,
                                void* at = nullptr);
  static Result<Mapping> anon(std::size_t len_bytes) {
    return create(Backing::kAnonPrivate, len_bytes);
  }
  static Result<Mapping> shmem(std::size_t len_bytes, bool shared = true) {
    return create(shared ? Backing::kShmemShared : Backing::kShmemPrivate, len_bytes);
  }

  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  ~Mapping();

  char* data() const { return static_cast<char*>(addr_); }
  std::uintptr_t addr() const { return reinterpret_cast<std::uintptr_t>(addr_); }
  std::size_t size_bytes() const { return len_; }
  // The granule of this mapping: the base page, or the huge page for hugetlb.
  std::size_t granule_bytes() const { return granule_; }
  char* page(std::size_t index) const { return data() + index * granule_; }
  Backing backing() const { return backing_; }
  // The backing memfd, or -1 for anonymous memory.
  int memfd() const { return memfd_.get(); }

  // madvise over [offset, offset + len); returns 0 or the errno.
  int advise(std::size_t offset_bytes, std::size_t len_bytes, int advice) const;
  // fallocate(PUNCH_HOLE | KEEP_SIZE) on the backing file; returns 0 or the errno (EBADF for
  // anonymous memory).
  int punch_hole(std::size_t offset_bytes, std::size_t len_bytes) const;
  // pwrite into the backing file (populates the page cache without mapping anything).
  int pwrite_file(std::size_t offset_bytes, const void* src, std::size_t len_bytes) const;
  // Unmaps now; returns 0 or the errno. The destructor does the same, ignoring errors.
  int unmap();

  static constexpr int PROT_RW = 0x3;  // PROT_READ | PROT_WRITE, without including sys/mman.h

 private:
  Mapping(void* addr, std::size_t len, std::size_t granule, Backing backing, UniqueFd memfd)
      : addr_(addr), len_(len), granule_(granule), backing_(backing), memfd_(std::move(memfd)) {}

  void* addr_ = nullptr;
  std::size_t len_ = 0;
  std::size_t granule_ = 0;
  Backing backing_ = Backing::kAnonPrivate;
  UniqueFd memfd_;
};

}  // namespace fl::shim

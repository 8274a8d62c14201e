#pragma once
// A zero-filled array in its own anonymous memory mapping, with transparent
// huge pages requested (madvise; this machine's default is "madvise").
//
// The visited set's index is probed at random; with 4 KiB pages almost
// every probe of a large index also misses the TLB, and the page walk costs
// as much as the cache miss.  2 MiB pages remove most of those walks.  The
// kernel also hands the mapping out zeroed, so a fresh index costs no
// explicit clearing pass.

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace fl::sim {

template <class T>
class ZeroedArray {
 public:
  ZeroedArray() = default;
  explicit ZeroedArray(size_t n) : size_(n) {
    if (n == 0) return;
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t bytes = (n * sizeof(T) + 4095) & ~size_t{4095};
    // Over-allocate so that the array can start on a 2 MiB boundary, then
    // give back the unaligned head and the tail.
    const size_t span = bytes >= kHuge ? bytes + kHuge : bytes;
    void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    auto start = reinterpret_cast<uintptr_t>(p);
    if (span != bytes) {
      const uintptr_t aligned = (start + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
      if (aligned > start) munmap(p, aligned - start);
      const uintptr_t end = start + span;
      if (end > aligned + bytes)
        munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
      start = aligned;
      madvise(reinterpret_cast<void*>(start), bytes, MADV_HUGEPAGE);
    }
    data_ = reinterpret_cast<T*>(start);
    bytes_ = bytes;
  }
  ~ZeroedArray() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  ZeroedArray(ZeroedArray&& o) noexcept { swap(o); }
  ZeroedArray& operator=(ZeroedArray&& o) noexcept {
    ZeroedArray(std::move(o)).swap(*this);
    return *this;
  }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;

  void swap(ZeroedArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(bytes_, o.bytes_);
  }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace fl::sim

#include "sim/state_table.h"

#include <sys/mman.h>

#include <bit>

#include "sim/hash.h"

namespace fl::sim {

namespace {
constexpr uint32_t kInitialIndexBits = 12;
}

StateTable::StateTable(uint32_t words, uint64_t memory_cap_bytes, uint64_t max_states)
    : words_(words),
      memory_cap_bytes_(memory_cap_bytes),
      max_states_(max_states == 0 || max_states > kMaxStates ? kMaxStates : max_states) {
  index_ = ZeroedArray<uint32_t>(1ULL << kInitialIndexBits);
  set_index_bits(kInitialIndexBits);
  // Other threads read stored states while the merge adds blocks, so the
  // block list must never move: it is allocated once, for the most blocks.
  const uint64_t max_blocks = (max_states_ + kBlockStates - 1) >> kBlockShift;
  blocks_.reserve(max_blocks);
  constexpr uint64_t kHuge = 2ULL << 20;
  const uint64_t bytes = max_blocks * block_bytes();
  void* p = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) {
    const auto start = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (start + kHuge - 1) & ~(kHuge - 1);
    if (aligned > start) munmap(p, aligned - start);
    if (aligned + bytes < start + bytes + kHuge) {
      munmap(reinterpret_cast<void*>(aligned + bytes), start + bytes + kHuge - aligned - bytes);
    }
    region_ = reinterpret_cast<uint64_t*>(aligned);
    region_bytes_ = bytes;
    madvise(region_, bytes, MADV_HUGEPAGE);
  }
}

StateTable::~StateTable() {
  if (region_ != nullptr) munmap(region_, region_bytes_);
}

void StateTable::set_index_bits(uint32_t bits) {
  shift_ = 64 - bits;
  number_mask_ = bits >= 32 ? ~0U : (1U << bits) - 1;
  grow_at_ = (1ULL << bits) / 4 * 3;
}

uint64_t StateTable::bytes_used() const {
  return blocks_.size() * block_bytes() + index_.size() * sizeof(uint32_t) +
         blocks_.capacity() * sizeof(blocks_[0]);
}

bool StateTable::equal(uint64_t i, const uint64_t* state) const {
  const uint64_t* s = this->state(i);
  for (uint32_t w = 0; w < words_; ++w) {
    if (s[w] != state[w]) return false;
  }
  return true;
}

// Doubles the index and reinserts every state, rehashing it from its stored
// words (states never move, so their numbers stay valid).
bool StateTable::grow_index() {
  const uint64_t new_size = index_.size() * 2;
  // Both indices exist at once while rebuilding.
  if (memory_cap_bytes_ != 0 && bytes_used() + new_size * sizeof(uint32_t) > memory_cap_bytes_) {
    return false;
  }
  const uint64_t during = bytes_used() + new_size * sizeof(uint32_t);
  if (during > peak_bytes_) peak_bytes_ = during;
  ZeroedArray<uint32_t> fresh(new_size);
  set_index_bits(64 - shift_ + 1);
  const uint64_t mask = new_size - 1;
  // The slots are written in random order: hash a few states ahead and
  // prefetch their slots so that the cache misses overlap.
  constexpr uint64_t kAhead = 16;
  uint64_t ahead[kAhead];
  for (uint64_t i = 0; i < size_ && i < kAhead; ++i) {
    ahead[i] = hash_words(state(i), words_);
    __builtin_prefetch(&fresh[slot_of(ahead[i])], 1);
  }
  for (uint64_t i = 0; i < size_; ++i) {
    const uint64_t hash = ahead[i % kAhead];
    if (i + kAhead < size_) {
      ahead[i % kAhead] = hash_words(state(i + kAhead), words_);
      __builtin_prefetch(&fresh[slot_of(ahead[i % kAhead])], 1);
    }
    uint64_t slot = slot_of(hash);
    while (fresh[slot] != 0) slot = (slot + 1) & mask;
    fresh[slot] = static_cast<uint32_t>(i + 1) | tag_of(hash);
  }
  index_.swap(fresh);
  return true;
}

bool StateTable::add_block() {
  if (memory_cap_bytes_ != 0 && bytes_used() + block_bytes() > memory_cap_bytes_) return false;
  if (region_ != nullptr) {
    blocks_.push_back(region_ + blocks_.size() * kBlockStates * words_);
  } else {
    owned_.push_back(std::make_unique_for_overwrite<uint64_t[]>(kBlockStates * words_));
    blocks_.push_back(owned_.back().get());
  }
  return true;
}

StateTable::Insert StateTable::insert(const uint64_t* state, uint64_t hash) {
  const uint64_t mask = index_.size() - 1;
  const uint32_t tag = tag_of(hash);
  uint64_t slot = slot_of(hash);
  for (;;) {
    const uint32_t entry = index_[slot];
    if (entry == 0) break;
    if ((entry & ~number_mask_) == tag && equal(number_of(entry), state)) {
      return {Status::Present, number_of(entry)};
    }
    slot = (slot + 1) & mask;
  }
  // Absent: make room first, so that a Full table is left unchanged.
  if (size_ >= max_states_) return {Status::StateLimit, 0};
  if ((size_ & kBlockMask) == 0 && (size_ >> kBlockShift) == blocks_.size() && !add_block()) {
    return {Status::Full, 0};
  }
  if (size_ + 1 > grow_at_) {
    if (!grow_index()) return {Status::Full, 0};
    slot = slot_of(hash);
    while (index_[slot] != 0) slot = (slot + 1) & (index_.size() - 1);
  }
  const uint32_t entry_tag = tag_of(hash);
  const uint64_t i = size_++;
  uint64_t* dst = blocks_[i >> kBlockShift] + (i & kBlockMask) * words_;
  for (uint32_t w = 0; w < words_; ++w) dst[w] = state[w];
  index_[slot] = static_cast<uint32_t>(i + 1) | entry_tag;
  return {Status::Added, i};
}

}  // namespace fl::sim

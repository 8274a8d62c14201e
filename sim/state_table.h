#pragma once
// The visited set of the breadth-first search: an exact open-addressing hash
// table of packed states (no probabilistic omission: two states are the same
// only if all their words are equal).
//
// States are stored contiguously in insertion order, which for BFS is also
// exploration order, so a state's index is its BFS number and the frontier is
// simply the range of indices not yet expanded.  No parent is stored: the
// search records where each BFS level starts, and a trace is rebuilt by
// finding, in the previous level, the first state that has the wanted state
// as a successor (sim/trace.h).  That is exactly the state that discovered
// it, so traces are those of the search, at no memory cost per state.
//
// Storage is in fixed-size blocks so that growing never copies states;
// only the index (an array of uint32 entries, linear probing) is rebuilt,
// from the stored states, when it is 3/4 full.  An index of 2^b slots holds
// fewer than 2^b states, so an entry needs only b bits for the state number;
// the other 32 - b bits keep a tag of the state's hash, which lets a probe
// skip (without a cache miss) almost every stored state that is not the one
// looked up.

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/huge_array.h"

namespace fl::sim {

class StateTable {
 public:
  // The largest number of states (indices are uint32 and one value marks an
  // empty index slot).
  static constexpr uint64_t kMaxStates = 0xfffffffeULL;

  // Full: adding the state would exceed the memory cap; StateLimit: the
  // table already holds max_states states.  Either way it is unchanged.
  enum class Status { Added, Present, Full, StateLimit };
  struct Insert {
    Status status = Status::Full;
    uint64_t index = 0;  // the state's number, for Added and Present
  };

  // `words` per state; the table never grows beyond `memory_cap_bytes`
  // (0 = no cap): an insert that would need more memory returns Full; nor
  // beyond `max_states` states (0 = kMaxStates): then it returns StateLimit.
  StateTable(uint32_t words, uint64_t memory_cap_bytes, uint64_t max_states = 0);
  ~StateTable();
  StateTable(const StateTable&) = delete;
  StateTable& operator=(const StateTable&) = delete;

  // Looks `state` up by its hash (hash_words(state)); adds it if absent.
  Insert insert(const uint64_t* state, uint64_t hash);

  // Hints the cache that the index slot of `hash` is about to be probed.
  void prefetch(uint64_t hash) const { __builtin_prefetch(&index_[slot_of(hash)]); }
  // Hints the cache that the state in the first index slot of `hash` is
  // about to be compared (call it after prefetch(), when that slot is
  // likely in cache: most lookups of an explored model find their state).
  void prefetch_state(uint64_t hash) const {
    const uint32_t entry = index_[slot_of(hash)];
    if (entry != 0) __builtin_prefetch(state(number_of(entry)));
  }

  uint64_t size() const { return size_; }
  uint32_t words() const { return words_; }
  const uint64_t* state(uint64_t i) const {
    return blocks_[i >> kBlockShift] + (i & kBlockMask) * words_;
  }

  // Changes the memory cap (0 = none) for later inserts.
  void set_memory_cap(uint64_t bytes) { memory_cap_bytes_ = bytes; }

  // Bytes allocated by the table (states and index).
  uint64_t bytes_used() const;
  // The most bytes it ever held at once (the old and the new index coexist
  // while the index grows).
  uint64_t peak_bytes() const { return peak_bytes_ > bytes_used() ? peak_bytes_ : bytes_used(); }
  // Bytes the next growth of the index will allocate.
  uint64_t next_growth_bytes() const { return index_.size() * 2 * sizeof(uint32_t); }

 private:
  static constexpr uint32_t kBlockShift = 16;  // 65,536 states per block
  static constexpr uint64_t kBlockStates = 1ULL << kBlockShift;
  static constexpr uint64_t kBlockMask = kBlockStates - 1;

  uint64_t slot_of(uint64_t hash) const { return hash >> shift_; }
  // An entry is (state number + 1) | (tag << index bits); 0 is empty.
  uint64_t number_of(uint32_t entry) const { return (entry & number_mask_) - 1; }
  uint32_t tag_of(uint64_t hash) const { return static_cast<uint32_t>(hash) & ~number_mask_; }
  void set_index_bits(uint32_t bits);
  bool equal(uint64_t i, const uint64_t* state) const;
  bool grow_index();
  bool add_block();
  uint64_t block_bytes() const { return kBlockStates * words_ * 8ULL; }

  uint32_t words_;
  uint64_t memory_cap_bytes_;
  uint64_t max_states_;
  uint64_t peak_bytes_ = 0;
  uint64_t size_ = 0;
  std::vector<uint64_t*> blocks_;
  // Blocks are carved, in order, out of one reserved address range backed
  // by huge pages (memory is committed only as states are written), so that
  // the random state comparisons of lookups rarely miss the TLB.  Where the
  // range cannot be reserved, each block is allocated on its own.
  uint64_t* region_ = nullptr;
  uint64_t region_bytes_ = 0;
  std::vector<std::unique_ptr<uint64_t[]>> owned_;
  ZeroedArray<uint32_t> index_;  // 0 = empty, else state index + 1
  uint32_t shift_ = 0;           // 64 - log2(index size)
  uint32_t number_mask_ = 0;     // the entry bits that hold the state number
  uint64_t grow_at_ = 0;         // size at which the index is rebuilt
};

}  // namespace fl::sim

#pragma once
// Bit-packing of a state.
//
// Every flat slot of the model holds a value in its variable's range
// [min, max]; it is stored as value - min in ceil(log2(max - min + 1)) bits.
// Fields never straddle a 64-bit word (so that reading one is a shift and a
// mask), and the bits a state does not use are always zero, so two states
// are equal exactly when their packed words are equal: the packed words are
// the canonical encoding that is hashed and stored.

#include <cstdint>
#include <span>
#include <vector>

#include "model/ir.h"

namespace fl::sim {

// Where one slot lives in the packed words.
struct Field {
  uint32_t word = 0;
  uint32_t shift = 0;
  uint32_t bits = 0;  // 0 for a variable with a single value
  uint64_t mask = 0;  // (1 << bits) - 1, already shifted into place
  model::Value min = 0;
};

class StateLayout {
 public:
  explicit StateLayout(const model::Model& m);

  uint32_t num_slots() const { return static_cast<uint32_t>(fields_.size()); }
  // 64-bit words per packed state (at least one, so that every state has a
  // non-empty encoding).
  uint32_t words() const { return words_; }
  // Bits actually used (for reports).
  uint32_t bits() const { return bits_; }
  const Field& field(uint32_t slot) const { return fields_[slot]; }

  // `values` must hold one in-range value per slot; `out` has words() words.
  void pack(const model::Value* values, uint64_t* out) const;
  void unpack(const uint64_t* in, model::Value* values) const;

  // Writes one slot into packed words already holding a valid state.
  void set(uint64_t* words, uint32_t slot, model::Value v) const {
    const Field& f = fields_[slot];
    words[f.word] =
        (words[f.word] & ~f.mask) |
        (((static_cast<uint64_t>(v) - static_cast<uint64_t>(f.min)) << f.shift) & f.mask);
  }
  model::Value get(const uint64_t* words, uint32_t slot) const {
    const Field& f = fields_[slot];
    return static_cast<model::Value>(static_cast<uint64_t>(f.min) +
                                     ((words[f.word] & f.mask) >> f.shift));
  }

  // The canonical byte encoding: the packed words in little-endian order.
  std::vector<uint8_t> encode(const uint64_t* packed) const;

 private:
  std::vector<Field> fields_;
  uint32_t words_ = 1;
  uint32_t bits_ = 0;
};

// ceil(log2(max - min + 1)): the bits needed for a range (0 for one value).
uint32_t bits_for_range(model::Value min, model::Value max);

}  // namespace fl::sim

#include "sim/state_layout.h"

#include <bit>

namespace fl::sim {

uint32_t bits_for_range(model::Value min, model::Value max) {
  // The difference is taken in unsigned arithmetic so that the full int64
  // range (which needs all 64 bits) does not overflow.
  const uint64_t span = static_cast<uint64_t>(max) - static_cast<uint64_t>(min);
  return span == 0 ? 0 : static_cast<uint32_t>(64 - std::countl_zero(span));
}

StateLayout::StateLayout(const model::Model& m) {
  fields_.resize(m.num_slots());
  uint32_t word = 0;
  uint32_t used = 0;  // bits used in `word`
  for (uint32_t s = 0; s < m.num_slots(); ++s) {
    const model::Var& v = m.vars[m.slots[s].var];
    Field& f = fields_[s];
    f.bits = bits_for_range(v.min, v.max);
    f.min = v.min;
    if (used + f.bits > 64) {
      ++word;
      used = 0;
    }
    f.word = word;
    f.shift = used;
    f.mask = f.bits == 0 ? 0 : ((f.bits == 64 ? ~0ULL : ((1ULL << f.bits) - 1)) << used);
    used += f.bits;
    bits_ += f.bits;
  }
  words_ = word + 1;
}

void StateLayout::pack(const model::Value* values, uint64_t* out) const {
  for (uint32_t w = 0; w < words_; ++w) out[w] = 0;
  for (uint32_t s = 0; s < fields_.size(); ++s) {
    const Field& f = fields_[s];
    out[f.word] |=
        ((static_cast<uint64_t>(values[s]) - static_cast<uint64_t>(f.min)) << f.shift) & f.mask;
  }
}

void StateLayout::unpack(const uint64_t* in, model::Value* values) const {
  for (uint32_t s = 0; s < fields_.size(); ++s) {
    const Field& f = fields_[s];
    values[s] = static_cast<model::Value>(static_cast<uint64_t>(f.min) +
                                          ((in[f.word] & f.mask) >> f.shift));
  }
}

std::vector<uint8_t> StateLayout::encode(const uint64_t* packed) const {
  std::vector<uint8_t> bytes(static_cast<size_t>(words_) * 8);
  for (uint32_t w = 0; w < words_; ++w) {
    for (uint32_t b = 0; b < 8; ++b) bytes[w * 8 + b] = static_cast<uint8_t>(packed[w] >> (8 * b));
  }
  return bytes;
}

}  // namespace fl::sim

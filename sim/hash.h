#pragma once
// 64-bit hashing of packed states, written here so that the hash (and with it
// every table layout decision) is identical on every platform and compiler.

#include <cstdint>

namespace fl::sim {

// The splitmix64 finaliser: a bijective mix in which every input bit
// affects every output bit, so that the high bits used for the table slot
// are well distributed even for states that differ in one low bit.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// wyhash's 128-bit multiply-and-fold, which combines two words without the
// weak cancellations of plain xor/add.
inline uint64_t mum64(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// Hash of a packed state of `n` words.  A one-word state (the common case)
// costs one mix; longer states fold each word in with a distinct constant.
inline uint64_t hash_words(const uint64_t* words, uint32_t n) {
  if (n == 1) return mix64(words[0]);
  uint64_t h = 0xa0761d6478bd642fULL ^ n;
  for (uint32_t i = 0; i < n; ++i) {
    h = mum64(h ^ words[i], 0xe7037ed1a0b428dbULL + (static_cast<uint64_t>(i) << 1));
  }
  return mix64(h);
}

}  // namespace fl::sim

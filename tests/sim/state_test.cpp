// The packed state layout and the visited-set table.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "model/builder.h"
#include "model/eval.h"
#include "postcopy_fixture.h"
#include "sim/hash.h"
#include "sim/state_layout.h"
#include "sim/state_table.h"

namespace fl::sim {
namespace {

TEST(StateLayout, BitsPerRange) {
  EXPECT_EQ(bits_for_range(0, 0), 0U);
  EXPECT_EQ(bits_for_range(0, 1), 1U);
  EXPECT_EQ(bits_for_range(0, 2), 2U);
  EXPECT_EQ(bits_for_range(-1, 6), 3U);
  EXPECT_EQ(bits_for_range(0, 8), 4U);
  EXPECT_EQ(bits_for_range(INT64_MIN, INT64_MAX), 64U);
}

TEST(StateLayout, PostcopyFitsOneWord) {
  // pte 7x2 + pending 7x1 + pc 4x3 + blocked 4x1 + handler 3 + prefetch_pc 3 = 43 bits.
  const model::Model m = test::postcopy_model(4, 7);
  StateLayout layout(m);
  EXPECT_EQ(layout.bits(), 43U);
  EXPECT_EQ(layout.words(), 1U);
}

TEST(StateLayout, RoundTripAndCanonicalBytes) {
  model::Model m;
  model::Builder b(m);
  b.array("wide", 3, INT64_MIN / 2, INT64_MAX / 2, {0});  // 63 bits each: one word apiece
  b.scalar("neg", -5, -2, -3);
  b.scalar("one", 7, 7, 7);
  b.finalize();
  StateLayout layout(m);
  EXPECT_EQ(layout.words(), 4U);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000; ++i) {
    model::State s(m.num_slots());
    for (uint32_t k = 0; k < m.num_slots(); ++k) {
      const model::Var& v = m.vars[m.slots[k].var];
      s[k] = std::uniform_int_distribution<model::Value>(v.min, v.max)(rng);
    }
    std::vector<uint64_t> packed(layout.words(), ~0ULL);
    layout.pack(s.data(), packed.data());
    model::State back(m.num_slots());
    layout.unpack(packed.data(), back.data());
    ASSERT_EQ(s, back);
    // Unused bits are zero: bit 63 of the wide words, all but 2 bits of the last.
    for (int w = 0; w < 3; ++w) EXPECT_EQ(packed[w] >> 63, 0U);
    EXPECT_EQ(packed[3] >> 2, 0U);
    EXPECT_EQ(layout.encode(packed.data()).size(), 32U);
    std::vector<uint64_t> copy = packed;
    layout.set(copy.data(), 3, -5);
    EXPECT_EQ(layout.get(copy.data(), 3), -5);
    EXPECT_EQ(layout.get(copy.data(), 0), s[0]);
  }
}

TEST(Hash, SpreadsSmallDifferences) {
  // Neighbouring states must land in different high bits (the table slot).
  std::vector<uint64_t> top;
  for (uint64_t x = 0; x < 4096; ++x) top.push_back(mix64(x) >> 52);
  std::sort(top.begin(), top.end());
  const auto distinct = std::unique(top.begin(), top.end()) - top.begin();
  EXPECT_GT(distinct, 2400);  // ~2589 expected for 4096 balls in 4096 bins
  const uint64_t a[2] = {1, 2};
  const uint64_t b[2] = {2, 1};
  EXPECT_NE(hash_words(a, 2), hash_words(b, 2));
}

TEST(StateTable, InsertFindGrow) {
  StateTable t(2, 0);
  for (uint64_t i = 0; i < 300000; ++i) {
    const uint64_t s[2] = {i * 7, i ^ 0x5555};
    const auto r = t.insert(s, hash_words(s, 2));
    ASSERT_EQ(r.status, StateTable::Status::Added);
    ASSERT_EQ(r.index, i);
  }
  for (uint64_t i = 0; i < 300000; i += 97) {
    const uint64_t s[2] = {i * 7, i ^ 0x5555};
    const auto r = t.insert(s, hash_words(s, 2));
    ASSERT_EQ(r.status, StateTable::Status::Present);
    ASSERT_EQ(r.index, i);
    EXPECT_EQ(t.state(i)[0], i * 7);
  }
  EXPECT_EQ(t.size(), 300000U);
  EXPECT_GT(t.bytes_used(), 300000U * 16);
}

TEST(StateTable, LimitsLeaveTheTableUnchanged) {
  StateTable t(1, 0, 3);
  for (uint64_t i = 0; i < 3; ++i)
    EXPECT_EQ(t.insert(&i, mix64(i)).status, StateTable::Status::Added);
  uint64_t old = 1;
  EXPECT_EQ(t.insert(&old, mix64(old)).status, StateTable::Status::Present);
  uint64_t fresh = 9;
  EXPECT_EQ(t.insert(&fresh, mix64(fresh)).status, StateTable::Status::StateLimit);
  EXPECT_EQ(t.size(), 3U);

  StateTable small(
      1, 1 << 20);  // 1 MiB: one block of 65,536 states fits, the index grows until it does not
  uint64_t i = 0;
  StateTable::Status s = StateTable::Status::Added;
  for (; s == StateTable::Status::Added; ++i) s = small.insert(&i, mix64(i)).status;
  EXPECT_EQ(s, StateTable::Status::Full);
  EXPECT_LE(small.peak_bytes(), 1U << 20);
  EXPECT_EQ(small.size(), i - 1);
}

}  // namespace
}  // namespace fl::sim

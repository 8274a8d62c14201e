// The model's ioctl argument checks against the kernel's, over all 64-bit
// arguments, and the pinned verdict of which individual checks are needed.

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "proofs/ioctl_args.h"

namespace fl {
namespace {

using model::uffd::Ioctl;

const proofs::IoctlReport& report() {
  static const proofs::IoctlReport r = proofs::prove_ioctls();
  return r;
}

std::set<std::string> implied(const std::vector<proofs::CheckVerdict>& checks) {
  std::set<std::string> out;
  for (const auto& c : checks) {
    if (!c.needed) out.insert(c.check);
  }
  return out;
}

TEST(IoctlArgs, ModelAndKernelAcceptTheSameArguments) {
  const proofs::IoctlReport& r = report();
  SCOPED_TRACE(proofs::render(r));
  EXPECT_TRUE(r.internal_error.empty()) << r.internal_error;
  ASSERT_EQ(r.ioctls.size(), std::size(model::uffd::kAllIoctls));
  EXPECT_TRUE(r.all_equivalent());
}

// In validate_range(), `!len` and the wrap-around test are each implied by
// the others (but not both at once); COPY's and MOVE's second range check
// repeats the length tests of the first.  Every model check is needed.
TEST(IoctlArgs, WhichChecksAreNeeded) {
  const std::set<std::string> range_implied = {"validate_range(range): !len",
                                               "validate_range(range): start + len <= start"};
  for (const proofs::IoctlProof& p : report().ioctls) {
    SCOPED_TRACE(model::uffd::name(p.ioctl));
    std::set<std::string> expected = range_implied;
    if (p.ioctl == Ioctl::Copy) {
      expected = {"validate_unaligned_range(src): len & ~PAGE_MASK",
                  "validate_unaligned_range(src): !len",
                  "validate_unaligned_range(src): start + len <= start",
                  "validate_range(dst): len & ~PAGE_MASK",
                  "validate_range(dst): !len",
                  "validate_range(dst): start + len <= start"};
    } else if (p.ioctl == Ioctl::Move) {
      expected = {"validate_range(dst): len & ~PAGE_MASK",
                  "validate_range(dst): !len",
                  "validate_range(dst): start + len <= start",
                  "validate_range(src): len & ~PAGE_MASK",
                  "validate_range(src): !len",
                  "validate_range(src): start + len <= start"};
    }
    EXPECT_EQ(implied(p.kernel_checks), expected);
    EXPECT_TRUE(implied(p.model_checks).empty());
    // The implied ones cannot all go at once: len == 0 would then pass.
    ASSERT_TRUE(p.kernel_implied_jointly_needed);
    EXPECT_FALSE(p.model_implied_jointly_needed);
    for (const auto& c : p.kernel_checks) {
      if (c.needed) {
        ASSERT_TRUE(c.witness) << c.check;
        EXPECT_FALSE(proofs::kernel_accepts(p.ioctl, *c.witness)) << c.check;
        EXPECT_FALSE(proofs::model_accepts(p.ioctl, *c.witness)) << c.check;
      }
    }
  }
}

TEST(IoctlArgs, ConcreteEdgesAgree) {
  const uint64_t T = model::uffd::kTaskSize, P = model::uffd::kPageSize;
  const uint64_t edges[] = {0,
                            1,
                            P - 1,
                            P,
                            P + 1,
                            2 * P,
                            T - P,
                            T,
                            T + P,
                            1ull << 47,
                            ~0ull - P + 1,
                            ~0ull,
                            0x8000000000000000ull};
  std::mt19937_64 rng(6);
  std::vector<uint64_t> vals(std::begin(edges), std::end(edges));
  for (int i = 0; i < 20; ++i) vals.push_back(rng() & ~(P - 1));
  for (Ioctl op : model::uffd::kAllIoctls) {
    for (int i = 0; i < 300; ++i) {
      proofs::IoctlArgs a{vals[rng() % vals.size()], vals[rng() % vals.size()],
                          vals[rng() % vals.size()], rng() % 8};
      EXPECT_EQ(proofs::kernel_accepts(op, a), proofs::model_accepts(op, a))
          << model::uffd::name(op) << " dst=" << a.dst << " src=" << a.src << " len=" << a.len
          << " mode=" << a.mode;
    }
  }
  // A few by hand.
  EXPECT_TRUE(proofs::model_accepts(Ioctl::Copy, {T - P, T - 2 * P + 1, P, 1}));  // src unaligned
  EXPECT_FALSE(proofs::model_accepts(Ioctl::Move, {T - P, T - 2 * P + 1, P, 1}));
  EXPECT_FALSE(
      proofs::model_accepts(Ioctl::Copy, {T - P, T - P + 1, P, 1}));   // src end > TASK_SIZE
  EXPECT_FALSE(proofs::model_accepts(Ioctl::Register, {0, 0, P, 0}));  // empty mode
  EXPECT_FALSE(proofs::model_accepts(Ioctl::Writeprotect, {0, 0, P, 3}));
  EXPECT_FALSE(proofs::model_accepts(Ioctl::Wake, {T, 0, P, 0}));
  EXPECT_TRUE(proofs::model_accepts(Ioctl::Wake, {T - P, 0, P, 0}));
}

}  // namespace
}  // namespace fl

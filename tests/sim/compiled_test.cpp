// Differential test: the compiled bytecode (sim/compiled.h) must compute
// exactly what the reference interpreter (model/eval.cpp) computes, on random
// states of several models, including every run-time error's message and
// location.  Seeds are fixed so that a failure reproduces.

#include <gtest/gtest.h>

#include <random>

#include "model/builder.h"
#include "model/eval.h"
#include "postcopy_fixture.h"
#include "sim/compiled.h"

namespace fl::sim {
namespace {

using model::BinaryOp;
using model::Builder;
using model::Id;
using model::Value;

// Random expressions and statements over a few variables, deliberately
// able to fail: indices and assigned values stray out of range, divisors
// can be zero, asserts can fail.
class RandomModel {
 public:
  explicit RandomModel(uint64_t seed) : rng_(seed) {}

  model::Model build() {
    model::Model m;
    Builder b(m);
    b_ = &b;
    arr_ = b.array("a", 4, -2, 5, {0});
    flags_ = b.array("f", 3, 0, 1, {0});
    x_ = b.scalar("x", -3, 3, 0);
    y_ = b.scalar("y", 0, 7, 1, {}, model::SourceLoc{"r.fl", 3, 1});
    locals_ = {b.new_local(), b.new_local()};
    Id actor = b.actor("t");
    for (int i = 0; i < 8; ++i) {
      b.action(actor, "act" + std::to_string(i), "", expr(3), stmt(3),
               model::SourceLoc{"r.fl", 10 + i, 2});
    }
    for (int i = 0; i < 6; ++i) {
      b.property("p" + std::to_string(i), model::PropertyKind::Invariant, expr(4));
    }
    b.finalize();
    return m;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Id expr(int depth) {
    Builder& b = *b_;
    const int choice = depth <= 0 ? pick(4) : pick(11);
    switch (choice) {
      case 0:
        return b.lit(pick(11) - 4);
      case 1:
        return b.var(pick(2) == 0 ? x_ : y_);
      case 2:
        return b.elem(pick(2) == 0 ? arr_ : flags_, b.lit(pick(6) - 1));
      case 3:
        return b.local(locals_[pick(2)]);
      case 4:
        return b.elem(pick(2) == 0 ? arr_ : flags_, expr(depth - 1));
      case 5:
        return b.unary(pick(2) == 0 ? model::UnaryOp::Not : model::UnaryOp::Neg, expr(depth - 1));
      case 6:
        return b.ite(expr(depth - 1), expr(depth - 1), expr(depth - 1));
      default: {
        const auto op = static_cast<BinaryOp>(pick(static_cast<int>(BinaryOp::Max) + 1));
        return b.binary(op, expr(depth - 1), expr(depth - 1));
      }
    }
  }

  Id stmt(int depth) {
    Builder& b = *b_;
    const model::SourceLoc loc{"r.fl", 100 + pick(50), 4};
    const int choice = depth <= 0 ? pick(4) : pick(7);
    switch (choice) {
      case 0:
        return b.assign(pick(2) == 0 ? x_ : y_, expr(2));
      case 1:
        return b.assign(pick(2) == 0 ? arr_ : flags_, expr(1), expr(2));
      case 2:
        return b.let(locals_[pick(2)], expr(2));
      case 3:
        return pick(3) == 0 ? b.assert_(expr(2), "random", loc) : b.skip();
      case 4:
        return b.if_(expr(2), stmt(depth - 1), pick(2) == 0 ? model::kNoId : stmt(depth - 1));
      default: {
        std::vector<Id> body;
        for (int i = 0, n = 1 + pick(3); i < n; ++i) body.push_back(stmt(depth - 1));
        return b.seq(body);
      }
    }
  }

  std::mt19937_64 rng_;
  Builder* b_ = nullptr;
  Id arr_ = 0, flags_ = 0, x_ = 0, y_ = 0;
  std::vector<Id> locals_;
};

model::State random_state(const model::Model& m, std::mt19937_64& rng) {
  model::State s(m.num_slots());
  for (uint32_t i = 0; i < m.num_slots(); ++i) {
    const model::Var& v = m.vars[m.slots[i].var];
    s[i] = std::uniform_int_distribution<Value>(v.min, v.max)(rng);
  }
  return s;
}

void expect_same_error(const model::EvalError& want, const model::EvalError& got) {
  EXPECT_EQ(want.message, got.message);
  EXPECT_EQ(want.loc.file, got.loc.file);
  EXPECT_EQ(want.loc.line, got.loc.line);
  EXPECT_EQ(want.loc.col, got.loc.col);
}

// Compares guards, successors (run whether or not the guard holds) and
// properties on `rounds` random states.  Returns how many evaluations
// failed with a model error, so that a test can check errors were covered.
int compare(const model::Model& m, uint64_t seed, int rounds) {
  StateLayout layout(m);
  Compiled c(m, layout);
  std::mt19937_64 rng(seed);
  int errors = 0;
  for (int round = 0; round < rounds; ++round) {
    const model::State s = random_state(m, rng);
    for (Id a = 0; a < m.actions.size(); ++a) {
      model::EvalError want_err, got_err;
      const auto want = model::enabled(m, a, s, want_err);
      const auto got = c.enabled(a, s, got_err);
      EXPECT_EQ(want, got) << "guard of action " << a;
      if (!want) expect_same_error(want_err, got_err);
      model::EvalError want_err2, got_err2;
      const auto want_next = model::successor(m, a, s, want_err2);
      const auto got_next = c.successor(a, s, got_err2);
      EXPECT_EQ(want_next, got_next) << "successor by action " << a;
      if (!want_next) {
        expect_same_error(want_err2, got_err2);
        ++errors;
      }
    }
    for (Id p = 0; p < m.properties.size(); ++p) {
      model::EvalError want_err, got_err;
      const std::vector<Value> locals(m.num_locals, 0);
      const auto want = model::eval(m, m.properties[p].expr, s, locals, want_err);
      const auto got = c.eval(c.property(p), s, got_err);
      EXPECT_EQ(want, got) << "property " << p;
      if (!want) {
        expect_same_error(want_err, got_err);
        ++errors;
      }
    }
    if (::testing::Test::HasFailure()) return errors;
  }
  return errors;
}

TEST(Compiled, MatchesReferenceOnPostcopy) {
  for (bool wake : {true, false}) {
    compare(test::postcopy_model(2, 4, wake), 1, 500);
    compare(test::postcopy_model(3, 5, wake), 2, 500);
  }
}

TEST(Compiled, MatchesReferenceOnRandomModels) {
  int errors = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE("model seed " + std::to_string(seed));
    const model::Model m = RandomModel(seed).build();
    errors += compare(m, seed * 7919, 200);
    if (HasFailure()) return;
  }
  // The random models must exercise the error paths, or the test proves little.
  EXPECT_GT(errors, 1000);
}

TEST(Compiled, FoldsConstantsButKeepsRunTimeErrors) {
  model::Model m;
  Builder b(m);
  Id x = b.scalar("x", 0, 3, 0);
  Id a = b.array("a", 2, 0, 1, {0});
  // 7 / (2 - 2) fails only when x == 1; a[5] only when x == 2.
  Id div = b.binary(BinaryOp::Div, b.lit(7), b.binary(BinaryOp::Sub, b.lit(2), b.lit(2)));
  Id e = b.ite(b.eq(b.var(x), b.lit(1)), div,
               b.ite(b.eq(b.var(x), b.lit(2)), b.elem(a, b.lit(5)), b.lit(4)));
  b.property("p", model::PropertyKind::Invariant, e);
  b.finalize();
  StateLayout layout(m);
  Compiled c(m, layout);
  for (Value v : {0, 1, 2, 3}) {
    model::EvalError want_err, got_err;
    const model::State s{v, 0, 0};
    const auto want = model::eval(m, e, s, {}, want_err);
    EXPECT_EQ(want, c.eval(c.property(0), s, got_err));
    if (!want) {
      EXPECT_EQ(want_err.message, got_err.message);
    }
  }
}

}  // namespace
}  // namespace fl::sim

// The symbolic encoding against the reference evaluator: on random models
// that use every operator and every run-time error, and on the reachable
// states of postcopy, Z3 and model/eval.cpp must compute the same values,
// the same errors and the same successors.

#include <gtest/gtest.h>

#include "model/builder.h"
#include "proofs/cross_check.h"
#include "proofs/encode.h"
#include "tests/proofs/helpers.h"

namespace fl {
namespace {

std::string dump_model(const model::Model& m) {
  std::string out;
  for (const model::Action& a : m.actions) {
    out += a.name + " guard " + model::to_text(m, a.guard) + "\n";
  }
  for (const model::Property& p : m.properties)
    out += p.name + ": " + model::to_text(m, p.expr) + "\n";
  return out;
}

TEST(Encode, RandomModelsAgreeWithTheEvaluator) {
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 60; ++i) {
    model::Model m = test::random_model(rng);
    proofs::CrossChecker checker(m);
    for (int j = 0; j < 40; ++j) {
      model::State s = test::random_state(m, rng);
      auto d = checker.check_state(s);
      ASSERT_FALSE(d) << "model " << i << ": " << *d << "\n" << dump_model(m);
      d = checker.check_actions(s);
      ASSERT_FALSE(d) << "model " << i << ": " << *d << "\n" << dump_model(m);
    }
  }
}

TEST(Encode, PostcopyReachableStatesAgree) {
  for (bool wake : {true, false}) {
    model::Model m = test::postcopy({.vcpus = 2, .pages = 3, .wake_prefetch = wake});
    test::Bfs r = test::bfs(m);
    ASSERT_TRUE(r.complete);
    proofs::CrossChecker checker(m);
    for (const model::State& s : r.reachable) {
      auto d = checker.check_state(s);
      ASSERT_FALSE(d) << *d;
      d = checker.check_actions(s);
      ASSERT_FALSE(d) << *d;
    }
  }
}

TEST(Encode, CrossCheckStateOneShot) {
  model::Model m = test::token_ring();
  EXPECT_FALSE(proofs::cross_check_state(m, model::initial_state(m)));
  model::State bad = model::initial_state(m);
  bad[0] = 7;  // token is 0..1
  auto d = proofs::cross_check_state(m, bad);
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("outside its range"), std::string::npos);
}

TEST(Encode, WidthFollowsTheValues) {
  EXPECT_LE(proofs::value_width(test::postcopy({})), 8u);
  model::Model m;
  model::Builder b(m);
  model::Id x = b.scalar("x", 0, 10, 0);
  model::Id a = b.actor("a");
  b.action(a, "big", "", b.lit(1),
           b.assign(x, b.binary(model::BinaryOp::Div, b.lit(1'000'000'000'000), b.lit(1))));
  b.finalize();
  unsigned w = proofs::value_width(m);
  EXPECT_GE(w, 41u);
  EXPECT_LT(w, 64u);
  model::Model big;
  model::Builder bb(big);
  model::Id y = bb.scalar("y", -4'000'000'000'000, 4'000'000'000'000, 0);
  bb.property("sq", model::PropertyKind::Invariant,
              bb.lt(bb.binary(model::BinaryOp::Mul, bb.var(y), bb.var(y)), bb.lit(5)));
  bb.finalize();
  EXPECT_EQ(proofs::value_width(big), 64u);
}

// Errors and laziness, one by one, through the one-shot checker and a
// direct look at the encoded error flag.
TEST(Encode, RunTimeErrorsAreEncoded) {
  model::Model m;
  model::Builder b(m);
  model::Id i = b.scalar("i", -1, 3, 0);
  model::Id arr = b.array("arr", 2, 0, 5, {1});
  model::Id in_range =
      b.all({b.binary(model::BinaryOp::Ge, b.var(i), b.lit(0)), b.lt(b.var(i), b.lit(2))});
  model::Id guarded =
      b.binary(model::BinaryOp::And, in_range, b.eq(b.elem(arr, b.var(i)), b.lit(1)));
  b.property("lazy", model::PropertyKind::Invariant,
             b.binary(model::BinaryOp::Implies, in_range, guarded));
  b.property("eager", model::PropertyKind::Invariant, b.eq(b.elem(arr, b.var(i)), b.lit(1)));
  b.property("div", model::PropertyKind::Invariant,
             b.ne(b.binary(model::BinaryOp::Div, b.lit(6), b.var(i)), b.lit(100)));
  b.finalize();
  proofs::smt::Context c;
  proofs::Encoder enc(m, c);
  for (model::Value iv = -1; iv <= 3; ++iv) {
    model::State s = {iv, 1, 1};
    ASSERT_FALSE(proofs::cross_check_state(m, s)) << iv;
    proofs::SymState cs = enc.const_state(s);
    EXPECT_EQ(c.ground_value(enc.expr(m.properties[0].expr, cs).error), false);
    EXPECT_EQ(c.ground_value(enc.expr(m.properties[1].expr, cs).error), iv < 0 || iv >= 2);
    EXPECT_EQ(c.ground_value(enc.expr(m.properties[2].expr, cs).error), iv == 0);
  }
}

}  // namespace
}  // namespace fl

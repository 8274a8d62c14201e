// Elaboration: exact names, layouts and semantics of elaborated scenarios.
#include <gtest/gtest.h>

#include "model/eval.h"
#include "tests/lang/test_util.h"

namespace fl::lang::test {
namespace {

using model::Id;
using model::Value;

std::vector<std::string> actor_names(const model::Model& m) {
  std::vector<std::string> out;
  for (const auto& a : m.actors) out.push_back(a.name);
  return out;
}

std::vector<std::string> action_names(const model::Model& m) {
  std::vector<std::string> out;
  for (const auto& a : m.actions) out.push_back(m.actors[a.actor].name + "." + a.name);
  return out;
}

Value eval_in(const model::Model& m, Id e, const model::State& s) {
  model::EvalError err;
  auto v = model::eval(m, e, s, {}, err);
  EXPECT_TRUE(v.has_value()) << err.message;
  return v.value_or(-999);
}

model::State fire(const model::Model& m, const std::string& action, model::State s) {
  for (Id a = 0; a < m.actions.size(); ++a) {
    if (m.actions[a].name != action) continue;
    model::EvalError err;
    auto next = model::successor(m, a, s, err);
    EXPECT_TRUE(next.has_value()) << err.message;
    return next.value_or(s);
  }
  ADD_FAILURE() << "no action " << action;
  return s;
}

model::Model postcopy(const std::string& wake) {
  return Scenario::load(source_dir() + "/scenarios/bench/postcopy.fl")
      .elaborate("linux-6.18", {{"WAKE_PREFETCH", wake}});
}

TEST(Elaborate, PostcopyNamesAndLayout) {
  model::Model m = postcopy("true");
  EXPECT_EQ(m.scenario, "postcopy");
  EXPECT_EQ(m.variant, "linux-6.18");
  EXPECT_EQ(m.params,
            (std::vector<std::pair<std::string, Value>>{{"V", 2}, {"P", 4}, {"WAKE_PREFETCH", 1}}));
  EXPECT_EQ(actor_names(m),
            (std::vector<std::string>{"vcpu[0]", "vcpu[1]", "handler", "prefetcher"}));
  EXPECT_EQ(action_names(m),
            (std::vector<std::string>{"vcpu[0].access", "vcpu[1].access", "handler.read[0]",
                                      "handler.read[1]", "handler.read[2]", "handler.read[3]",
                                      "handler.resolve", "prefetcher.prefetch"}));
  EXPECT_EQ(m.num_slots(), 4u + 4 + 2 + 2 + 1 + 1);
  EXPECT_EQ(m.slot_name(0), "pte[0]");
  EXPECT_EQ(m.format_value(0, 2), "POISON");
  EXPECT_EQ(m.format_value(4, 1), "true");
  EXPECT_EQ(m.vars[m.find_var("handler")].init, std::vector<Value>{4});
  EXPECT_EQ(m.vars[m.find_var("pc")].max, 4);
  ASSERT_EQ(m.properties.size(), 3u);
  EXPECT_EQ(m.properties[1].name, "no-lost-wakeup");
  EXPECT_EQ(m.properties[2].kind, model::PropertyKind::Deadlock);
  EXPECT_EQ(m.properties[0].description, "poison is never lost and never invented");
  EXPECT_EQ(m.properties[0].loc.line, 64);
  EXPECT_EQ(m.actions[0].loc.line, 35);
  EXPECT_EQ(m.actions[0].loc.col, 10);
  ASSERT_EQ(m.expectations.size(), 3u);
  EXPECT_EQ(m.expectations[1].text, "no-lost-wakeup holds");
  EXPECT_EQ(m.expectations[1].loc.line, 72);
  model::Model bug = postcopy("false");
  ASSERT_EQ(bug.expectations.size(), 3u);
  EXPECT_EQ(bug.expectations[1].text, "no-lost-wakeup violated");
  EXPECT_EQ(bug.expectations[2].kind, model::ExpectationKind::Violated);
  EXPECT_EQ(bug.properties[bug.expectations[2].property].name, "no-stuck-vcpu");
}

TEST(Elaborate, KernelFunctionAndFairness) {
  auto m = elaborate(
      "scenario s\nvar x : bool\nfair actor a {\n  action go models \"handle_userfault\" "
      "when !x { x = true }\n}\nactor b { action idle { skip } }\n");
  EXPECT_TRUE(m.actors[0].fair);
  EXPECT_FALSE(m.actors[1].fair);
  EXPECT_EQ(m.actions[0].kernel_function, "handle_userfault");
  EXPECT_EQ(m.actions[1].kernel_function, "");
  // A missing `when` is always enabled.
  EXPECT_EQ(eval_in(m, m.actions[1].guard, model::initial_state(m)), 1);
}

// Constant folding must agree with the reference evaluator on every operator.
TEST(Elaborate, ConstantFoldingMatchesTheEvaluator) {
  const char* ops[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "->"};
  const Value values[] = {-7, -3, -1, 0, 1, 2, 3, 7};
  for (const char* op : ops) {
    for (Value x : values) {
      for (Value y : values) {
        if ((std::string(op) == "/" || std::string(op) == "%") && y == 0) continue;
        std::string e = "(" + std::to_string(x) + ") " + op + " (" + std::to_string(y) + ")";
        std::string text = "scenario s\nvar a : -9..9 = " + std::to_string(x) +
                           "\nvar b : -9..9 = " + std::to_string(y) + "\nconst K = " + e +
                           "\nvar k : -99..99 = K\nobserve r = a " + op + " b\n";
        SCOPED_TRACE(e);
        model::Model m = elaborate(text);
        model::State s = model::initial_state(m);
        EXPECT_EQ(eval_in(m, m.observations[0].expr, s), s[2]);
      }
    }
  }
}

TEST(Elaborate, UnaryTernaryMinMaxAndPrecedence) {
  auto m = elaborate(
      "scenario s\nconst A = -3 % 5\nconst B = !0 + !7\nconst C = 1 + 2 * 3 == 7 && 4 > 3\n"
      "const D = false -> 1 / 0 == 1\nconst E = 1 ? 2 : 3 ? 4 : 5\nconst F = min(3, -2) + max(3, "
      "-2)\nconst G = 0 -> 0 -> 0\nvar v[7] : -9..9 = [A, B, C, D, E, F, G]\n");
  EXPECT_EQ(m.vars[0].init, (std::vector<Value>{2, 1, 1, 1, 2, 1, 1}));
}

TEST(Elaborate, QuantifiersExpandToBooleansAndCounts) {
  auto m = elaborate(
      "scenario s\nconst N = 4\nvar a[N] : 0..3 = [0, 2, 0, 3]\n"
      "observe all = forall i in 0..N-1: a[i] > 0 || i % 2 == 0\n"
      "observe some = exists i in 0..N-1: a[i] == 3\n"
      "observe n = count i in 0..N-1: a[i]\n"
      "observe one = forall i in 1..1: a[i]\n"
      "observe nested = count i in 0..N-1: exists j in 0..i: a[j] == 2\n");
  model::State s = model::initial_state(m);
  std::vector<Value> got;
  for (const auto& o : m.observations) got.push_back(eval_in(m, o.expr, s));
  EXPECT_EQ(got, (std::vector<Value>{1, 1, 2, 1, 3}));
}

TEST(Elaborate, ProcArgumentsAreCopiedOnceByValue) {
  auto m = elaborate(
      "scenario s\nvar a : 0..9 = 4\nvar b : 0..9\n"
      "proc f(x) { a = 1; b = x }\n"
      "actor t { action go { f(a) } }\n");
  model::State s = fire(m, "go", model::initial_state(m));
  EXPECT_EQ(s, (model::State{1, 4}));
}

TEST(Elaborate, LetsLoopsAndElseIf) {
  auto m = elaborate(
      "scenario s; var a[4] : 0..9; var c : 0..3 = 2\n"
      "actor t {\n  action go {\n    let n = 3  // a constant let bounds a loop\n"
      "    for i in 0..n { a[i] = i + c }\n"
      "    let old = c\n    c = 0\n"
      "    if old == 0 { a[0] = 9 } else if old == 2 { a[1] = 9 } else { a[2] = 9 }\n"
      "  }\n}\n");
  model::State s = fire(m, "go", model::initial_state(m));
  EXPECT_EQ(s, (model::State{2, 9, 4, 5, 0}));
}

TEST(Elaborate, IndexedActorsAndActionsSeeTheirIndex) {
  auto m = elaborate(
      "scenario s\nvar x[6] : 0..9\n"
      "actor w[i in 1..2] { action set[j in 0..2] when x[3 * (i - 1) + j] == 0 { "
      "x[3 * (i - 1) + j] = 10 * 0 + i + j } }\n");
  EXPECT_EQ(action_names(m),
            (std::vector<std::string>{"w[1].set[0]", "w[1].set[1]", "w[1].set[2]", "w[2].set[0]",
                                      "w[2].set[1]", "w[2].set[2]"}));
  model::EvalError err;
  auto next = model::successor(m, 5, model::initial_state(m), err);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, (model::State{0, 0, 0, 0, 0, 4}));
}

TEST(Elaborate, VariantIsAConstant) {
  auto m = elaborate(
      "scenario s\nvariants linux-6.18\n"
      "var x : 0..9 = variant(\"linux-6.18\") ? 7 : 3\n"
      "var y : 0..9 = variant(\"kvm-userfault-rfc\")\n");
  EXPECT_EQ(model::initial_state(m), (model::State{7, 0}));
}

TEST(Elaborate, ExpectationsFilteredAndWritten) {
  auto m = elaborate(
      "scenario s\nparam B = false\nvar x : bool\nvar v[2] : 0..2\ninvariant p : !x\n"
      "actor a { action go when !x { x = true } }\n"
      "expect p violated if !B\nexpect p   holds if B\n"
      "expect exists x == 1 if B || true\nexpect not exists x == 0\n"
      "expect forall k in 0..1: v[k] == 0 // the quantifier form\n");
  ASSERT_EQ(m.expectations.size(), 4u);
  EXPECT_EQ(m.expectations[0].text, "p violated");
  EXPECT_EQ(m.expectations[1].text, "exists x == 1");
  EXPECT_EQ(m.expectations[1].kind, model::ExpectationKind::Exists);
  EXPECT_EQ(m.expectations[2].kind, model::ExpectationKind::NotExists);
  EXPECT_EQ(m.expectations[2].text, "not exists x == 0");
  EXPECT_EQ(m.expectations[3].kind, model::ExpectationKind::Forall);
  EXPECT_EQ(m.expectations[3].text, "forall k in 0..1: v[k] == 0");
}

TEST(Elaborate, ObserveShorthandCopiesLabelsAndExpandsArrays) {
  auto m = elaborate(
      "scenario s\nenum E { A, B }\nvar e : E = B\nvar r[2] : bool\nobserve e, r\n"
      "observe sum = r[0] + r[1]\n");
  ASSERT_EQ(m.observations.size(), 4u);
  EXPECT_EQ(m.observations[0].name, "e");
  EXPECT_EQ(m.observations[0].labels, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(m.observations[2].name, "r[1]");
  EXPECT_EQ(m.observations[2].labels, (std::vector<std::string>{"false", "true"}));
  EXPECT_TRUE(m.observations[3].labels.empty());
}

TEST(Elaborate, RuntimeErrorsAreLeftToTheEvaluator) {
  auto m = elaborate(
      "scenario s\nvar a[2] : 0..3\nactor t {\n  action go {\n    a[2] = 1\n  }\n"
      "  action big { a[0] = 4 }\n  action verify { assert a[0] == 1 }\n}\n");
  model::EvalError err;
  EXPECT_FALSE(model::successor(m, 0, model::initial_state(m), err));
  EXPECT_EQ(err.message, "index 2 out of range for 'a[2]'");
  EXPECT_EQ(err.loc.line, 5);
  EXPECT_FALSE(model::successor(m, 1, model::initial_state(m), err));
  EXPECT_EQ(err.message, "value 4 out of range 0..3 of 'a'");
  EXPECT_FALSE(model::successor(m, 2, model::initial_state(m), err));
  EXPECT_EQ(err.message, "assertion failed: a[0] == 1");
  EXPECT_EQ(err.loc.line, 8);
}

TEST(Elaborate, DeclarationsMayComeInAnyOrder) {
  auto m = elaborate(
      "scenario s\ninvariant i : x < LIMIT\nactor a { action go when x < LIMIT { bump() } }\n"
      "proc bump() { x = next(x) }\ndef next(v) = v + STEP\nconst LIMIT = 2 * STEP\n"
      "const STEP = 1\nvar x : 0..LIMIT\n");
  EXPECT_EQ(m.vars[0].max, 2);
  EXPECT_EQ(fire(m, "go", model::initial_state(m)), model::State{1});
}

}  // namespace
}  // namespace fl::lang::test

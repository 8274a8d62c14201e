// Every ```fl example in docs/scenario-language.md is a complete scenario
// that parses and elaborates, meets its expectations (checked by an
// exhaustive search) and whose invariants hold in its initial state;
// the reserved words listed there are exactly the parser's.
#include <gtest/gtest.h>

#include "model/eval.h"
#include "model/lang/ast.h"
#include "tests/lang/test_util.h"

namespace fl::lang::test {
namespace {

struct Example {
  int line = 0;
  std::string text;
};

std::vector<Example> examples(const std::string& doc) {
  std::vector<Example> out;
  std::istringstream in(doc);
  std::string line;
  int n = 0;
  Example* open = nullptr;
  while (std::getline(in, line)) {
    ++n;
    if (open == nullptr && line == "```fl") {
      out.push_back({n + 1, ""});
      open = &out.back();
    } else if (open != nullptr && line == "```") {
      open = nullptr;
    } else if (open != nullptr) {
      open->text += line + "\n";
    }
  }
  return out;
}

// Judges every expectation of `m` with an exhaustive search.
void expectations_are_met(const model::Model& m) {
  Search s = bfs(m);
  for (const model::Expectation& x : m.expectations) {
    SCOPED_TRACE("expect " + x.text);
    using K = model::ExpectationKind;
    if (x.kind == K::Holds || x.kind == K::Violated) {
      bool violated = s.first_violation.count(m.properties[x.property].name) != 0;
      EXPECT_EQ(violated, x.kind == K::Violated);
      continue;
    }
    size_t yes = 0;
    for (const model::State& f : s.final_states) yes += holds(m, x.expr, f) ? 1 : 0;
    size_t expected_yes = x.kind == K::Forall ? s.final_states.size() : 0;
    if (x.kind == K::Exists) {
      EXPECT_GT(yes, 0u);
    } else {
      EXPECT_EQ(yes, expected_yes);
    }
  }
}

const std::string kDoc = "/docs/scenario-language.md";

TEST(Docs, EveryExampleElaboratesAndMeetsItsExpectations) {
  std::vector<Example> all = examples(read_file(source_dir() + kDoc));
  EXPECT_GE(all.size(), 5u);
  for (const Example& e : all) {
    SCOPED_TRACE("example at docs/scenario-language.md:" + std::to_string(e.line));
    EXPECT_EQ(error_of("example.fl", e.text), "");
    model::Model m = elaborate(e.text);
    model::State s = model::initial_state(m);
    expectations_are_met(m);
    for (const model::Property& p : m.properties) {
      if (p.kind != model::PropertyKind::Invariant) continue;
      model::EvalError err;
      EXPECT_EQ(model::eval(m, p.expr, s, {}, err), std::optional<model::Value>(1)) << p.name;
    }
  }
}

TEST(Docs, ReservedWordsAreTheParsersKeywords) {
  std::string doc = read_file(source_dir() + kDoc);
  size_t from = doc.find("Reserved words, which cannot name anything:");
  ASSERT_NE(from, std::string::npos);
  size_t begin = doc.find('`', from), end = doc.find('`', begin + 1);
  std::istringstream words(doc.substr(begin + 1, end - begin - 1));
  int count = 0;
  for (std::string w; words >> w; ++count) EXPECT_TRUE(is_keyword(w)) << w;
  EXPECT_EQ(count, 39);
  EXPECT_FALSE(is_keyword("region"));
}

}  // namespace
}  // namespace fl::lang::test

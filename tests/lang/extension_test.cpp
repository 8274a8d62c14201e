// Kernel extensions: keyword dispatch, parse_expr, elaboration through
// ElabContext before the core declarations, and built-in properties.
#include <gtest/gtest.h>

#include "model/lang/ast.h"
#include "tests/lang/test_util.h"

namespace fl::lang::test {
namespace {

// `region NAME = EXPR`: defines constant NAME_PAGES = EXPR and a state
// variable NAME_mapped[NAME_PAGES].
struct RegionDecl : ExtensionDecl {
  std::string name;
  AstExprPtr pages;
};

// What elaborate() leaves for add_builtin_property(): the mapped arrays.
struct RegionState : ExtensionState {
  std::vector<model::Id> mapped;
};

class RegionExtension final : public Extension {
 public:
  std::string name() const override { return "test"; }
  std::vector<std::string> keywords() const override { return {"region", "var"}; }
  std::unique_ptr<ExtensionDecl> parse(Cursor& c) const override {
    auto d = std::make_unique<RegionDecl>();
    c.expect("region");
    d->name = c.expect_ident("a region name").text;
    c.expect("=");
    d->pages = parse_expr(c);
    return d;
  }
  void elaborate(const std::vector<const ExtensionDecl*>& decls, ElabContext& ctx) const override {
    ++calls;
    seen_variant = ctx.variant();
    if (decls.empty()) return;
    auto state = std::make_unique<RegionState>();
    for (const ExtensionDecl* d : decls) {
      const auto& r = static_cast<const RegionDecl&>(*d);
      model::Value pages = ctx.eval_const(*r.pages);
      if (pages < 1) ctx.fail(r.loc, "a region needs pages");
      ctx.define_const(r.name + "_PAGES", pages, r.loc);
      state->mapped.push_back(
          ctx.builder().array(r.name + "_mapped", static_cast<uint32_t>(pages), 0, 1, {0}));
    }
    ctx.set_state(*this, std::move(state));
  }
  std::vector<std::string> variants() const override { return {"linux-6.18"}; }
  std::vector<std::pair<std::string, std::string>> builtin_properties() const override {
    return {{"nothing-mapped", "no page of any region is mapped"}};
  }
  void add_builtin_property(const std::string& name, const model::SourceLoc& loc,
                            ElabContext& ctx) const override {
    // The property reads what elaborate() built, found through the
    // context's extension state rather than any global table.
    auto* st = dynamic_cast<RegionState*>(ctx.state(*this));
    if (st == nullptr) ctx.fail(loc, "no regions");
    model::Builder& b = ctx.builder();
    std::vector<model::Id> none;
    for (model::Id v : st->mapped) none.push_back(b.eq(b.elem(v, model::Value{0}), b.lit(0)));
    b.property(name, model::PropertyKind::Invariant, b.all(none), "", loc);
  }
  mutable int calls = 0;
  mutable std::string seen_variant;
};

TEST(Extension, DeclarationsElaborateFirstAndDefineNames) {
  RegionExtension ext;
  const char* text =
      "scenario s\nparam N = 3\nvar touched : 0..guest_PAGES\n"
      "region guest = N + 1\ncheck nothing-mapped\n"
      "actor a { action map[p in 0..guest_PAGES-1] when guest_mapped[p] == 0 {\n"
      "  guest_mapped[p] = 1; touched = touched + 1 } }\n"
      "expect nothing-mapped holds\n";
  Scenario s = Scenario::parse("s.fl", text, {&ext});
  EXPECT_EQ(s.info().properties, std::vector<std::string>{"nothing-mapped"});
  model::Model m = s.elaborate("linux-6.18", {});
  EXPECT_EQ(ext.calls, 1);
  EXPECT_EQ(ext.seen_variant, "linux-6.18");
  ASSERT_EQ(m.vars.size(), 2u);
  EXPECT_EQ(m.vars[0].name, "guest_mapped");  // the extension's variables come first
  EXPECT_EQ(m.vars[0].length, 4u);
  EXPECT_EQ(m.vars[1].max, 4);
  EXPECT_EQ(m.actions.size(), 4u);
  EXPECT_EQ(m.properties[0].name, "nothing-mapped");
  EXPECT_NE(m.properties[0].expr, model::kNoId);
  EXPECT_EQ(m.exprs[m.properties[0].expr].kind, model::ExprKind::Binary);  // reads guest_mapped[0]
  EXPECT_EQ(m.expectations.size(), 1u);
}

// The extension state lives for one elaboration: a second elaboration gets a
// fresh context, and a scenario without the extension's declarations has no
// state, so the built-in property reports that instead of reusing another
// model's ids.
TEST(Extension, StateBelongsToOneElaboration) {
  RegionExtension ext;
  Scenario s = Scenario::parse("s.fl", "scenario s\nregion g = 2\ncheck nothing-mapped\n", {&ext});
  model::Model a = s.elaborate("linux-6.18", {});
  model::Model b = s.elaborate("linux-6.18", {});
  EXPECT_EQ(ext.calls, 2);
  EXPECT_EQ(a.exprs.size(), b.exprs.size());
  try {
    Scenario::parse("t.fl", "scenario t\ncheck nothing-mapped\n", {&ext})
        .elaborate("linux-6.18", {});
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(), "t.fl:2:7: error: no regions\n  check nothing-mapped\n        ^");
  }
}

TEST(Extension, CoreKeywordsWinAndErrorsQuoteTheSource) {
  RegionExtension ext;
  EXPECT_EQ(Scenario::parse("s.fl", "scenario s\nvar x : bool\n", {&ext})
                .elaborate("linux-6.18", {})
                .vars.size(),
            1u);
  try {
    Scenario::parse("s.fl", "scenario s\nregion r = 0\n", {&ext}).elaborate("linux-6.18", {});
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(), "s.fl:2:1: error: a region needs pages\n  region r = 0\n  ^");
  }
  try {
    Scenario::parse("s.fl", "scenario s\nconst r_PAGES = 1\nregion r = 2\n", {&ext})
        .elaborate("linux-6.18", {});
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(),
              "s.fl:3:1: error: 'r_PAGES' is already declared (line 2)\n  region r = 2\n  ^");
  }
  try {
    Scenario::parse("s.fl", "scenario s\nregion r = 2\nvar r_mapped : bool\n", {&ext})
        .elaborate("linux-6.18", {});
    ADD_FAILURE();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.render(),
              "s.fl:3:5: error: 'r_mapped' is already declared by a kernel declaration\n"
              "  var r_mapped : bool\n      ^");
  }
}

// Mutations of the benchmark scenario never crash or hang: each one either
// elaborates or fails with a located ScenarioError.
TEST(Robustness, MutatedScenariosFailCleanly) {
  const std::string text = read_file(source_dir() + "/scenarios/bench/postcopy.fl");
  uint64_t seed = 12345;
  auto rnd = [&](uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  const std::string pieces[] = {
      "{",  "}", "(", ")",  "[",  "]", "..", "-", "!",    "forall",
      "if", ":", "=", "\"", "\n", "0", "P",  "#", "\xff", std::string(1, '\0'),
      "var"};
  int failures = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string t = text;
    for (int k = 0; k < 3; ++k) {
      size_t at = rnd(t.size());
      if (rnd(2) == 0) {
        t.erase(at, rnd(8));
      } else {
        t.insert(at, pieces[rnd(std::size(pieces))]);
      }
    }
    try {
      Scenario::parse("m.fl", t).elaborate("linux-6.18", {});
    } catch (const ScenarioError& e) {
      ++failures;
      EXPECT_EQ(e.render().rfind("m.fl", 0), 0u) << e.render();
    }
  }
  EXPECT_GT(failures, 1000);
}

}  // namespace
}  // namespace fl::lang::test

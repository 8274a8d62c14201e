#include "model/mm/mm_extension.h"

#include <iterator>
#include <memory>

#include "model/mm/export.h"
#include "model/mm/gen.h"
#include "model/mm/parse.h"
#include "model/variants.h"

namespace fl::model::mm {

namespace {

struct BuiltinSpec {
  const char* name;
  PropertyKind kind;
  const char* description;
};

constexpr BuiltinSpec kBuiltins[] = {
    {"poison-sticky", PropertyKind::Invariant,
     "once a page is poisoned, no access succeeds on it until the VMM discards the page"},
    {"no-lost-wakeup", PropertyKind::Deadlock,
     "in a final state no thread sleeps in handle_userfault on a page must_wait calls resolved"},
    {"data-integrity", PropertyKind::Invariant,
     "every mapped page of a registered region holds the source's contents"},
    {"no-stuck-thread", PropertyKind::Deadlock,
     "in a final state no thread is asleep in handle_userfault or waiting for its event to be "
     "read"},
};

class MmExtension final : public lang::Extension {
 public:
  std::string name() const override { return "mm"; }
  std::vector<std::string> keywords() const override { return mm::keywords(); }
  std::unique_ptr<lang::ExtensionDecl> parse(lang::Cursor& c) const override {
    return parse_decl(c);
  }

  void elaborate(const std::vector<const lang::ExtensionDecl*>& decls,
                 lang::ElabContext& ctx) const override {
    if (decls.empty()) return;
    std::vector<const MmDecl*> mine;
    for (const lang::ExtensionDecl* d : decls) {
      const auto* md = dynamic_cast<const MmDecl*>(d);
      if (md == nullptr) ctx.fail(d->loc, "internal: not an mm declaration");
      mine.push_back(md);
    }
    const VariantInfo* v = find_variant(ctx.variant());
    if (v == nullptr) ctx.fail(decls.front()->loc, "unknown variant '" + ctx.variant() + "'");
    const SourceLoc& loc = decls.front()->loc;
    const std::vector<std::string>& outcomes = outcome_labels();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      ctx.define_const(outcomes[i], static_cast<Value>(i), loc);
    }
    Spec spec = resolve(mine, ctx.variant(), ctx);
    Builder& b = ctx.builder();
    Gen gen(b, spec);
    try {
      gen.build();
    } catch (const ModelError& e) {
      ctx.fail(e.loc().line != 0 ? e.loc() : loc, e.what());
    }
    // What add_builtin_property() needs (the properties' expressions, in
    // the order of kBuiltins) and what the KVM model reuses (the view), kept
    // by the elaboration context for the length of this elaboration.
    auto st = std::make_unique<MmState>();
    st->builtin_props = {gen.poison_sticky, gen.no_lost_wakeup, gen.data_integrity,
                         gen.no_stuck_thread};
    st->view = make_view(gen);
    ctx.set_state(*this, std::move(st));
  }

  std::vector<std::string> variants() const override {
    std::vector<std::string> out;
    for (const VariantInfo& v : all_variants()) out.push_back(v.name);
    return out;
  }

  std::vector<std::pair<std::string, std::string>> builtin_properties() const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const BuiltinSpec& p : kBuiltins) out.emplace_back(p.name, p.description);
    return out;
  }

  void add_builtin_property(const std::string& name, const SourceLoc& loc,
                            lang::ElabContext& ctx) const override {
    for (size_t i = 0; i < std::size(kBuiltins); ++i) {
      if (name != kBuiltins[i].name) continue;
      const auto* st = dynamic_cast<const MmState*>(ctx.state(*this));
      if (st == nullptr || st->builtin_props[i] == kNoId) {
        ctx.fail(loc,
                 "built-in property '" + name + "' needs mm declarations (region, thread, ...)");
      }
      ctx.builder().property(name, kBuiltins[i].kind, st->builtin_props[i],
                             kBuiltins[i].description, loc);
      return;
    }
    ctx.fail(loc, "unknown built-in property '" + name + "'");
  }
};

}  // namespace

const lang::Extension& extension() {
  static const MmExtension kExtension;
  return kExtension;
}

}  // namespace fl::model::mm

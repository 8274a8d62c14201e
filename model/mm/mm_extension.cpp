#include "model/mm/mm_extension.h"

#include <deque>
#include <mutex>

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
     "in a final state no thread is asleep in handle_userfault"},
};

// The property expressions generated for each model, looked up again by
// add_builtin_property (which runs after elaborate on the same Builder).
struct PropIds {
  const Model* model = nullptr;
  Id ids[4] = {kNoId, kNoId, kNoId, kNoId};
};

class PropRegistry {
 public:
  void put(const PropIds& p) {
    std::lock_guard<std::mutex> lock(mu_);
    for (PropIds& q : entries_) {
      if (q.model == p.model) {
        q = p;
        return;
      }
    }
    entries_.push_back(p);
    if (entries_.size() > 256) entries_.pop_front();
  }
  bool get(const Model* m, PropIds& out) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const PropIds& q : entries_) {
      if (q.model == m) {
        out = q;
        return true;
      }
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::deque<PropIds> entries_;
};

PropRegistry& registry() {
  static PropRegistry r;
  return r;
}

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
    PropIds ids;
    ids.model = &b.model();
    ids.ids[0] = gen.poison_sticky;
    ids.ids[1] = gen.no_lost_wakeup;
    ids.ids[2] = gen.data_integrity;
    ids.ids[3] = gen.no_stuck_thread;
    registry().put(ids);
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
      PropIds ids;
      if (!registry().get(&ctx.builder().model(), ids) || ids.ids[i] == kNoId) {
        ctx.fail(loc,
                 "built-in property '" + name + "' needs mm declarations (region, thread, ...)");
      }
      ctx.builder().property(name, kBuiltins[i].kind, ids.ids[i], kBuiltins[i].description, loc);
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

#include "model/kvm/kvm_extension.h"

#include <iterator>
#include <memory>

#include "model/kvm/gen.h"
#include "model/kvm/parse.h"
#include "model/variants.h"

namespace fl::model::kvm {

namespace {

struct BuiltinSpec {
  const char* name;
  PropertyKind kind;
  const char* description;
};

constexpr BuiltinSpec kBuiltins[] = {
    {"fault-address-reported", PropertyKind::Invariant,
     "no guest access ends in KVM_RUN -EFAULT without the faulting address"},
    {"poison-reaches-guest", PropertyKind::Deadlock,
     "in a final state every access to a poisoned page ended in a machine check for it"},
    {"no-unpopulated-map", PropertyKind::Invariant,
     "the guest never reads data the VMM has not populated (nor data of a poisoned page)"},
    {"no-userfault-page-mapped", PropertyKind::Invariant,
     "no gfn whose userfault bit is set has a stage-2 mapping"},
    {"no-vcpu-stuck", PropertyKind::Deadlock,
     "in a final state every vCPU has finished its program or was stopped by an error"},
    {"no-vcpu-hang", PropertyKind::Liveness,
     "under weak fairness every vCPU eventually finishes or is stopped by an error"},
    {"no-livelock", PropertyKind::Invariant,
     "no vCPU retries an access through a failed async page fault 3 times (a bounded "
     "retry loop without progress)"},
};
constexpr size_t kNumBuiltins = std::size(kBuiltins);

// What elaborate() leaves in the elaboration context for
// add_builtin_property(): the built-in properties' expressions, in the
// order of kBuiltins.
struct PropIds : lang::ExtensionState {
  Id ids[kNumBuiltins] = {};
};

class KvmExtension final : public lang::Extension {
 public:
  std::string name() const override { return "kvm"; }
  std::vector<std::string> keywords() const override { return kvm::keywords(); }
  std::unique_ptr<lang::ExtensionDecl> parse(lang::Cursor& c) const override {
    return parse_decl(c);
  }

  void elaborate(const std::vector<const lang::ExtensionDecl*>& decls,
                 lang::ElabContext& ctx) const override {
    if (decls.empty()) return;
    std::vector<const KvmDecl*> mine;
    for (const lang::ExtensionDecl* d : decls) {
      const auto* kd = dynamic_cast<const KvmDecl*>(d);
      if (kd == nullptr) ctx.fail(d->loc, "internal: not a KVM declaration");
      mine.push_back(kd);
    }
    const SourceLoc& loc = decls.front()->loc;
    Builder& b = ctx.builder();
    // The mm model elaborated first and left its view in the context.
    const mm::View* view = mm::view_of(ctx);
    // The access registers share the mm model's outcome labels; the mm
    // extension defines them when it has declarations of its own.
    if (!view) {
      const std::vector<std::string>& outcomes = mm::outcome_labels();
      for (size_t i = 0; i < outcomes.size(); ++i) {
        ctx.define_const(outcomes[i], static_cast<Value>(i), loc);
      }
    }
    ctx.define_const(kMceLabel, static_cast<Value>(mm::outcome_labels().size()), loc);
    ctx.define_const(kMmioReadLabel, static_cast<Value>(mm::outcome_labels().size() + 1), loc);
    const std::vector<std::string>& exits = exit_labels();
    for (size_t i = 0; i < exits.size(); ++i)
      ctx.define_const(exits[i], static_cast<Value>(i), loc);
    ctx.define_const("MF_PRIVATE", kMfPrivate, loc);
    ctx.define_const("MF_USERFAULT", kMfUserfault, loc);

    Spec spec = resolve(mine, ctx.variant(), view, ctx);
    Gen gen(b, spec, view);
    for (const KvmDecl* d : mine) gen.cost |= d->option == "cost" && d->value;
    try {
      gen.build();
    } catch (const ModelError& e) {
      ctx.fail(e.loc().line != 0 ? e.loc() : loc, e.what());
    }
    if (gen.cost) {
      for (const Gen::VcpuVars& x : gen.vv) {
        b.observe(b.model().vars[x.exits].name, b.var(x.exits));
        b.observe(b.model().vars[x.wakes].name, b.var(x.wakes));
      }
    }
    auto ids = std::make_unique<PropIds>();
    const Id exprs[kNumBuiltins] = {gen.fault_address_reported,
                                    gen.poison_reaches_guest,
                                    gen.no_unpopulated_map,
                                    gen.no_userfault_page_mapped,
                                    gen.no_vcpu_stuck,
                                    gen.no_vcpu_hang,
                                    gen.no_livelock};
    for (size_t i = 0; i < kNumBuiltins; ++i) ids->ids[i] = exprs[i];
    ctx.set_state(*this, std::move(ids));
  }

  std::vector<std::string> variants() const override { return kvm_variants(); }

  std::vector<std::pair<std::string, std::string>> builtin_properties() const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const BuiltinSpec& p : kBuiltins) out.emplace_back(p.name, p.description);
    return out;
  }

  void add_builtin_property(const std::string& name, const SourceLoc& loc,
                            lang::ElabContext& ctx) const override {
    for (size_t i = 0; i < kNumBuiltins; ++i) {
      if (name != kBuiltins[i].name) continue;
      const auto* ids = dynamic_cast<const PropIds*>(ctx.state(*this));
      if (ids == nullptr || ids->ids[i] == kNoId) {
        ctx.fail(loc, "built-in property '" + name + "' needs KVM declarations (memslot, vcpu)");
      }
      ctx.builder().property(name, kBuiltins[i].kind, ids->ids[i], kBuiltins[i].description, loc);
      return;
    }
    ctx.fail(loc, "unknown built-in property '" + name + "'");
  }
};

}  // namespace

const lang::Extension& extension() {
  static const KvmExtension kExtension;
  return kExtension;
}

}  // namespace fl::model::kvm

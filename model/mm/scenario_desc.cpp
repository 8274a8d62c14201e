#include "model/mm/scenario_desc.h"

#include "model/mm/mm_extension.h"
#include "model/mm/parse.h"

namespace fl::model::mm {

namespace {

// The innermost live capture of this thread (captures nest, innermost wins).
thread_local DescCapture* t_capture = nullptr;

// The op's name as the model's actions spell it (Gen::act_name without the step).
std::string op_text(const Spec& s, int index, const OpSpec& o) {
  std::string target = o.op == Op::Close    ? s.ctxs[o.ctx].name
                       : o.op == Op::Fork   ? std::string()
                       : is_region_op(o.op) ? s.regions[s.pages[o.page].region].name
                                            : s.page_name(o.page);
  if (o.op == Op::Move && o.src >= 0) target += " from " + s.page_name(o.src);
  std::string text =
      std::to_string(index) + ":" + op_name(o.op) + (target.empty() ? "" : " ") + target;
  if (o.len > 1) text += " len " + std::to_string(o.len);
  return text;
}

ScenarioDesc to_desc(const Spec& s, const std::vector<const MmDecl*>& decls) {
  ScenarioDesc d;
  d.has_mm = true;
  d.knobs = s.knobs;
  for (const CtxSpec& c : s.ctxs) {
    DescContext dc;
    dc.name = c.name;
    dc.user_mode_only = c.user_mode_only;
    // The Spec keeps only the features with modelled behaviour; the replayer must request
    // every feature the scenario names, so they are taken from the declaration itself.
    for (const MmDecl* decl : decls) {
      if (decl->keyword == "uffd" && decl->name == c.name) dc.features = decl->features;
    }
    d.contexts.push_back(std::move(dc));
  }
  for (const RegionSpec& r : s.regions) {
    DescRegion dr;
    dr.name = r.name;
    dr.mem = r.mem;
    dr.pages = r.pages;
    dr.first_page = r.first;
    dr.ctx = r.ctx;
    dr.missing = (r.modes & kModeMissing) != 0;
    dr.wp = (r.modes & kModeWp) != 0;
    dr.minor = (r.modes & kModeMinor) != 0;
    d.regions.push_back(std::move(dr));
  }
  for (const PageSpec& p : s.pages) d.pages.push_back(DescPage{p.region, p.index, p.src, p.init});
  for (const ThreadSpec& t : s.threads) {
    DescThread dt;
    dt.name = t.name;
    dt.child = t.child;
    for (size_t i = 0; i < t.ops.size(); ++i) {
      const OpSpec& o = t.ops[i];
      DescOp op;
      op.op = o.op;
      op.verb = op_name(o.op);
      op.reg = o.reg;
      op.page = o.page;
      op.len = o.len;
      op.ctx = o.ctx;
      op.dontwake = o.dontwake;
      op.wp = o.wp;
      op.src = o.src;
      op.holes = o.holes;
      op.text = op_text(s, static_cast<int>(i), o);
      dt.ops.push_back(std::move(op));
    }
    d.threads.push_back(std::move(dt));
  }
  for (const MonitorSpec& m : s.monitors) {
    d.monitors.push_back(
        DescMonitor{m.name, m.ctx, m.wake_after_eexist, m.forget_eagain, m.wake_on_remove});
  }
  return d;
}

}  // namespace

// Delegates everything to the mm extension; elaborate() additionally resolves the same
// declarations once more (resolution is a pure function of the declarations, the variant and
// the constants, so this yields exactly the Spec the generator used) and records it.
class DescribingExtension final : public lang::Extension {
 public:
  std::string name() const override { return inner().name(); }
  std::vector<std::string> keywords() const override { return inner().keywords(); }
  std::unique_ptr<lang::ExtensionDecl> parse(lang::Cursor& c) const override {
    return inner().parse(c);
  }
  void elaborate(const std::vector<const lang::ExtensionDecl*>& decls,
                 lang::ElabContext& ctx) const override {
    inner().elaborate(decls, ctx);
    DescCapture* capture = t_capture;
    if (capture == nullptr || decls.empty()) return;
    std::vector<const MmDecl*> mine;
    for (const lang::ExtensionDecl* decl : decls) {
      if (const auto* md = dynamic_cast<const MmDecl*>(decl)) mine.push_back(md);
    }
    capture->desc_ = to_desc(resolve(mine, ctx.variant(), ctx), mine);
  }
  std::vector<std::string> variants() const override { return inner().variants(); }
  std::vector<std::pair<std::string, std::string>> builtin_properties() const override {
    return inner().builtin_properties();
  }
  void add_builtin_property(const std::string& name, const SourceLoc& loc,
                            lang::ElabContext& ctx) const override {
    inner().add_builtin_property(name, loc, ctx);
  }

 private:
  static const lang::Extension& inner() { return extension(); }
};

const lang::Extension& describing_extension() {
  static const DescribingExtension kExtension;
  return kExtension;
}

DescCapture::DescCapture() : previous_(t_capture) {
  t_capture = this;
}

DescCapture::~DescCapture() {
  t_capture = previous_;
}

std::string ScenarioDesc::page_name(int page) const {
  const DescPage& p = pages[page];
  return regions[p.region].name + "[" + std::to_string(p.index) + "]";
}

}  // namespace fl::model::mm

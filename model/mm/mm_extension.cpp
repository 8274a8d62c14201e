#include "model/mm/mm_extension.h"

#include "model/variants.h"

namespace fl::model::mm {

namespace {

// Until the mm model lands this extension owns no keywords: it only lists
// the variants and built-in properties that exist by name.
class MmExtension final : public lang::Extension {
 public:
  std::string name() const override { return "mm"; }
  std::vector<std::string> keywords() const override { return {}; }
  std::unique_ptr<lang::ExtensionDecl> parse(lang::Cursor& c) const override {
    c.fail(c.peek(), "kernel declarations are not available in this build");
  }
  void elaborate(const std::vector<const lang::ExtensionDecl*>&, lang::ElabContext&) const override {}
  std::vector<std::string> variants() const override {
    std::vector<std::string> out;
    for (const VariantInfo& v : all_variants()) out.push_back(v.name);
    return out;
  }
  std::vector<std::pair<std::string, std::string>> builtin_properties() const override { return {}; }
  void add_builtin_property(const std::string& name, const SourceLoc& loc,
                            lang::ElabContext& ctx) const override {
    ctx.fail(loc, "unknown built-in property '" + name + "'");
  }
};

}  // namespace

const lang::Extension& extension() {
  static const MmExtension kExtension;
  return kExtension;
}

}  // namespace fl::model::mm

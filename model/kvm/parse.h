#pragma once
// Parsing of the KVM kernel declarations (docs/scenario-language.md,
// "Kernel declarations (kvm)") and their resolution into a Spec.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/kvm/defs.h"
#include "model/lang/ast.h"
#include "model/lang/extension.h"
#include "model/mm/export.h"

namespace fl::model::kvm {

using ConstExpr = std::shared_ptr<const lang::AstExpr>;

struct RawVcpuOp {
  std::string reg;
  std::string verb;
  ConstExpr gfn;
  SourceLoc loc;
};

struct KvmDecl : lang::ExtensionDecl {
  std::string name;
  // gmem
  ConstExpr pages;
  std::vector<ConstExpr> populated, poisoned;
  // memslot
  ConstExpr gfn;
  std::string region, gmem;
  bool readonly = false, userfault = false, huge = false, priv = false;
  // vcpu / vmm program
  std::vector<RawVcpuOp> ops;
  // vmm NAME exit-handler | sigbus-handler
  std::string role;
  bool fair = false;  // vmm NAME ROLE fair, vmm NAME fair { ... }
  // kvm OPTION = on|off
  std::string option;
  bool value = false;
};

const std::vector<std::string>& keywords();
std::unique_ptr<KvmDecl> parse_decl(lang::Cursor& c);

// Resolves names (mm regions through the mm model's view, if any) and
// checks the declarations; errors go through ctx.fail.
Spec resolve(const std::vector<const KvmDecl*>& decls, const std::string& variant,
             const mm::View* mm, lang::ElabContext& ctx);

}  // namespace fl::model::kvm

#pragma once
// Parsing of the mm kernel declarations (docs/scenario-language.md,
// "Kernel declarations (mm)") into unresolved declarations, and their
// resolution into a Spec.

#include <memory>
#include <string>
#include <vector>

#include "model/lang/ast.h"
#include "model/lang/extension.h"
#include "model/mm/defs.h"

namespace fl::model::mm {

// `NAME` or `NAME[INDEX]`.
// Constant expressions (parameters, consts) are kept as written and
// evaluated at elaboration through ElabContext::eval_const.
using ConstExpr = std::shared_ptr<const lang::AstExpr>;

struct Ref {
  std::string name;
  ConstExpr index;  // null: the whole region
  SourceLoc loc;
};

struct RawOp {
  Op op = Op::Read;
  std::string reg;
  Ref target;     // page (or the context for close; empty for fork)
  Ref src;        // MOVE: `from REF`
  ConstExpr len;  // null: one page
  bool dontwake = false;
  bool wp = false;
  bool holes = false;  // MOVE allow-src-holes
  std::string via;     // explicit context for ioctls
  SourceLoc loc;
};

struct MmDecl : lang::ExtensionDecl {
  // kconfig
  std::string knob;
  bool knob_value = false;
  // uffd
  std::vector<std::string> features;
  bool user_mode_only = false;
  // region
  std::string name;
  std::string mem;
  ConstExpr pages;  // null: one page
  std::string ctx;
  std::vector<std::string> modes;
  // source / init
  Ref ref;
  std::string value;
  // thread
  std::vector<RawOp> ops;
  // thread: runs in the forked child
  bool child = false;
  // monitor
  bool wake_after_eexist = false;
  bool forget_eagain = false;
  bool wake_on_remove = false;
  bool fair = false;  // monitor NAME on CTX fair { ... }
};

// The top-level keywords.
const std::vector<std::string>& keywords();

// Parses one declaration; the cursor is on its keyword.
std::unique_ptr<MmDecl> parse_decl(lang::Cursor& c);

// Resolves names and checks the declarations; errors go through ctx.fail.
Spec resolve(const std::vector<const MmDecl*>& decls, const std::string& variant,
             lang::ElabContext& ctx);

}  // namespace fl::model::mm

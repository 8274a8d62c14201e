#pragma once
// Kernel declarations (regions, userfaultfd contexts, threads and their
// programs, monitors, memslots, vCPUs ...) are parsed and elaborated by the
// kernel model (model/mm, model/kvm), not by the core language.  The core
// parser hands every top-level declaration that starts with one of an
// extension's keywords to that extension; the elaborator calls each
// extension once, before the core variables and actors are elaborated, so
// that the names it defines (observation registers, outcome constants) are
// visible to the rest of the file.  This keeps includes pointing down:
// model/mm includes model/lang, never the other way round; model/loader.*
// wires them together.

#include <memory>
#include <string>
#include <vector>

#include "model/builder.h"
#include "model/lang/lexer.h"

namespace fl::lang {

struct AstExpr;  // model/lang/ast.h
class Extension;

// One parsed kernel declaration; the extension defines what it holds.
struct ExtensionDecl {
  virtual ~ExtensionDecl() = default;
  model::SourceLoc loc;
  std::string keyword;
};

// Whatever an extension's elaborate() built that its add_builtin_property()
// needs later (for example the ids of the built-in properties' expressions).
// The extension defines what it holds; the context owns it for the length of
// one elaboration, so nothing outlives or leaks between elaborations.
struct ExtensionState {
  virtual ~ExtensionState() = default;
};

// What an extension may do while elaborating.
class ElabContext {
 public:
  virtual ~ElabContext() = default;
  virtual model::Builder& builder() = 0;
  virtual const std::string& variant() const = 0;
  // Value of a constant expression (parameters, consts, enum labels).
  virtual model::Value eval_const(const AstExpr& e) const = 0;
  // Makes `name` a constant visible to the rest of the scenario.
  virtual void define_const(const std::string& name, model::Value v,
                            const model::SourceLoc& loc) = 0;
  [[noreturn]] virtual void fail(const model::SourceLoc& loc, const std::string& message) const = 0;
  // Keeps `state` for extension `owner` until the end of this elaboration
  // (replacing what it kept before); state(owner) returns it, or null.
  virtual void set_state(const Extension& owner, std::unique_ptr<ExtensionState> state) = 0;
  virtual ExtensionState* state(const Extension& owner) const = 0;
};

class Extension {
 public:
  virtual ~Extension() = default;
  virtual std::string name() const = 0;  // "mm", "kvm"
  // Top-level keywords this extension owns.
  virtual std::vector<std::string> keywords() const = 0;
  // Called with the cursor on the keyword.  Must consume the whole declaration.
  virtual std::unique_ptr<ExtensionDecl> parse(Cursor& c) const = 0;
  // Called once per elaboration with every declaration it parsed, in file order.
  virtual void elaborate(const std::vector<const ExtensionDecl*>& decls,
                         ElabContext& ctx) const = 0;
  // Variant names this extension knows (for `variants` and --variant checks).
  virtual std::vector<std::string> variants() const = 0;
  // Names of built-in properties it can add (`check NAME`), with a one-line description.
  virtual std::vector<std::pair<std::string, std::string>> builtin_properties() const = 0;
  // Adds built-in property `name` (after elaborate(), which may leave what
  // it needs through ElabContext::set_state).
  virtual void add_builtin_property(const std::string& name, const model::SourceLoc& loc,
                                    ElabContext& ctx) const = 0;
};

}  // namespace fl::lang

#pragma once
// The elaborator: turns a parsed scenario (model/lang/ast.h) into a
// model::Model for one variant and one parameter assignment.  Internal to
// model/lang; split over elaborate.cpp (declarations, properties,
// expectations), elab_expr.cpp (expressions, constant folding, defs) and
// elab_stmt.cpp (statements, procs, actors).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/builder.h"
#include "model/lang/ast.h"
#include "model/lang/extension.h"

namespace fl::lang {

// Limits that keep every input finite (docs/scenario-language.md, "Limits").
inline constexpr model::Value kMaxUnroll = 4096;      // values of one range unrolled
inline constexpr model::Value kMaxArray = 4096;       // elements of one array
inline constexpr uint32_t kMaxSlots = 4096;           // state slots in total
inline constexpr size_t kMaxExprs = size_t{1} << 22;  // IR expressions in total
inline constexpr size_t kMaxActions = 65536;          // actions in total

// A compiled expression: a constant, or an IR expression.  A non-constant
// value remembers the first reason it is not constant, for the error when
// a constant is required.
struct Val {
  bool is_const = true;
  model::Value value = 0;
  model::Id id = model::kNoId;
  model::SourceLoc why_loc;
  std::string why;

  static Val constant(model::Value v) { return Val{true, v, model::kNoId, {}, {}}; }
};

enum class SymKind : uint8_t {
  Const,     // value (a param, an enum label, an index, a folded let), or a lazy `const`
  EnumType,  // enum_decl
  Var,       // var (kNoId until the variable is created)
  Def,       // def
  Proc,      // proc
  Local,     // IR local `var` (a let or proc argument computed from the state)
  Bound,     // a def argument: the compiled value `val`
};

struct Symbol {
  SymKind kind = SymKind::Const;
  model::SourceLoc loc;
  Val val;                      // Const (once evaluated) and Bound
  model::Id id = model::kNoId;  // Var, Local
  const ConstDecl* const_decl = nullptr;
  const EnumDecl* enum_decl = nullptr;
  const DefDecl* def = nullptr;
  const ProcDecl* proc = nullptr;
  enum State : uint8_t { Done, Pending, Busy } state = Done;
};

class Elaborator final : public ElabContext {
 public:
  Elaborator(const Ast& ast, const std::vector<const Extension*>& extensions, std::string variant,
             std::map<std::string, model::Value> params);
  model::Model run();

  // ElabContext
  model::Builder& builder() override { return *b_; }
  const std::string& variant() const override { return variant_; }
  model::Value eval_const(const AstExpr& e) const override;
  void define_const(const std::string& name, model::Value v, const model::SourceLoc& loc) override;
  [[noreturn]] void fail(const model::SourceLoc& loc, const std::string& message) const override;
  void set_state(const Extension& owner, std::unique_ptr<ExtensionState> state) override;
  ExtensionState* state(const Extension& owner) const override;

 private:
  // elaborate.cpp
  void declare_globals();
  void declare_global(const std::string& name, Symbol s);
  void run_extensions();
  void declare_var(const VarDecl& d);
  void types(const VarDecl& d, model::Value& lo, model::Value& hi,
             std::vector<std::string>& labels);
  std::vector<model::Value> initial_values(const VarDecl& d, uint32_t length, model::Value lo,
                                           model::Value hi);
  void property(const PropertyDecl& d);
  void check(const CheckDecl& d);
  void observe(const ObserveDecl& d);
  void expect(const ExpectDecl& d);
  void finish();

  // elab_expr.cpp
  Val expr(const AstExpr& e);
  Val name(const AstExpr& e);
  Val index(const AstExpr& e);
  Val call(const AstExpr& e);
  Val unary(const AstExpr& e);
  Val binary(const AstExpr& e);
  Val ternary(const AstExpr& e);
  Val quantifier(const AstExpr& e);
  Val combine(model::BinaryOp op, const Val& a, const Val& b, const model::SourceLoc& loc);
  model::Id ir(const Val& v);
  model::Value require_const(const AstExpr& e, const std::string& what);
  std::vector<model::Value> range(const AstRange& r, const std::string& what);
  std::vector<model::Value> range(const AstExpr& lo, const AstExpr& hi, const std::string& what);
  Val reduce(model::BinaryOp op, const std::vector<Val>& terms, size_t lo, size_t hi,
             const model::SourceLoc& loc);
  model::Value global_const(const std::string& name, Symbol& s);
  const Symbol* lookup(const std::string& name) const;
  Symbol* lookup_global(const std::string& name);
  model::Id state_var(const std::string& name, const model::SourceLoc& loc, bool indexed);
  [[noreturn]] void unknown(const std::string& name, const model::SourceLoc& loc) const;
  void declare_local(const std::string& name, Symbol s);
  void enter_macro(const std::string& name, const void* decl, size_t params, size_t args,
                   const model::SourceLoc& loc);
  void leave_macro(size_t mark, size_t saved_barrier);
  void check_budget(const model::SourceLoc& loc) const;

  // elab_stmt.cpp
  model::Id block(const std::vector<AstStmt>& body);
  model::Id stmt(const AstStmt& s);
  model::Id assign(const AstStmt& s);
  model::Id let(const AstStmt& s);
  model::Id if_stmt(const AstStmt& s);
  model::Id for_stmt(const AstStmt& s);
  model::Id proc_call(const AstStmt& s);
  void actor(const ActorDecl& d);
  void actions(const ActionDecl& a, model::Id actor);

  std::string line_text(const model::SourceLoc& loc) const;

  const Ast& ast_;
  const std::vector<const Extension*>& extensions_;
  std::string variant_;
  std::map<std::string, model::Value> params_;
  model::Model model_;
  model::Builder builder_{model_};
  model::Builder* b_ = &builder_;

  std::map<std::string, Symbol> globals_;
  std::vector<std::pair<std::string, Symbol>> locals_;
  size_t barrier_ = 0;               // locals below it belong to a caller and are hidden
  std::vector<std::string> active_;  // defs and procs being expanded, outermost first
  std::vector<const void*> active_decls_;
  std::set<std::string> actor_names_;
  std::set<std::string> observation_names_;
  std::map<const Extension*, std::unique_ptr<ExtensionState>> ext_states_;
};

}  // namespace fl::lang

#pragma once
// The abstract syntax tree of a scenario file (docs/scenario-language.md).
//
// The parser (model/lang/parser.cpp, parse_expr.cpp) produces it without
// looking at names: whether `x` is a constant, a variable or a def is only
// decided by the elaborator (model/lang/elaborate.cpp), which turns the tree
// into a model::Model for one variant and one parameter assignment.  Kernel
// extensions parse their own declarations and may embed AstExpr constant
// expressions in them, which they evaluate through ElabContext::eval_const.

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "model/ir.h"
#include "model/lang/extension.h"
#include "model/lang/frontend.h"
#include "model/lang/lexer.h"

namespace fl::lang {

// Nesting limit for expressions and statement blocks.  Deeper input is
// rejected with an error instead of exhausting the stack while parsing,
// elaborating or destroying the tree.
inline constexpr int kMaxNesting = 256;

struct AstExpr;
using AstExprPtr = std::unique_ptr<AstExpr>;

enum class AstExprKind : uint8_t {
  Int,      // value (also true = 1, false = 0)
  Name,     // name
  Index,    // name[args[0]]
  Call,     // name(args...): a def
  Unary,    // uop args[0]
  Binary,   // bop args[0] args[1] (min and max too)
  Ternary,  // args[0] ? args[1] : args[2]
  Quant,    // quant name in args[0]..args[1]: args[2]
  Variant,  // variant("name"): 1 when elaborating that variant
};

enum class Quantifier : uint8_t { Forall, Exists, Count };

struct AstExpr {
  AstExprKind kind = AstExprKind::Int;
  model::SourceLoc loc;
  model::Value value = 0;
  std::string name;
  model::UnaryOp uop = model::UnaryOp::Not;
  model::BinaryOp bop = model::BinaryOp::Add;
  Quantifier quant = Quantifier::Forall;
  std::vector<AstExprPtr> args;
  int height = 1;  // 1 + the tallest operand, bounded by kMaxNesting
};

// Parses one expression (the full grammar, `?:` being the lowest level).
// Kernel extensions use it for the constant expressions in their
// declarations.  Throws ScenarioError.
AstExprPtr parse_expr(Cursor& c);

// A name together with where it was written.
struct Named {
  std::string name;
  model::SourceLoc loc;
};

// `LO..HI`, as written in types, loops, quantifiers and indexed actors.
struct AstRange {
  AstExprPtr lo, hi;
};

enum class AstStmtKind : uint8_t { Assign, Let, If, For, Assert, Skip, Call };

struct AstStmt {
  AstStmtKind kind = AstStmtKind::Skip;
  model::SourceLoc loc;
  std::string name;                // Assign: variable; Let: local; For: index; Call: proc
  AstExprPtr index;                // Assign to an array element
  AstExprPtr value;                // Assign, Let
  AstExprPtr cond;                 // If, Assert
  AstRange range;                  // For
  std::vector<AstExprPtr> args;    // Call
  std::vector<AstStmt> then_body;  // If (then), For (body)
  std::vector<AstStmt> else_body;  // If (else; `else if` is a nested If)
  std::string message;             // Assert: the message, or the condition as written
};

struct ParamDecl {
  ParamInfo info;
  model::SourceLoc loc;
};

struct ConstDecl {
  Named name;
  AstExprPtr value;
};

struct EnumDecl {
  Named name;
  std::vector<Named> labels;
};

// A variable's type: `bool`, `LO..HI`, or an enum name.
struct AstType {
  enum Kind : uint8_t { Bool, Range, Enum } kind = Bool;
  AstRange range;   // Range
  Named enum_name;  // Enum
  model::SourceLoc loc;
};

struct VarDecl {
  Named name;
  AstExprPtr size;  // null for a scalar
  AstType type;
  AstExprPtr init;  // a constant for every element, or null
  bool init_is_list = false;
  std::vector<AstExprPtr> init_list;
  model::SourceLoc init_loc;
};

struct DefDecl {
  Named name;
  std::vector<Named> params;
  AstExprPtr body;
};

struct ProcDecl {
  Named name;
  std::vector<Named> params;
  std::vector<AstStmt> body;
};

// `[IDX in LO..HI]` after an actor or action name; empty index = not indexed.
struct AstIndex {
  Named index;
  AstRange range;
  bool present() const { return !index.name.empty(); }
};

struct ActionDecl {
  Named name;
  AstIndex index;
  std::string kernel_function;
  AstExprPtr guard;  // null: always enabled
  std::vector<AstStmt> body;
};

struct ActorDecl {
  Named name;
  bool fair = false;
  AstIndex index;
  std::vector<ActionDecl> actions;
};

struct PropertyDecl {
  Named name;
  model::PropertyKind kind = model::PropertyKind::Invariant;
  std::string description;
  AstExprPtr expr;
};

struct CheckDecl {
  std::vector<Named> names;
};

// `observe NAME = EXPR` (expr set) or one name of `observe VAR, VAR`.
struct ObserveDecl {
  Named name;
  AstExprPtr expr;
};

struct ExpectDecl {
  model::ExpectationKind kind = model::ExpectationKind::Holds;
  model::SourceLoc loc;
  Named property;    // holds / violated
  AstExprPtr expr;   // exists / not exists / forall
  AstExprPtr cond;   // `if CONSTEXPR`, or null
  std::string text;  // the clause as written, without `expect` and the `if`
};

struct ExtDecl {
  const Extension* extension = nullptr;
  std::unique_ptr<ExtensionDecl> decl;
};

using Decl = std::variant<ParamDecl, ConstDecl, EnumDecl, VarDecl, DefDecl, ProcDecl, ActorDecl,
                          PropertyDecl, CheckDecl, ObserveDecl, ExpectDecl, ExtDecl>;

struct Ast {
  std::string source;  // the file's text, to quote lines in elaboration errors
  ScenarioInfo info;
  model::SourceLoc scenario_loc;
  std::vector<Named> variants;  // as declared (empty: the baseline only)
  std::vector<Decl> decls;      // everything after the header, in file order
};

// Parses a whole scenario file.  Throws ScenarioError.
std::unique_ptr<Ast> parse_scenario(const std::string& file, const std::string& text,
                                    const std::vector<const Extension*>& extensions);

// Line `line` (1-based) of `source`, without its newline; "" if out of range.
std::string source_line(const std::string& source, int line);

// The reserved words of the language: none may name anything.
bool is_keyword(const std::string& word);

}  // namespace fl::lang

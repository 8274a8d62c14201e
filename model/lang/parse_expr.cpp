// The expression grammar of the scenario language (docs/scenario-language.md,
// "Expressions"): C precedence, `->` for implication, quantifiers whose body
// extends as far right as possible.
#include <algorithm>
#include <string_view>

#include "model/lang/ast.h"
#include "model/variants.h"

namespace fl::lang {

namespace {

using model::BinaryOp;

struct Level {
  std::string_view spelling;
  BinaryOp op;
};

// The left-associative binary levels, lowest precedence first.
const std::vector<std::vector<Level>>& binary_levels() {
  static const std::vector<std::vector<Level>> kLevels = {
      {{"||", BinaryOp::Or}},
      {{"&&", BinaryOp::And}},
      {{"==", BinaryOp::Eq}, {"!=", BinaryOp::Ne}},
      {{"<", BinaryOp::Lt}, {"<=", BinaryOp::Le}, {">", BinaryOp::Gt}, {">=", BinaryOp::Ge}},
      {{"+", BinaryOp::Add}, {"-", BinaryOp::Sub}},
      {{"*", BinaryOp::Mul}, {"/", BinaryOp::Div}, {"%", BinaryOp::Mod}},
  };
  return kLevels;
}

std::string describe(const Token& t) {
  if (t.kind == Tok::End) return "end of file";
  if (t.kind == Tok::String) return "string \"" + t.text + "\"";
  if (t.kind == Tok::Ident && is_keyword(t.text)) return "keyword '" + t.text + "'";
  return "'" + t.text + "'";
}

class ExprParser {
 public:
  explicit ExprParser(Cursor& c) : c_(c) {}

  AstExprPtr ternary() {
    Guard g(*this);
    AstExprPtr cond = implies();
    if (!c_.is("?")) return cond;
    const Token& q = c_.next();
    AstExprPtr a = ternary();
    c_.expect(":");
    AstExprPtr b = ternary();
    AstExprPtr e = node(AstExprKind::Ternary, q);
    add(*e, std::move(cond));
    add(*e, std::move(a));
    add(*e, std::move(b));
    return e;
  }

 private:
  // Counts recursion so that deeply nested input fails cleanly.
  struct Guard {
    explicit Guard(ExprParser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting) p_.too_deep(p_.c_.peek());
    }
    ~Guard() { --p_.depth_; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ExprParser& p_;
  };

  static std::string too_deep_message() {
    return "expression nested too deeply (the limit is " + std::to_string(kMaxNesting) + " levels)";
  }
  [[noreturn]] void too_deep(const Token& at) const { c_.fail(at, too_deep_message()); }

  AstExprPtr node(AstExprKind kind, const Token& at) {
    auto e = std::make_unique<AstExpr>();
    e->kind = kind;
    e->loc = c_.loc(at);
    return e;
  }

  // Appends operand `a` to `e`, keeping e's height and its limit.
  void add(AstExpr& e, AstExprPtr a) {
    e.height = std::max(e.height, a->height + 1);
    if (e.height > kMaxNesting) c_.fail(e.loc, too_deep_message());
    e.args.push_back(std::move(a));
  }

  AstExprPtr binary(BinaryOp op, const Token& at, AstExprPtr a, AstExprPtr b) {
    AstExprPtr e = node(AstExprKind::Binary, at);
    e->bop = op;
    add(*e, std::move(a));
    add(*e, std::move(b));
    return e;
  }

  // `->` is right-associative: a -> b -> c is a -> (b -> c).
  AstExprPtr implies() {
    Guard g(*this);
    AstExprPtr a = level(0);
    if (!c_.is("->")) return a;
    const Token& op = c_.next();
    return binary(BinaryOp::Implies, op, std::move(a), implies());
  }

  AstExprPtr level(size_t n) {
    if (n == binary_levels().size()) return unary();
    AstExprPtr a = level(n + 1);
    for (;;) {
      const Level* found = nullptr;
      for (const Level& l : binary_levels()[n]) {
        if (c_.peek().kind == Tok::Punct && c_.peek().text == l.spelling) found = &l;
      }
      if (found == nullptr) return a;
      const Token& op = c_.next();
      a = binary(found->op, op, std::move(a), level(n + 1));
    }
  }

  AstExprPtr unary() {
    Guard g(*this);
    if (c_.is("!") || c_.is("-")) {
      const Token& op = c_.next();
      AstExprPtr e = node(AstExprKind::Unary, op);
      add(*e, unary());
      e->uop = op.text == "!" ? model::UnaryOp::Not : model::UnaryOp::Neg;
      return e;
    }
    return primary();
  }

  AstExprPtr literal(const Token& t, model::Value v) {
    AstExprPtr e = node(AstExprKind::Int, t);
    e->value = v;
    return e;
  }

  AstExprPtr primary() {
    const Token& t = c_.peek();
    if (t.kind == Tok::Int) return literal(c_.next(), t.value);
    if (c_.accept("(")) {
      AstExprPtr e = ternary();
      c_.expect(")");
      return e;
    }
    if (t.kind != Tok::Ident) c_.fail(t, "expected an expression, found " + describe(t));
    if (t.text == "true" || t.text == "false") return literal(c_.next(), t.text == "true");
    if (t.text == "min" || t.text == "max") return min_max();
    if (t.text == "forall" || t.text == "exists" || t.text == "count") return quantifier();
    if (t.text == "variant") return variant();
    if (is_keyword(t.text)) c_.fail(t, "expected an expression, found " + describe(t));
    return name();
  }

  AstExprPtr name() {
    const Token& t = c_.next();
    if (c_.is("[")) {
      c_.next();
      AstExprPtr e = node(AstExprKind::Index, t);
      add(*e, ternary());
      e->name = t.text;
      c_.expect("]");
      return e;
    }
    if (c_.is("(")) {
      AstExprPtr e = node(AstExprKind::Call, t);
      for (AstExprPtr& a : arguments()) add(*e, std::move(a));
      e->name = t.text;
      return e;
    }
    AstExprPtr e = node(AstExprKind::Name, t);
    e->name = t.text;
    return e;
  }

  std::vector<AstExprPtr> arguments() {
    c_.expect("(");
    std::vector<AstExprPtr> args;
    if (c_.accept(")")) return args;
    do {
      args.push_back(ternary());
    } while (c_.accept(","));
    c_.expect(")");
    return args;
  }

  AstExprPtr min_max() {
    const Token& t = c_.next();
    std::vector<AstExprPtr> args = arguments();
    if (args.size() != 2) {
      c_.fail(t, t.text + " takes 2 arguments, given " + std::to_string(args.size()));
    }
    BinaryOp op = t.text == "min" ? BinaryOp::Min : BinaryOp::Max;
    return binary(op, t, std::move(args[0]), std::move(args[1]));
  }

  AstExprPtr quantifier() {
    const Token& t = c_.next();
    const Token& var = c_.expect_ident("a quantifier variable");
    if (is_keyword(var.text)) c_.fail(var, "'" + var.text + "' is a keyword");
    c_.expect("in");
    AstExprPtr lo = ternary();
    c_.expect("..");
    AstExprPtr hi = ternary();
    c_.expect(":");
    AstExprPtr body = ternary();
    AstExprPtr e = node(AstExprKind::Quant, t);
    add(*e, std::move(lo));
    add(*e, std::move(hi));
    add(*e, std::move(body));
    e->name = var.text;
    e->quant = t.text == "forall"   ? Quantifier::Forall
               : t.text == "exists" ? Quantifier::Exists
                                    : Quantifier::Count;
    return e;
  }

  AstExprPtr variant() {
    const Token& t = c_.next();
    c_.expect("(");
    AstExprPtr e = node(AstExprKind::Variant, t);
    e->loc = c_.loc();
    e->name = c_.expect_string("a variant name in quotes");
    if (model::find_variant(e->name) == nullptr) {
      c_.fail(e->loc, "unknown variant '" + e->name + "' (see `faultline list variants`)");
    }
    c_.expect(")");
    return e;
  }

  Cursor& c_;
  int depth_ = 0;
};

}  // namespace

AstExprPtr parse_expr(Cursor& c) {
  return ExprParser(c).ternary();
}

}  // namespace fl::lang

// The declaration and statement grammar of the scenario language
// (docs/scenario-language.md).  The parser checks syntax and the few facts
// `faultline list` needs without elaborating (variant names, parameter
// defaults and ranges, built-in property names); every other semantic check
// is the elaborator's.
#include <algorithm>
#include <map>

#include "model/lang/ast.h"
#include "model/lang/suggest.h"
#include "model/variants.h"

namespace fl::lang {

namespace {

constexpr std::string_view kKeywords[] = {
    "scenario", "variants", "param",  "const",  "enum",      "var",      "def",      "proc",
    "fair",     "actor",    "action", "models", "when",      "let",      "if",       "else",
    "for",      "in",       "assert", "skip",   "invariant", "deadlock", "liveness", "eventually",
    "check",    "observe",  "expect", "holds",  "violated",  "exists",   "not",      "forall",
    "count",    "true",     "false",  "min",    "max",       "variant",  "bool",
};

std::string quoted(const Token& t) {
  if (t.kind == Tok::End) return "end of file";
  if (t.kind == Tok::String) return "string \"" + t.text + "\"";
  return "'" + t.text + "'";
}

class Parser {
 public:
  Parser(Cursor& c, const std::string& source, const std::vector<const Extension*>& extensions)
      : c_(c), source_(source) {
    for (const Extension* e : extensions) {
      for (const std::string& k : e->keywords()) {
        if (!is_keyword(k)) ext_keywords_.emplace(k, e);
      }
      for (const auto& [name, description] : e->builtin_properties()) builtins_.push_back(name);
    }
  }

  std::unique_ptr<Ast> run() {
    ast_ = std::make_unique<Ast>();
    ast_->source = source_;
    ast_->info.file = c_.file();
    header();
    while (!c_.at_end()) declaration();
    if (ast_->variants.empty()) ast_->info.variants = {model::kBaselineVariant};
    return std::move(ast_);
  }

 private:
  // --- names ---------------------------------------------------------------
  Named declared_name(std::string_view what) {
    const Token& t = c_.expect_ident(what);
    if (is_keyword(t.text)) c_.fail(t, "'" + t.text + "' is a keyword and cannot be a name");
    return {t.text, c_.loc(t)};
  }

  Named dashed_name(std::string_view what) {
    model::SourceLoc loc = c_.loc();
    std::string name = c_.expect_name(what);
    if (is_keyword(name)) c_.fail(loc, "'" + name + "' is a keyword and cannot be a name");
    return {name, loc};
  }

  std::string optional_description() { return c_.peek().kind == Tok::String ? c_.next().text : ""; }

  // --- header --------------------------------------------------------------
  void header() {
    if (c_.at_end()) {
      c_.fail(c_.peek(), "the file is empty: a scenario file starts with 'scenario NAME'");
    }
    if (!c_.is("scenario")) {
      c_.fail(c_.peek(),
              "a scenario file must start with 'scenario NAME', found " + quoted(c_.peek()));
    }
    ast_->scenario_loc = c_.loc();
    c_.next();
    ast_->info.name = dashed_name("the scenario name").name;
    ast_->info.description = optional_description();
  }

  void declaration() {
    const Token& t = c_.peek();
    if (c_.accept(";")) return;
    if (t.kind == Tok::Ident) {
      auto ext = ext_keywords_.find(t.text);
      if (ext != ext_keywords_.end() && !is_keyword(t.text)) return extension(ext->second);
      if (core_declaration(t.text)) return;
      if (t.text == "scenario") {
        c_.fail(t, "'scenario' must come first and only once (this is scenario '" +
                       ast_->info.name + "')");
      }
      if (t.text == "action") c_.fail(t, "'action' must be inside an actor");
    }
    c_.fail(t, "expected a declaration, found " + quoted(t));
  }

  bool core_declaration(const std::string& kw) {
    using K = model::PropertyKind;
    if (kw == "variants") return variants(), true;
    if (kw == "param") return param(), true;
    if (kw == "const") return constant(), true;
    if (kw == "enum") return enumeration(), true;
    if (kw == "var") return variable(), true;
    if (kw == "def") return def(), true;
    if (kw == "proc") return proc(), true;
    if (kw == "fair" || kw == "actor") return actor(), true;
    if (kw == "invariant") return property(K::Invariant), true;
    if (kw == "deadlock") return property(K::Deadlock), true;
    if (kw == "liveness") return property(K::Liveness), true;
    if (kw == "check") return check(), true;
    if (kw == "observe") return observe(), true;
    if (kw == "expect") return expect(), true;
    return false;
  }

  void extension(const Extension* e) {
    const Token& kw = c_.peek();
    model::SourceLoc loc = c_.loc(kw);
    std::string keyword = kw.text;
    std::unique_ptr<ExtensionDecl> decl = e->parse(c_);
    if (!decl) c_.fail(loc, "'" + keyword + "' declaration produced nothing");
    if (decl->loc.line == 0) decl->loc = loc;
    if (decl->keyword.empty()) decl->keyword = keyword;
    ast_->decls.emplace_back(ExtDecl{e, std::move(decl)});
  }

  // --- header-like declarations ----------------------------------------------
  void variants() {
    const Token& kw = c_.next();
    if (!ast_->variants.empty()) c_.fail(kw, "'variants' is declared twice");
    do {
      Named v = dashed_name("a variant name");
      if (model::find_variant(v.name) == nullptr) {
        c_.fail(v.loc, "unknown variant '" + v.name + "' (see `faultline list variants`)");
      }
      for (const Named& w : ast_->variants) {
        if (w.name == v.name) c_.fail(v.loc, "variant '" + v.name + "' is listed twice");
      }
      ast_->variants.push_back(v);
      ast_->info.variants.push_back(v.name);
    } while (c_.accept(","));
  }

  model::Value range_bound(std::string_view what) {
    if (c_.peek().kind == Tok::Ident) {
      c_.fail(c_.peek(), "the " + std::string(what) + " of a parameter range must be an integer " +
                             "literal, found '" + c_.peek().text + "'");
    }
    return c_.expect_int(std::string(what) + " (an integer)");
  }

  void param() {
    c_.next();
    ParamDecl p;
    Named n = declared_name("a parameter name");
    p.loc = n.loc;
    p.info.name = n.name;
    c_.expect("=");
    const Token& value = c_.peek();
    if (c_.accept("true") || c_.accept("false")) {
      p.info.is_bool = true;
      p.info.default_value = value.text == "true";
      p.info.min = 0;
      p.info.max = 1;
    } else {
      p.info.default_value = c_.expect_int("an integer, true or false");
    }
    if (c_.is("in")) {
      if (p.info.is_bool) c_.fail(c_.peek(), "a bool parameter takes no range");
      c_.next();
      p.info.has_range = true;
      p.info.min = range_bound("lower bound");
      const Token& dots = c_.expect("..");
      p.info.max = range_bound("upper bound");
      if (p.info.min > p.info.max) {
        c_.fail(dots,
                "empty range " + std::to_string(p.info.min) + ".." + std::to_string(p.info.max));
      }
      if (p.info.default_value < p.info.min || p.info.default_value > p.info.max) {
        c_.fail(value, "default value " + std::to_string(p.info.default_value) + " is outside " +
                           std::to_string(p.info.min) + ".." + std::to_string(p.info.max));
      }
    }
    p.info.description = optional_description();
    ast_->info.params.push_back(p.info);
    ast_->decls.emplace_back(std::move(p));
  }

  void constant() {
    c_.next();
    ConstDecl d;
    d.name = declared_name("a constant name");
    c_.expect("=");
    d.value = parse_expr(c_);
    ast_->decls.emplace_back(std::move(d));
  }

  void enumeration() {
    c_.next();
    EnumDecl d;
    d.name = declared_name("an enum name");
    c_.expect("{");
    while (!c_.is("}")) {
      d.labels.push_back(declared_name("an enum label"));
      if (!c_.accept(",")) break;
    }
    const Token& close = c_.expect("}");
    if (d.labels.empty()) c_.fail(close, "enum '" + d.name.name + "' needs at least one label");
    ast_->decls.emplace_back(std::move(d));
  }

  // --- variables -------------------------------------------------------------
  AstType type() {
    AstType t;
    t.loc = c_.loc();
    if (c_.accept("bool")) return t;
    AstExprPtr e = parse_expr(c_);
    if (c_.accept("..")) {
      t.kind = AstType::Range;
      t.range.lo = std::move(e);
      t.range.hi = parse_expr(c_);
    } else if (e->kind == AstExprKind::Name) {
      t.kind = AstType::Enum;
      t.enum_name = {e->name, e->loc};
    } else {
      c_.fail(t.loc, "expected a type: bool, LO..HI or an enum name");
    }
    return t;
  }

  void variable() {
    c_.next();
    VarDecl d;
    d.name = declared_name("a variable name");
    if (c_.accept("[")) {
      d.size = parse_expr(c_);
      c_.expect("]");
    }
    c_.expect(":");
    d.type = type();
    if (c_.accept("=")) {
      d.init_loc = c_.loc();
      if (c_.accept("[")) {
        d.init_is_list = true;
        do {
          d.init_list.push_back(parse_expr(c_));
        } while (c_.accept(","));
        c_.expect("]");
      } else {
        d.init = parse_expr(c_);
      }
    }
    ast_->decls.emplace_back(std::move(d));
  }

  // --- macros ------------------------------------------------------------------
  std::vector<Named> parameters() {
    std::vector<Named> out;
    c_.expect("(");
    if (c_.accept(")")) return out;
    do {
      out.push_back(declared_name("a parameter name"));
    } while (c_.accept(","));
    c_.expect(")");
    return out;
  }

  void def() {
    c_.next();
    DefDecl d;
    d.name = declared_name("a def name");
    d.params = parameters();
    c_.expect("=");
    d.body = parse_expr(c_);
    ast_->decls.emplace_back(std::move(d));
  }

  void proc() {
    c_.next();
    ProcDecl d;
    d.name = declared_name("a proc name");
    d.params = parameters();
    d.body = block();
    ast_->decls.emplace_back(std::move(d));
  }

  // --- actors --------------------------------------------------------------------
  AstIndex index() {
    AstIndex ix;
    if (!c_.accept("[")) return ix;
    ix.index = declared_name("an index name");
    c_.expect("in");
    ix.range.lo = parse_expr(c_);
    c_.expect("..");
    ix.range.hi = parse_expr(c_);
    c_.expect("]");
    return ix;
  }

  void actor() {
    ActorDecl d;
    d.fair = c_.accept("fair");
    c_.expect("actor");
    d.name = declared_name("an actor name");
    d.index = index();
    c_.expect("{");
    while (!c_.accept("}")) {
      if (c_.accept(";")) continue;
      if (!c_.is("action")) {
        c_.fail(c_.peek(), "expected 'action' or '}', found " + quoted(c_.peek()));
      }
      d.actions.push_back(action());
    }
    ast_->decls.emplace_back(std::move(d));
  }

  ActionDecl action() {
    c_.next();
    ActionDecl a;
    a.name = declared_name("an action name");
    a.index = index();
    if (c_.accept("models"))
      a.kernel_function = c_.expect_string("a kernel function name in quotes");
    if (c_.accept("when")) a.guard = parse_expr(c_);
    a.body = block();
    return a;
  }

  // --- statements ------------------------------------------------------------------
  std::vector<AstStmt> block() {
    const Token& open = c_.expect("{");
    if (++depth_ > kMaxNesting) {
      c_.fail(open,
              "blocks nested too deeply (the limit is " + std::to_string(kMaxNesting) + " levels)");
    }
    std::vector<AstStmt> out;
    while (!c_.accept("}")) {
      if (c_.accept(";")) continue;
      out.push_back(statement());
    }
    --depth_;
    return out;
  }

  AstStmt statement() {
    const Token& t = c_.peek();
    AstStmt s;
    s.loc = c_.loc(t);
    if (t.kind != Tok::Ident) c_.fail(t, "expected a statement, found " + quoted(t));
    if (c_.accept("let")) {
      s.kind = AstStmtKind::Let;
      s.name = declared_name("a local name").name;
      c_.expect("=");
      s.value = parse_expr(c_);
    } else if (c_.is("if")) {
      return if_statement();
    } else if (c_.accept("for")) {
      s.kind = AstStmtKind::For;
      s.name = declared_name("a loop index").name;
      c_.expect("in");
      s.range.lo = parse_expr(c_);
      c_.expect("..");
      s.range.hi = parse_expr(c_);
      s.then_body = block();
    } else if (c_.accept("assert")) {
      s.kind = AstStmtKind::Assert;
      size_t begin = c_.peek().begin;
      s.cond = parse_expr(c_);
      s.message = clause_text(begin, c_.peek().begin);
      if (c_.peek().kind == Tok::String) s.message = c_.next().text;
    } else if (c_.accept("skip")) {
      s.kind = AstStmtKind::Skip;
    } else if (is_keyword(t.text)) {
      c_.fail(t, "expected a statement, found keyword '" + t.text + "'");
    } else {
      named_statement(s);
    }
    return s;
  }

  // `x = e`, `x[i] = e` or `proc(args)`.
  void named_statement(AstStmt& s) {
    s.name = c_.next().text;
    if (c_.is("(")) {
      s.kind = AstStmtKind::Call;
      c_.next();
      if (!c_.accept(")")) {
        do {
          s.args.push_back(parse_expr(c_));
        } while (c_.accept(","));
        c_.expect(")");
      }
      return;
    }
    s.kind = AstStmtKind::Assign;
    if (c_.accept("[")) {
      s.index = parse_expr(c_);
      c_.expect("]");
    }
    if (!c_.is("=")) {
      c_.fail(c_.peek(), "expected '=' or '(' after '" + s.name + "', found " + quoted(c_.peek()));
    }
    c_.next();
    s.value = parse_expr(c_);
  }

  // `else if` nests an If in the else branch; each arm counts as a level
  // of nesting so that a long chain cannot exhaust the stack later.
  AstStmt if_statement() {
    const Token& kw = c_.next();
    AstStmt s;
    s.kind = AstStmtKind::If;
    s.loc = c_.loc(kw);
    s.cond = parse_expr(c_);
    s.then_body = block();
    if (!c_.accept("else")) return s;
    if (!c_.is("if")) {
      s.else_body = block();
      return s;
    }
    if (++depth_ > kMaxNesting)
      c_.fail(c_.peek(),
              "'else if' chain too long (the limit is " + std::to_string(kMaxNesting) + " arms)");
    s.else_body.push_back(if_statement());
    --depth_;
    return s;
  }

  // --- properties, observations, expectations ----------------------------------------
  void property(model::PropertyKind kind) {
    c_.next();
    PropertyDecl d;
    d.kind = kind;
    d.name = dashed_name("a property name");
    d.description = optional_description();
    c_.expect(":");
    if (kind == model::PropertyKind::Liveness) c_.expect("eventually");
    d.expr = parse_expr(c_);
    ast_->info.properties.push_back(d.name.name);
    ast_->decls.emplace_back(std::move(d));
  }

  void check() {
    c_.next();
    CheckDecl d;
    do {
      Named n = dashed_name("a built-in property name");
      if (std::find(builtins_.begin(), builtins_.end(), n.name) == builtins_.end()) {
        c_.fail(n.loc,
                "unknown built-in property '" + n.name + "'" + suggestion(n.name, builtins_));
      }
      ast_->info.properties.push_back(n.name);
      d.names.push_back(std::move(n));
    } while (c_.accept(","));
    ast_->decls.emplace_back(std::move(d));
  }

  void observe() {
    c_.next();
    Named first = declared_name("an observation name");
    if (c_.accept("=")) {
      ast_->decls.emplace_back(ObserveDecl{first, parse_expr(c_)});
      return;
    }
    ast_->decls.emplace_back(ObserveDecl{first, nullptr});
    while (c_.accept(","))
      ast_->decls.emplace_back(ObserveDecl{declared_name("a variable"), nullptr});
  }

  void expect() {
    c_.next();
    ExpectDecl d;
    d.loc = c_.loc();
    size_t begin = c_.peek().begin;
    using K = model::ExpectationKind;
    if (c_.is("exists") || c_.is("forall") || (c_.is("not") && c_.peek(1).text == "exists")) {
      d.kind = c_.is("forall") ? K::Forall : c_.is("exists") ? K::Exists : K::NotExists;
      c_.accept("not");
      d.expr = outcome_expr();
    } else {
      d.property = dashed_name("a property name, exists, not exists or forall");
      if (!c_.is("holds") && !c_.is("violated")) {
        c_.fail(c_.peek(), "expected 'holds' or 'violated', found " + quoted(c_.peek()));
      }
      d.kind = c_.next().text == "holds" ? K::Holds : K::Violated;
    }
    d.text = clause_text(begin, c_.peek().begin);
    if (c_.accept("if")) d.cond = parse_expr(c_);
    ast_->decls.emplace_back(std::move(d));
  }

  // After `exists` / `forall`: `exists v in 0..V-1: E` binds a quantifier
  // variable, which reads the same either way (a final state and a v such
  // that E); otherwise the keyword is followed by a plain expression.
  AstExprPtr outcome_expr() {
    if (c_.peek(1).kind == Tok::Ident && c_.peek(2).kind == Tok::Ident && c_.peek(2).text == "in") {
      return parse_expr(c_);
    }
    c_.next();
    return parse_expr(c_);
  }

  // The source between two offsets with each run of blanks and comments
  // reduced to one space.
  std::string clause_text(size_t begin, size_t end) const {
    std::string out;
    size_t prev_end = begin;
    for (const Token& t : tokenize(c_.file(), source_.substr(begin, end - begin))) {
      if (t.kind == Tok::End) break;
      if (!out.empty() && t.begin != prev_end) out += ' ';
      out += source_.substr(begin + t.begin, t.end - t.begin);
      prev_end = t.end;
    }
    return out;
  }

  Cursor& c_;
  const std::string& source_;
  std::unique_ptr<Ast> ast_;
  std::map<std::string, const Extension*> ext_keywords_;
  std::vector<std::string> builtins_;
  int depth_ = 0;
};

}  // namespace

bool is_keyword(const std::string& word) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), word) != std::end(kKeywords);
}

std::string source_line(const std::string& source, int line) {
  size_t start = 0;
  for (int cur = 1; cur < line; ++cur) {
    start = source.find('\n', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  if (line < 1 || start > source.size()) return {};
  size_t end = source.find('\n', start);
  std::string text =
      source.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

std::unique_ptr<Ast> parse_scenario(const std::string& file, const std::string& text,
                                    const std::vector<const Extension*>& extensions) {
  Cursor c(file, text);
  return Parser(c, text, extensions).run();
}

}  // namespace fl::lang

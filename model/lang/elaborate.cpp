// Elaboration of declarations: the order of the passes is what makes every
// name visible everywhere in the file (docs/scenario-language.md,
// "Elaboration"):
//   1. every global name is declared (constants are evaluated lazily, on
//      first use, so they may refer to each other in any order);
//   2. the kernel extensions elaborate their declarations;
//   3. state variables, in file order;
//   4. actors, properties, built-in checks and observations, in file order;
//   5. expectations (they may name a property declared later).
// A def or proc is elaborated where it is called, with its arguments; one
// that nothing calls is only checked for syntax.
#include "model/lang/elab.h"

#include "model/lang/suggest.h"

namespace fl::lang {

using model::Id;
using model::SourceLoc;
using model::Value;

namespace {

// Calls `f` on every declaration of type T, in file order.
template <typename T, typename F>
void each(const Ast& ast, F&& f) {
  for (const Decl& d : ast.decls) {
    if (const T* t = std::get_if<T>(&d)) f(*t);
  }
}

}  // namespace

Elaborator::Elaborator(const Ast& ast, const std::vector<const Extension*>& extensions,
                       std::string variant, std::map<std::string, Value> params)
    : ast_(ast),
      extensions_(extensions),
      variant_(std::move(variant)),
      params_(std::move(params)) {}

model::Model Elaborator::run() {
  model_.scenario = ast_.info.name;
  model_.file = ast_.info.file;
  model_.variant = variant_;
  declare_globals();
  run_extensions();
  // Every constant is checked even if nothing uses it.
  each<ConstDecl>(ast_,
                  [&](const ConstDecl& d) { global_const(d.name.name, globals_.at(d.name.name)); });
  each<VarDecl>(ast_, [&](const VarDecl& d) { declare_var(d); });
  for (const Decl& d : ast_.decls) {
    if (auto* a = std::get_if<ActorDecl>(&d)) actor(*a);
    if (auto* p = std::get_if<PropertyDecl>(&d)) property(*p);
    if (auto* c = std::get_if<CheckDecl>(&d)) check(*c);
    if (auto* o = std::get_if<ObserveDecl>(&d)) observe(*o);
  }
  each<ExpectDecl>(ast_, [&](const ExpectDecl& d) { expect(d); });
  finish();
  return std::move(model_);
}

// --- pass 1: names -------------------------------------------------------------

void Elaborator::declare_global(const std::string& name, Symbol s) {
  auto [it, fresh] = globals_.emplace(name, s);
  if (!fresh) {
    fail(s.loc,
         "'" + name + "' is already declared (line " + std::to_string(it->second.loc.line) + ")");
  }
}

void Elaborator::declare_globals() {
  for (const Decl& d : ast_.decls) {
    Symbol s;
    if (auto* p = std::get_if<ParamDecl>(&d)) {
      s.loc = p->loc;
      s.val = Val::constant(params_.at(p->info.name));
      model_.params.emplace_back(p->info.name, s.val.value);
      declare_global(p->info.name, s);
    } else if (auto* c = std::get_if<ConstDecl>(&d)) {
      s.loc = c->name.loc;
      s.const_decl = c;
      s.state = Symbol::Pending;
      declare_global(c->name.name, s);
    } else if (auto* e = std::get_if<EnumDecl>(&d)) {
      s.kind = SymKind::EnumType;
      s.loc = e->name.loc;
      s.enum_decl = e;
      declare_global(e->name.name, s);
      for (size_t i = 0; i < e->labels.size(); ++i) {
        Symbol label;
        label.loc = e->labels[i].loc;
        label.val = Val::constant(static_cast<Value>(i));
        declare_global(e->labels[i].name, label);
      }
    } else if (auto* v = std::get_if<VarDecl>(&d)) {
      s.kind = SymKind::Var;
      s.loc = v->name.loc;
      declare_global(v->name.name, s);
    } else if (auto* f = std::get_if<DefDecl>(&d)) {
      s.kind = SymKind::Def;
      s.loc = f->name.loc;
      s.def = f;
      declare_global(f->name.name, s);
    } else if (auto* pr = std::get_if<ProcDecl>(&d)) {
      s.kind = SymKind::Proc;
      s.loc = pr->name.loc;
      s.proc = pr;
      declare_global(pr->name.name, s);
    } else if (auto* a = std::get_if<ActorDecl>(&d)) {
      if (!actor_names_.insert(a->name.name).second) {
        fail(a->name.loc, "actor '" + a->name.name + "' is already declared");
      }
    }
  }
}

void Elaborator::run_extensions() {
  for (const Extension* e : extensions_) {
    std::vector<const ExtensionDecl*> decls;
    each<ExtDecl>(ast_, [&](const ExtDecl& d) {
      if (d.extension == e) decls.push_back(d.decl.get());
    });
    e->elaborate(decls, *this);
  }
}

// --- pass 3: state variables ----------------------------------------------------

void Elaborator::types(const VarDecl& d, Value& lo, Value& hi, std::vector<std::string>& labels) {
  const AstType& t = d.type;
  if (t.kind == AstType::Bool) {
    lo = 0;
    hi = 1;
    labels = {"false", "true"};
  } else if (t.kind == AstType::Range) {
    lo = require_const(*t.range.lo, "the lower bound of a type");
    hi = require_const(*t.range.hi, "the upper bound of a type");
    if (lo > hi) {
      fail(t.range.lo->loc, "empty range " + std::to_string(lo) + ".." + std::to_string(hi) +
                                " in the type of '" + d.name.name + "'");
    }
  } else {
    const Symbol* s = lookup(t.enum_name.name);
    if (s == nullptr) {
      std::vector<std::string> enums;
      for (const auto& [n, g] : globals_) {
        if (g.kind == SymKind::EnumType) enums.push_back(n);
      }
      fail(t.loc, "unknown type '" + t.enum_name.name + "'" + suggestion(t.enum_name.name, enums));
    }
    if (s->kind != SymKind::EnumType) {
      fail(t.loc,
           "'" + t.enum_name.name + "' is not a type (expected bool, LO..HI or an enum name)");
    }
    lo = 0;
    hi = static_cast<Value>(s->enum_decl->labels.size()) - 1;
    for (const Named& l : s->enum_decl->labels) labels.push_back(l.name);
  }
}

std::vector<Value> Elaborator::initial_values(const VarDecl& d, uint32_t length, Value lo,
                                              Value hi) {
  auto in_type = [&](const AstExpr& e) {
    Value v = require_const(e, "the initial value of '" + d.name.name + "'");
    if (v < lo || v > hi) {
      fail(e.loc, "initial value " + std::to_string(v) + " is outside the type " +
                      std::to_string(lo) + ".." + std::to_string(hi) + " of '" + d.name.name + "'");
    }
    return v;
  };
  if (!d.init_is_list) return {d.init ? in_type(*d.init) : lo};
  if (!d.size) fail(d.init_loc, "scalar '" + d.name.name + "' cannot be initialised with a list");
  if (d.init_list.size() != length) {
    fail(d.init_loc, "'" + d.name.name + "' has " + std::to_string(length) +
                         " elements but its initialiser has " + std::to_string(d.init_list.size()));
  }
  std::vector<Value> out;
  for (const AstExprPtr& e : d.init_list) out.push_back(in_type(*e));
  return out;
}

void Elaborator::declare_var(const VarDecl& d) {
  const std::string& name = d.name.name;
  if (model_.find_var(name) != model::kNoId) {
    fail(d.name.loc, "'" + name + "' is already declared by a kernel declaration");
  }
  uint32_t length = 1;
  if (d.size) {
    Value n = require_const(*d.size, "the size of array '" + name + "'");
    if (n < 1 || n > kMaxArray) {
      fail(d.size->loc,
           "array size " + std::to_string(n) + " is outside 1.." + std::to_string(kMaxArray));
    }
    length = static_cast<uint32_t>(n);
  }
  Value lo = 0, hi = 1;
  std::vector<std::string> labels;
  types(d, lo, hi, labels);
  std::vector<Value> init = initial_values(d, length, lo, hi);
  uint64_t slots = length;
  for (const model::Var& v : model_.vars) slots += v.length;
  if (slots > kMaxSlots) {
    fail(d.name.loc, "the state has more than " + std::to_string(kMaxSlots) + " slots ('" + name +
                         "' brings it to " + std::to_string(slots) + ")");
  }
  Id id = d.size ? b_->array(name, length, lo, hi, std::move(init), std::move(labels), d.name.loc)
                 : b_->scalar(name, lo, hi, init[0], std::move(labels), d.name.loc);
  globals_.at(name).id = id;
}

// --- pass 4: properties, checks, observations ----------------------------------

void Elaborator::property(const PropertyDecl& d) {
  Id old = model_.find_property(d.name.name);
  if (old != model::kNoId) {
    fail(d.name.loc, "property '" + d.name.name + "' is already declared (line " +
                         std::to_string(model_.properties[old].loc.line) + ")");
  }
  Id e = ir(expr(*d.expr));
  b_->property(d.name.name, d.kind, e, d.description, d.name.loc);
}

void Elaborator::check(const CheckDecl& d) {
  for (const Named& n : d.names) {
    if (model_.find_property(n.name) != model::kNoId) {
      fail(n.loc, "property '" + n.name + "' is already declared");
    }
    for (const Extension* e : extensions_) {
      for (const auto& [name, description] : e->builtin_properties()) {
        if (name == n.name) e->add_builtin_property(n.name, n.loc, *this);
      }
    }
  }
}

void Elaborator::observe(const ObserveDecl& d) {
  auto add = [&](const std::string& name, Id e, std::vector<std::string> labels, Value base) {
    if (!observation_names_.insert(name).second) {
      fail(d.name.loc, "observation '" + name + "' is already declared");
    }
    b_->observe(name, e, std::move(labels), base);
  };
  if (d.expr) {
    Id var = d.expr->kind == AstExprKind::Name ? model_.find_var(d.expr->name) : model::kNoId;
    Id e = ir(expr(*d.expr));
    if (var == model::kNoId) return add(d.name.name, e, {}, 0);
    return add(d.name.name, e, model_.vars[var].labels, model_.vars[var].min);
  }
  const Symbol* s = lookup(d.name.name);
  Id var = model_.find_var(d.name.name);
  if (s == nullptr && var == model::kNoId) unknown(d.name.name, d.name.loc);
  if (var == model::kNoId) {
    fail(d.name.loc, "'" + d.name.name + "' is not a state variable (write observe NAME = EXPR)");
  }
  const model::Var& v = model_.vars[var];
  if (!v.is_array) return add(v.name, b_->var(var), v.labels, v.min);
  for (uint32_t i = 0; i < v.length; ++i) {
    add(v.name + "[" + std::to_string(i) + "]", b_->elem(var, static_cast<Value>(i)), v.labels,
        v.min);
  }
}

// --- pass 5: expectations -------------------------------------------------------

void Elaborator::expect(const ExpectDecl& d) {
  if (d.cond && require_const(*d.cond, "the condition of an expectation") == 0) return;
  model::Expectation x;
  x.kind = d.kind;
  x.text = d.text;
  x.loc = d.loc;
  using K = model::ExpectationKind;
  if (d.kind == K::Holds || d.kind == K::Violated) {
    x.property = model_.find_property(d.property.name);
    if (x.property == model::kNoId) {
      std::vector<std::string> names;
      for (const model::Property& p : model_.properties) names.push_back(p.name);
      fail(d.property.loc,
           "unknown property '" + d.property.name + "'" + suggestion(d.property.name, names));
    }
  } else {
    x.expr = ir(expr(*d.expr));
  }
  b_->expect(std::move(x));
}

// --- the end ---------------------------------------------------------

void Elaborator::finish() {
  try {
    b_->finalize();
  } catch (const model::ModelError& e) {
    SourceLoc loc = e.loc();
    if (loc.file.empty()) loc.file = ast_.info.file;
    fail(loc, e.what());
  }
}

// --- ElabContext ------------------------------------------------------------------

Value Elaborator::eval_const(const AstExpr& e) const {
  // Evaluating a constant may evaluate a lazy `const` and caches its value;
  // that is not an observable change, so the interface keeps this const.
  return const_cast<Elaborator*>(this)->require_const(e, "the value");
}

void Elaborator::define_const(const std::string& name, Value v, const SourceLoc& loc) {
  if (is_keyword(name)) fail(loc, "'" + name + "' is a keyword and cannot be a name");
  if (model_.find_var(name) != model::kNoId) fail(loc, "'" + name + "' is already declared");
  Symbol s;
  s.loc = loc;
  s.val = Val::constant(v);
  declare_global(name, s);
}

void Elaborator::set_state(const Extension& owner, std::unique_ptr<ExtensionState> state) {
  ext_states_[&owner] = std::move(state);
}

ExtensionState* Elaborator::state(const Extension& owner) const {
  auto it = ext_states_.find(&owner);
  return it == ext_states_.end() ? nullptr : it->second.get();
}

std::string Elaborator::line_text(const SourceLoc& loc) const {
  return loc.file == ast_.info.file ? source_line(ast_.source, loc.line) : "";
}

void Elaborator::fail(const SourceLoc& loc, const std::string& message) const {
  throw ScenarioError(loc, message, line_text(loc));
}

}  // namespace fl::lang

#include "model/builder.h"

#include <set>

namespace fl::model {

namespace {

void check_range(const Var& v) {
  if (v.min > v.max) throw ModelError(v.loc, "variable '" + v.name + "': empty range");
  for (Value x : v.init) {
    if (x < v.min || x > v.max) {
      throw ModelError(v.loc, "variable '" + v.name + "': initial value " + std::to_string(x) +
                                  " outside " + std::to_string(v.min) + ".." +
                                  std::to_string(v.max));
    }
  }
}

}  // namespace

Id Builder::scalar(const std::string& name, Value min, Value max, Value init,
                   std::vector<std::string> labels, SourceLoc loc) {
  Var v;
  v.name = name;
  v.min = min;
  v.max = max;
  v.length = 1;
  v.is_array = false;
  v.init = {init};
  v.labels = std::move(labels);
  v.loc = std::move(loc);
  check_range(v);
  m_.vars.push_back(std::move(v));
  return static_cast<Id>(m_.vars.size() - 1);
}

Id Builder::array(const std::string& name, uint32_t length, Value min, Value max,
                  std::vector<Value> init, std::vector<std::string> labels, SourceLoc loc) {
  Var v;
  v.name = name;
  v.min = min;
  v.max = max;
  v.length = length;
  v.is_array = true;
  if (init.size() == 1 && length != 1) init.assign(length, init[0]);
  v.init = std::move(init);
  v.labels = std::move(labels);
  v.loc = std::move(loc);
  if (length == 0) throw ModelError(v.loc, "array '" + name + "' has no elements");
  if (v.init.size() != length) throw ModelError(v.loc, "array '" + name + "': wrong init size");
  check_range(v);
  m_.vars.push_back(std::move(v));
  return static_cast<Id>(m_.vars.size() - 1);
}

Id Builder::push_expr(Expr e) {
  m_.exprs.push_back(std::move(e));
  return static_cast<Id>(m_.exprs.size() - 1);
}

Id Builder::push_stmt(Stmt s) {
  m_.stmts.push_back(std::move(s));
  return static_cast<Id>(m_.stmts.size() - 1);
}

Id Builder::lit(Value v) {
  Expr e;
  e.kind = ExprKind::Const;
  e.value = v;
  return push_expr(std::move(e));
}

Id Builder::var(Id var) {
  Expr e;
  e.kind = ExprKind::Var;
  e.var = var;
  return push_expr(std::move(e));
}

Id Builder::elem(Id var, Id index) {
  Expr e;
  e.kind = ExprKind::Elem;
  e.var = var;
  e.args = {index};
  return push_expr(std::move(e));
}

Id Builder::local(Id local) {
  Expr e;
  e.kind = ExprKind::Local;
  e.local = local;
  return push_expr(std::move(e));
}

Id Builder::unary(UnaryOp op, Id a) {
  Expr e;
  e.kind = ExprKind::Unary;
  e.uop = op;
  e.args = {a};
  return push_expr(std::move(e));
}

Id Builder::binary(BinaryOp op, Id a, Id b) {
  Expr e;
  e.kind = ExprKind::Binary;
  e.bop = op;
  e.args = {a, b};
  return push_expr(std::move(e));
}

Id Builder::ite(Id c, Id a, Id b) {
  Expr e;
  e.kind = ExprKind::Ite;
  e.args = {c, a, b};
  return push_expr(std::move(e));
}

Id Builder::all(const std::vector<Id>& terms) {
  if (terms.empty()) return lit(1);
  Id acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) acc = binary(BinaryOp::And, acc, terms[i]);
  return acc;
}

Id Builder::any(const std::vector<Id>& terms) {
  if (terms.empty()) return lit(0);
  Id acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) acc = binary(BinaryOp::Or, acc, terms[i]);
  return acc;
}

Id Builder::skip() {
  return push_stmt(Stmt{});
}

Id Builder::assign(Id var, Id value) {
  return assign(var, kNoId, value);
}

Id Builder::assign(Id var, Id index, Id value) {
  Stmt s;
  s.kind = StmtKind::Assign;
  s.var = var;
  s.index = index;
  s.value = value;
  return push_stmt(std::move(s));
}

Id Builder::let(Id local, Id value) {
  Stmt s;
  s.kind = StmtKind::Let;
  s.local = local;
  s.value = value;
  return push_stmt(std::move(s));
}

Id Builder::if_(Id cond, Id then_s, Id else_s) {
  Stmt s;
  s.kind = StmtKind::If;
  s.cond = cond;
  s.body = {then_s, else_s};
  return push_stmt(std::move(s));
}

Id Builder::seq(std::vector<Id> body) {
  Stmt s;
  s.kind = StmtKind::Seq;
  s.body = std::move(body);
  return push_stmt(std::move(s));
}

Id Builder::assert_(Id cond, std::string message, SourceLoc loc) {
  Stmt s;
  s.kind = StmtKind::Assert;
  s.cond = cond;
  s.message = std::move(message);
  s.loc = std::move(loc);
  return push_stmt(std::move(s));
}

Id Builder::new_local() {
  return m_.num_locals++;
}

Id Builder::actor(const std::string& name, bool fair) {
  Actor a;
  a.name = name;
  a.fair = fair;
  m_.actors.push_back(std::move(a));
  return static_cast<Id>(m_.actors.size() - 1);
}

Id Builder::action(Id actor, const std::string& name, const std::string& kernel_function, Id guard,
                   Id body, SourceLoc loc) {
  Action a;
  a.name = name;
  a.actor = actor;
  a.kernel_function = kernel_function;
  a.guard = guard;
  a.body = body;
  a.loc = std::move(loc);
  m_.actions.push_back(std::move(a));
  Id id = static_cast<Id>(m_.actions.size() - 1);
  if (actor >= m_.actors.size()) throw ModelError(loc, "action '" + name + "': no such actor");
  m_.actors[actor].actions.push_back(id);
  return id;
}

Id Builder::property(const std::string& name, PropertyKind kind, Id expr, std::string description,
                     SourceLoc loc) {
  Property p;
  p.name = name;
  p.kind = kind;
  p.expr = expr;
  p.description = std::move(description);
  p.loc = std::move(loc);
  m_.properties.push_back(std::move(p));
  return static_cast<Id>(m_.properties.size() - 1);
}

Id Builder::observe(const std::string& name, Id expr, std::vector<std::string> labels,
                    Value label_base) {
  Observation o;
  o.name = name;
  o.expr = expr;
  o.labels = std::move(labels);
  o.label_base = label_base;
  m_.observations.push_back(std::move(o));
  return static_cast<Id>(m_.observations.size() - 1);
}

void Builder::finalize() {
  m_.slots.clear();
  std::set<std::string> names;
  for (Id v = 0; v < m_.vars.size(); ++v) {
    Var& var = m_.vars[v];
    if (!names.insert(var.name).second) {
      throw ModelError(var.loc, "variable '" + var.name + "' declared twice");
    }
    var.first_slot = static_cast<uint32_t>(m_.slots.size());
    for (uint32_t i = 0; i < var.length; ++i) m_.slots.push_back(Slot{v, i});
  }
  const auto n_exprs = m_.exprs.size();
  for (const Expr& e : m_.exprs) {
    for (Id a : e.args) {
      if (a >= n_exprs) throw ModelError({}, "expression refers to a missing operand");
    }
    if ((e.kind == ExprKind::Var || e.kind == ExprKind::Elem) && e.var >= m_.vars.size()) {
      throw ModelError({}, "expression refers to a missing variable");
    }
    if (e.kind == ExprKind::Var && m_.vars[e.var].is_array) {
      throw ModelError(m_.vars[e.var].loc,
                       "array '" + m_.vars[e.var].name + "' used without index");
    }
    if (e.kind == ExprKind::Local && e.local >= m_.num_locals) {
      throw ModelError({}, "expression refers to a missing local");
    }
  }
  for (const Stmt& s : m_.stmts) {
    if (s.kind == StmtKind::Assign && s.var >= m_.vars.size()) {
      throw ModelError(s.loc, "assignment to a missing variable");
    }
    if (s.kind == StmtKind::Assign && (s.index == kNoId) == m_.vars[s.var].is_array) {
      throw ModelError(s.loc, "assignment to '" + m_.vars[s.var].name +
                                  (s.index == kNoId ? "' needs an index" : "' takes no index"));
    }
  }
  std::set<std::string> action_names;
  for (const Action& a : m_.actions) {
    if (a.guard >= n_exprs || a.body >= m_.stmts.size()) {
      throw ModelError(a.loc, "action '" + a.name + "' is incomplete");
    }
    std::string full = m_.actors[a.actor].name + "." + a.name;
    if (!action_names.insert(full).second) {
      throw ModelError(a.loc, "action '" + full + "' declared twice");
    }
  }
  std::set<std::string> prop_names;
  for (const Property& p : m_.properties) {
    if (!prop_names.insert(p.name).second) {
      throw ModelError(p.loc, "property '" + p.name + "' declared twice");
    }
    if (p.expr >= n_exprs) throw ModelError(p.loc, "property '" + p.name + "' has no expression");
  }
}

}  // namespace fl::model

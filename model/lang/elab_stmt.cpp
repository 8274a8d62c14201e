// Elaboration of statements, procs and actors: loops are unrolled, procs
// expanded in place with their arguments bound by value, indexed actors and
// actions expanded into one model::Actor / model::Action per index value.
#include "model/lang/elab.h"

namespace fl::lang {

using model::Id;
using model::SourceLoc;
using model::Value;

Id Elaborator::block(const std::vector<AstStmt>& body) {
  size_t mark = locals_.size();  // a let is visible to the end of its block
  std::vector<Id> out;
  for (const AstStmt& s : body) out.push_back(stmt(s));
  locals_.resize(mark);
  if (out.size() == 1) return out[0];
  return b_->seq(std::move(out));
}

Id Elaborator::stmt(const AstStmt& s) {
  check_budget(s.loc);
  switch (s.kind) {
    case AstStmtKind::Assign:
      return assign(s);
    case AstStmtKind::Let:
      return let(s);
    case AstStmtKind::If:
      return if_stmt(s);
    case AstStmtKind::For:
      return for_stmt(s);
    case AstStmtKind::Assert: {
      Id cond = ir(expr(*s.cond));
      return b_->assert_(cond, s.message, s.loc);
    }
    case AstStmtKind::Skip:
      return b_->skip();
    case AstStmtKind::Call:
      return proc_call(s);
  }
  fail(s.loc, "unknown statement");
}

Id Elaborator::assign(const AstStmt& s) {
  const Symbol* sym = lookup(s.name);
  if (sym != nullptr && sym->kind != SymKind::Var) {
    fail(s.loc, "cannot assign to '" + s.name + "': it is not a state variable");
  }
  Id var = state_var(s.name, s.loc, s.index != nullptr);
  if (var == model::kNoId) unknown(s.name, s.loc);
  Id index = s.index ? ir(expr(*s.index)) : model::kNoId;
  Id value = ir(expr(*s.value));
  Id id = b_->assign(var, index, value);
  // The evaluator reports a value or index out of range at this location.
  model_.stmts[id].loc = s.loc;
  return id;
}

// A let whose value is constant is itself a constant (usable in loop bounds);
// otherwise it is an action-local temporary.
Id Elaborator::let(const AstStmt& s) {
  Val v = expr(*s.value);
  Symbol sym;
  sym.loc = s.loc;
  if (v.is_const) {
    sym.val = v;
    declare_local(s.name, std::move(sym));
    return b_->skip();
  }
  sym.kind = SymKind::Local;
  sym.id = b_->new_local();
  declare_local(s.name, std::move(sym));
  return b_->let(locals_.back().second.id, v.id);
}

// Both branches are elaborated (so that both are checked); a constant
// condition keeps only the branch taken.
Id Elaborator::if_stmt(const AstStmt& s) {
  Val c = expr(*s.cond);
  Id then_s = block(s.then_body);
  Id else_s = s.else_body.empty() ? model::kNoId : block(s.else_body);
  if (!c.is_const) return b_->if_(c.id, then_s, else_s);
  if (c.value != 0) return then_s;
  return else_s == model::kNoId ? b_->skip() : else_s;
}

Id Elaborator::for_stmt(const AstStmt& s) {
  std::vector<Id> body;
  for (Value k : range(s.range, "the loop")) {
    size_t mark = locals_.size();
    Symbol index;
    index.loc = s.loc;
    index.val = Val::constant(k);
    declare_local(s.name, std::move(index));
    body.push_back(block(s.then_body));
    locals_.resize(mark);
  }
  return b_->seq(std::move(body));
}

// A proc call expands the body in place.  Each argument is computed once,
// before the body runs: a constant binds as a constant, anything else is
// copied into a fresh local, so later assignments in the body do not change
// it (call by value).
Id Elaborator::proc_call(const AstStmt& s) {
  const Symbol* sym = lookup(s.name);
  if (sym == nullptr) unknown(s.name, s.loc);
  if (sym->kind == SymKind::Def)
    fail(s.loc, "'" + s.name + "' is a def, not a proc; use its value");
  if (sym->kind != SymKind::Proc) fail(s.loc, "'" + s.name + "' is not a proc");
  const ProcDecl& d = *sym->proc;
  enter_macro(s.name, &d, d.params.size(), s.args.size(), s.loc);
  std::vector<Val> args;
  for (const AstExprPtr& a : s.args) args.push_back(expr(*a));
  size_t mark = locals_.size(), saved = barrier_;
  barrier_ = mark;
  std::vector<Id> body;
  for (size_t i = 0; i < args.size(); ++i) {
    Symbol p;
    p.loc = d.params[i].loc;
    p.val = args[i];
    if (!args[i].is_const) {
      p.kind = SymKind::Local;
      p.id = b_->new_local();
      body.push_back(b_->let(p.id, args[i].id));
    }
    declare_local(d.params[i].name, std::move(p));
  }
  body.push_back(block(d.body));
  leave_macro(mark, saved);
  return body.size() == 1 ? body[0] : b_->seq(std::move(body));
}

void Elaborator::actor(const ActorDecl& d) {
  std::vector<Value> instances = {0};
  if (d.index.present()) instances = range(d.index.range, "actor '" + d.name.name + "'");
  for (Value k : instances) {
    size_t mark = locals_.size();
    std::string name = d.name.name;
    if (d.index.present()) {
      name += "[" + std::to_string(k) + "]";
      Symbol index;
      index.loc = d.index.index.loc;
      index.val = Val::constant(k);
      declare_local(d.index.index.name, std::move(index));
    }
    for (const model::Actor& other : model_.actors) {
      if (other.name == name) fail(d.name.loc, "actor '" + name + "' is already declared");
    }
    Id actor = b_->actor(name, d.fair);
    for (const ActionDecl& a : d.actions) actions(a, actor);
    locals_.resize(mark);
  }
}

void Elaborator::actions(const ActionDecl& a, Id actor) {
  std::vector<Value> instances = {0};
  if (a.index.present()) instances = range(a.index.range, "action '" + a.name.name + "'");
  for (Value k : instances) {
    size_t mark = locals_.size();
    std::string name = a.name.name;
    if (a.index.present()) {
      name += "[" + std::to_string(k) + "]";
      Symbol index;
      index.loc = a.index.index.loc;
      index.val = Val::constant(k);
      declare_local(a.index.index.name, std::move(index));
    }
    for (Id other : model_.actors[actor].actions) {
      if (model_.actions[other].name == name) {
        fail(a.name.loc, "action '" + name + "' is already declared in actor '" +
                             model_.actors[actor].name + "'");
      }
    }
    if (model_.actions.size() >= kMaxActions) {
      fail(a.name.loc, "the scenario has more than " + std::to_string(kMaxActions) + " actions");
    }
    Id guard = a.guard ? ir(expr(*a.guard)) : b_->lit(1);
    Id body = block(a.body);
    b_->action(actor, name, a.kernel_function, guard, body, a.name.loc);
    locals_.resize(mark);
  }
}

}  // namespace fl::lang

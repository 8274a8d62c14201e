#pragma once
// A small API for constructing a Model: used by the scenario elaborator
// (model/lang) and by the kernel model (model/mm, model/kvm) that generates
// transitions from a scenario's kernel declarations.

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/ir.h"

namespace fl::model {

// Thrown for an inconsistent model (a bug in whoever builds it, or a
// scenario error the elaborator did not catch first).
class ModelError : public std::runtime_error {
 public:
  ModelError(const SourceLoc& loc, const std::string& what) : std::runtime_error(what), loc_(loc) {}
  const SourceLoc& loc() const { return loc_; }

 private:
  SourceLoc loc_;
};

class Builder {
 public:
  explicit Builder(Model& m) : m_(m) {}

  // --- state -----------------------------------------------------------
  Id scalar(const std::string& name, Value min, Value max, Value init,
            std::vector<std::string> labels = {}, SourceLoc loc = {});
  Id array(const std::string& name, uint32_t length, Value min, Value max, std::vector<Value> init,
           std::vector<std::string> labels = {}, SourceLoc loc = {});

  // --- expressions -------------------------------------------------------
  Id lit(Value v);
  Id var(Id var);
  Id elem(Id var, Id index);
  Id elem(Id var, Value index) { return elem(var, lit(index)); }
  Id local(Id local);
  Id unary(UnaryOp op, Id a);
  Id binary(BinaryOp op, Id a, Id b);
  Id ite(Id c, Id a, Id b);

  Id not_(Id a) { return unary(UnaryOp::Not, a); }
  Id eq(Id a, Id b) { return binary(BinaryOp::Eq, a, b); }
  Id ne(Id a, Id b) { return binary(BinaryOp::Ne, a, b); }
  Id lt(Id a, Id b) { return binary(BinaryOp::Lt, a, b); }
  Id add(Id a, Id b) { return binary(BinaryOp::Add, a, b); }
  // Conjunction / disjunction of any number of terms (true / false when empty).
  Id all(const std::vector<Id>& terms);
  Id any(const std::vector<Id>& terms);

  // --- statements --------------------------------------------------------
  Id skip();
  Id assign(Id var, Id value);            // scalar
  Id assign(Id var, Id index, Id value);  // array element
  Id let(Id local, Id value);
  Id if_(Id cond, Id then_s, Id else_s = kNoId);
  Id seq(std::vector<Id> body);
  Id assert_(Id cond, std::string message, SourceLoc loc = {});
  Id new_local();

  // --- structure ---------------------------------------------------------
  Id actor(const std::string& name, bool fair = false);
  Id action(Id actor, const std::string& name, const std::string& kernel_function, Id guard,
            Id body, SourceLoc loc = {});
  Id property(const std::string& name, PropertyKind kind, Id expr, std::string description = {},
              SourceLoc loc = {});
  Id observe(const std::string& name, Id expr, std::vector<std::string> labels = {},
             Value label_base = 0);
  void expect(Expectation e) { m_.expectations.push_back(std::move(e)); }

  // Lays out the flat state and checks the model for consistency (ids in
  // range, expressions well formed, names unique).  Throws ModelError.
  void finalize();

  Model& model() { return m_; }

 private:
  Id push_expr(Expr e);
  Id push_stmt(Stmt s);
  Model& m_;
};

}  // namespace fl::model

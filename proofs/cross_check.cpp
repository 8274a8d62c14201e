#include "proofs/cross_check.h"

#include "proofs/encode.h"
#include "proofs/smt.h"
#include "proofs/unroll.h"

namespace fl::proofs {

using model::Value;

struct CrossChecker::Impl {
  const model::Model& m;
  smt::Context ctx;
  Encoder enc;
  SymState vars;
  // Properties: value and error of each expression.
  std::vector<smt::BitVec> prop_value;
  std::vector<smt::Bool> prop_error;
  // Actions: enabled and error flags, then successor slots (flattened).
  std::vector<smt::Bool> act_flags;
  std::vector<smt::BitVec> act_post;

  explicit Impl(const model::Model& model) : m(model), enc(model, ctx) {
    vars = enc.fresh_state("x");
    for (const model::Property& p : m.properties) {
      SymValue v = enc.expr(p.expr, vars);
      prop_value.push_back(v.value);
      prop_error.push_back(v.error);
    }
    for (SymAction& a : enc.actions(vars)) {
      act_flags.push_back(a.enabled);
      act_flags.push_back(a.error);
      act_post.insert(act_post.end(), a.post.begin(), a.post.end());
    }
  }

  Value sign_extend(uint64_t u) const {
    unsigned w = enc.width();
    if (w < 64 && ((u >> (w - 1)) & 1)) u |= ~uint64_t{0} << w;
    return static_cast<Value>(u);
  }

  std::optional<std::string> out_of_range(const model::State& s) const {
    if (s.size() != m.num_slots()) return std::string("state has the wrong number of slots");
    for (uint32_t i = 0; i < m.num_slots(); ++i) {
      const model::Var& v = m.vars[m.slots[i].var];
      if (s[i] < v.min || s[i] > v.max) {
        return m.slot_name(i) + " = " + std::to_string(s[i]) + " is outside its range";
      }
    }
    return std::nullopt;
  }

  std::vector<uint64_t> raw(const model::State& s) const {
    std::vector<uint64_t> out;
    for (Value v : s) out.push_back(static_cast<uint64_t>(v));
    return out;
  }
};

CrossChecker::CrossChecker(const model::Model& m) : impl_(std::make_unique<Impl>(m)) {}
CrossChecker::~CrossChecker() = default;

std::optional<std::string> CrossChecker::check_state(const model::State& s) {
  Impl& x = *impl_;
  if (auto bad = x.out_of_range(s)) return bad;
  std::vector<uint64_t> vals = x.raw(s);
  auto values = x.ctx.evaluate(x.prop_value, x.vars, vals);
  auto errors = x.ctx.evaluate(x.prop_error, x.vars, vals);
  std::vector<Value> locals(x.m.num_locals);
  for (size_t p = 0; p < x.m.properties.size(); ++p) {
    const std::string name = "property '" + x.m.properties[p].name + "'";
    model::EvalError err;
    auto native = model::eval(x.m, x.m.properties[p].expr, s, locals, err);
    if (!errors[p] || (!*errors[p] && !values[p])) return name + ": Z3 does not reduce it";
    if (!native) {
      if (!*errors[p]) return name + ": the evaluator errs (" + err.message + "), Z3 does not";
      continue;
    }
    if (*errors[p]) return name + ": Z3 finds a run-time error, the evaluator does not";
    Value z = x.sign_extend(*values[p]);
    if (z != *native) {
      return name + ": Z3 says " + std::to_string(z) + ", the evaluator " + std::to_string(*native);
    }
  }
  return std::nullopt;
}

std::optional<std::string> CrossChecker::check_actions(const model::State& s) {
  Impl& x = *impl_;
  if (auto bad = x.out_of_range(s)) return bad;
  std::vector<uint64_t> vals = x.raw(s);
  auto flags = x.ctx.evaluate(x.act_flags, x.vars, vals);
  auto post = x.ctx.evaluate(x.act_post, x.vars, vals);
  const uint32_t n = x.m.num_slots();
  for (model::Id a = 0; a < x.m.actions.size(); ++a) {
    const std::string name = "action '" + action_name(x.m, a) + "'";
    auto z_enabled = flags[2 * a];
    auto z_error = flags[2 * a + 1];
    if (!z_enabled || !z_error) return name + ": Z3 does not reduce its guard";
    model::EvalError err;
    auto en = model::enabled(x.m, a, s, err);
    std::optional<model::State> next;
    if (en && *en) next = model::successor(x.m, a, s, err);
    bool native_error = !en || (*en && !next);
    bool native_enabled = en && *en;
    if (native_error != *z_error) {
      return name + (native_error ? ": the evaluator errs (" + err.message + "), Z3 does not"
                                  : ": Z3 finds a run-time error, the evaluator does not");
    }
    if (native_enabled != *z_enabled) {
      return name + ": enabled " + (native_enabled ? "for the evaluator only" : "for Z3 only");
    }
    if (!next) continue;
    for (uint32_t i = 0; i < n; ++i) {
      auto z = post[a * n + i];
      if (!z) return name + ": Z3 does not reduce " + x.m.slot_name(i);
      if (x.sign_extend(*z) != (*next)[i]) {
        return name + ": " + x.m.slot_name(i) + " becomes " + std::to_string((*next)[i]) +
               " in the evaluator and " + std::to_string(x.sign_extend(*z)) + " for Z3";
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> cross_check_state(const model::Model& m, const model::State& s) {
  return CrossChecker(m).check_state(s);
}

}  // namespace fl::proofs

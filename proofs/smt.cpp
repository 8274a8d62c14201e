#include "proofs/smt.h"

#include <z3++.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fl::proofs::smt {

struct Context::Impl {
  z3::context z3;
  std::vector<z3::expr> terms;

  uint32_t push(z3::expr e) {
    terms.push_back(std::move(e));
    return static_cast<uint32_t>(terms.size() - 1);
  }
};

namespace {

const z3::expr& get(Bool t) {
  return t.ctx()->impl().terms[t.id()];
}
const z3::expr& get(BitVec t) {
  return t.ctx()->impl().terms[t.id()];
}

// Terms from two different contexts never mix; catching it here turns a
// Z3 crash into a clear error.
Context& common(Context* a, Context* b) {
  if (a == nullptr || a != b) throw std::logic_error("smt: terms from different contexts");
  return *a;
}

Bool mk_bool(Context& c, z3::expr e) {
  return c.make_bool(c.impl().push(std::move(e)));
}
BitVec mk_bv(Context& c, z3::expr e) {
  return c.make_bv(c.impl().push(std::move(e)));
}

template <class T, class F>
Bool bool2(T a, T b, F f) {
  Context& c = common(a.ctx(), b.ctx());
  return mk_bool(c, f(get(a), get(b)));
}

template <class F>
BitVec bv2(BitVec a, BitVec b, F f) {
  Context& c = common(a.ctx(), b.ctx());
  return mk_bv(c, f(get(a), get(b)));
}

}  // namespace

unsigned BitVec::width() const {
  return get(*this).get_sort().bv_size();
}

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

Bool Context::bool_val(bool b) {
  return mk_bool(*this, impl_->z3.bool_val(b));
}
Bool Context::bool_var(const std::string& name) {
  return mk_bool(*this, impl_->z3.bool_const(name.c_str()));
}
BitVec Context::bv_val(uint64_t v, unsigned width) {
  if (width < 64) v &= (uint64_t{1} << width) - 1;
  return mk_bv(*this, impl_->z3.bv_val(static_cast<uint64_t>(v), width));
}
BitVec Context::bv_var(const std::string& name, unsigned width) {
  return mk_bv(*this, impl_->z3.bv_const(name.c_str(), width));
}

bool Context::same(BitVec a, BitVec b) const {
  return z3::eq(get(a), get(b));
}
bool Context::same(Bool a, Bool b) const {
  return z3::eq(get(a), get(b));
}

std::optional<bool> Context::ground_value(Bool t) const {
  z3::expr s = get(t).simplify();
  if (s.is_true()) return true;
  if (s.is_false()) return false;
  return std::nullopt;
}

std::optional<uint64_t> Context::ground_value(BitVec t) const {
  z3::expr s = get(t).simplify();
  uint64_t v = 0;
  if (s.is_numeral() && s.is_numeral_u64(v)) return v;
  return std::nullopt;
}

namespace {

std::pair<z3::expr_vector, z3::expr_vector> substitution(z3::context& z,
                                                         std::span<const BitVec> vars,
                                                         std::span<const uint64_t> values) {
  z3::expr_vector src(z), dst(z);
  for (size_t i = 0; i < vars.size(); ++i) {
    src.push_back(get(vars[i]));
    dst.push_back(z.bv_val(values[i], vars[i].width()));
  }
  return {src, dst};
}

}  // namespace

std::vector<std::optional<uint64_t>> Context::evaluate(std::span<const BitVec> terms,
                                                       std::span<const BitVec> vars,
                                                       std::span<const uint64_t> values) const {
  auto [src, dst] = substitution(impl_->z3, vars, values);
  std::vector<std::optional<uint64_t>> out;
  for (BitVec t : terms) {
    z3::expr s = z3::expr(get(t)).substitute(src, dst).simplify();
    uint64_t v = 0;
    out.push_back(s.is_numeral() && s.is_numeral_u64(v) ? std::optional<uint64_t>(v)
                                                        : std::nullopt);
  }
  return out;
}

std::vector<std::optional<bool>> Context::evaluate(std::span<const Bool> terms,
                                                   std::span<const BitVec> vars,
                                                   std::span<const uint64_t> values) const {
  auto [src, dst] = substitution(impl_->z3, vars, values);
  std::vector<std::optional<bool>> out;
  for (Bool t : terms) {
    z3::expr s = z3::expr(get(t)).substitute(src, dst).simplify();
    out.push_back(s.is_true()    ? std::optional<bool>(true)
                  : s.is_false() ? std::optional<bool>(false)
                                 : std::nullopt);
  }
  return out;
}

std::string Context::to_string(Bool t) const {
  return get(t).to_string();
}
std::string Context::to_string(BitVec t) const {
  return get(t).to_string();
}

Bool operator!(Bool a) {
  return mk_bool(*a.ctx(), !get(a));
}
Bool operator&&(Bool a, Bool b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x && y; });
}
Bool operator||(Bool a, Bool b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x || y; });
}
Bool operator==(Bool a, Bool b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x == y; });
}
Bool operator!=(Bool a, Bool b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x != y; });
}
Bool implies(Bool a, Bool b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::implies(x, y); });
}
Bool ite(Bool c, Bool a, Bool b) {
  common(a.ctx(), b.ctx());
  Context& ctx = common(c.ctx(), a.ctx());
  return mk_bool(ctx, z3::ite(get(c), get(a), get(b)));
}

Bool all_of(Context& c, const std::vector<Bool>& terms) {
  z3::expr_vector v(c.impl().z3);
  for (Bool t : terms) v.push_back(get(t));
  return mk_bool(c, terms.empty() ? c.impl().z3.bool_val(true) : z3::mk_and(v));
}

Bool any_of(Context& c, const std::vector<Bool>& terms) {
  z3::expr_vector v(c.impl().z3);
  for (Bool t : terms) v.push_back(get(t));
  return mk_bool(c, terms.empty() ? c.impl().z3.bool_val(false) : z3::mk_or(v));
}

BitVec operator+(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x + y; });
}
BitVec operator-(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x - y; });
}
BitVec operator*(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x * y; });
}
BitVec operator/(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::udiv(x, y); });
}
BitVec operator%(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::urem(x, y); });
}
BitVec operator&(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x & y; });
}
BitVec operator|(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x | y; });
}
BitVec operator^(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x ^ y; });
}
BitVec operator~(BitVec a) {
  return mk_bv(*a.ctx(), ~get(a));
}
BitVec operator-(BitVec a) {
  return mk_bv(*a.ctx(), -get(a));
}

Bool operator==(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x == y; });
}
Bool operator!=(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x != y; });
}
Bool operator<(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::ult(x, y); });
}
Bool operator<=(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::ule(x, y); });
}
Bool operator>(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::ugt(x, y); });
}
Bool operator>=(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::uge(x, y); });
}

BitVec ite(Bool c, BitVec a, BitVec b) {
  common(a.ctx(), b.ctx());
  Context& ctx = common(c.ctx(), a.ctx());
  return mk_bv(ctx, z3::ite(get(c), get(a), get(b)));
}

Bool slt(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x < y; });
}
Bool sle(BitVec a, BitVec b) {
  return bool2(a, b, [](const z3::expr& x, const z3::expr& y) { return x <= y; });
}
BitVec sdiv(BitVec a, BitVec b) {
  // z3++'s operator/ on bit-vectors is bvsdiv.
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return x / y; });
}
BitVec srem(BitVec a, BitVec b) {
  return bv2(a, b, [](const z3::expr& x, const z3::expr& y) { return z3::srem(x, y); });
}

BitVec constant_like(BitVec like, uint64_t v) {
  return like.ctx()->bv_val(v, like.width());
}

const char* to_string(SatResult r) {
  switch (r) {
    case SatResult::Sat:
      return "sat";
    case SatResult::Unsat:
      return "unsat";
    case SatResult::Unknown:
      return "unknown";
  }
  return "?";
}

// --- query log ------------------------------------------------------------

QueryLog::QueryLog(std::string dump_dir) : dir_(std::move(dump_dir)) {
  if (!dir_.empty()) std::filesystem::create_directories(dir_);
}

double QueryLog::total_seconds() const {
  double s = 0;
  for (const QueryRecord& r : records_) s += r.seconds;
  return s;
}

QueryRecord& QueryLog::add(std::string property, std::string kind) {
  QueryRecord r;
  r.index = static_cast<unsigned>(records_.size() + 1);
  r.property = std::move(property);
  r.kind = std::move(kind);
  records_.push_back(std::move(r));
  return records_.back();
}

namespace {

// File names keep to a portable alphabet whatever a property is called.
std::string file_safe(const std::string& s) {
  std::string out;
  for (char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.';
    out += ok ? ch : '_';
  }
  return out.empty() ? "_" : out;
}

}  // namespace

// --- solver ---------------------------------------------------------------

namespace {

// z3::solver::to_smt2 without a logic line; this one declares QF_BV.
std::string to_smt2(z3::solver& s) {
  z3::expr_vector a = s.assertions();
  std::vector<Z3_ast> fmls;
  for (unsigned i = 0; i < a.size(); ++i) fmls.push_back(a[i]);
  z3::context& c = s.ctx();
  Z3_ast last = c.bool_val(true);
  if (!fmls.empty()) {
    last = fmls.back();
    fmls.pop_back();
  }
  return Z3_benchmark_to_smtlib_string(c, "", "QF_BV", "unknown", "",
                                       static_cast<unsigned>(fmls.size()), fmls.data(), last);
}

}  // namespace

struct Solver::Impl {
  z3::solver s;
  std::optional<z3::model> model;
  // Every query is quantifier-free bit-vector logic.  Naming the logic
  // makes Z3 bit-blast and use its SAT solver (the qfbv tactic), several
  // times faster here than the default combined solver; the dumped files
  // name the same logic so that `z3 FILE` takes the same route.
  explicit Impl(z3::context& c) : s(c, "QF_BV") {}
};

Solver::Solver(Context& c, QueryLog* log, unsigned timeout_ms)
    : c_(c), log_(log), impl_(std::make_unique<Impl>(c.impl().z3)) {
  if (timeout_ms != 0) {
    z3::params p(c.impl().z3);
    p.set("timeout", timeout_ms);
    impl_->s.set(p);
  }
}

Solver::~Solver() = default;

void Solver::add(Bool fact) {
  impl_->s.add(get(fact));
}
void Solver::push() {
  impl_->s.push();
}
void Solver::pop() {
  impl_->s.pop();
}

SatResult Solver::check(const std::string& property, const std::string& kind) {
  impl_->model.reset();
  auto t0 = std::chrono::steady_clock::now();
  z3::check_result r = impl_->s.check();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SatResult res = r == z3::sat     ? SatResult::Sat
                  : r == z3::unsat ? SatResult::Unsat
                                   : SatResult::Unknown;
  if (res == SatResult::Sat) impl_->model = impl_->s.get_model();
  if (log_ != nullptr) {
    QueryRecord& rec = log_->add(property, kind);
    rec.result = res;
    rec.seconds = secs;
    if (!log_->dump_dir().empty()) {
      char num[16];
      std::snprintf(num, sizeof num, "%04u", rec.index);
      std::string name =
          std::string(num) + "-" + file_safe(property) + "-" + file_safe(kind) + ".smt2";
      rec.file = (std::filesystem::path(log_->dump_dir()) / name).string();
      std::ofstream out(rec.file);
      out << "; faultline query " << num << ": property " << property << ", " << kind << "\n"
          << "; expected answer: " << to_string(res) << "\n"
          << "; replay with: z3 " << name << "\n"
          << to_smt2(impl_->s);
      if (!out) throw std::runtime_error("cannot write " + rec.file);
    }
  }
  return res;
}

bool Solver::value(Bool t) const {
  if (!impl_->model) throw std::logic_error("smt: no model (last check was not sat)");
  return impl_->model->eval(get(t), true).is_true();
}

uint64_t Solver::uvalue(BitVec t) const {
  if (!impl_->model) throw std::logic_error("smt: no model (last check was not sat)");
  z3::expr v = impl_->model->eval(get(t), true);
  uint64_t out = 0;
  if (!v.is_numeral_u64(out)) throw std::logic_error("smt: value is not a 64-bit numeral");
  return out;
}

int64_t Solver::svalue(BitVec t) const {
  uint64_t u = uvalue(t);
  unsigned w = t.width();
  if (w < 64 && (u >> (w - 1)) & 1) u |= ~uint64_t{0} << w;
  return static_cast<int64_t>(u);
}

}  // namespace fl::proofs::smt

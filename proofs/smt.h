#pragma once
// The one narrow wrapper around Z3 (docs/proofs.md).  Everything in proofs/
// except smt.cpp and z3_info.cpp uses these types and never includes
// <z3++.h>, so that the solver could be swapped, and so that every query
// goes through one place that numbers it, times it and, on request, writes
// it out as an SMT-LIB2 file that the `z3` command-line tool replays.
//
// Terms are small handles (a context and an index into that context's term
// arena), cheap to copy.  A term is only meaningful with the Context that
// made it, and the Context must outlive every term and solver made from it.
//
// BitVec operators follow the semantics of C++ `uint64_t` arithmetic
// (wrapping, unsigned division and comparison), so that a template written
// over "an unsigned 64-bit value" (model/ioctl_args.h) means the same thing
// instantiated with uint64_t and with BitVec.  Signed operations, which the
// model's int64 expressions need, have explicit names (slt, sdiv, ...).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fl::proofs::smt {

class Context;

class Bool {
 public:
  Bool() = default;
  Context* ctx() const { return ctx_; }
  uint32_t id() const { return id_; }

 private:
  friend class Context;
  Bool(Context* c, uint32_t id) : ctx_(c), id_(id) {}
  Context* ctx_ = nullptr;
  uint32_t id_ = 0;
};

class BitVec {
 public:
  BitVec() = default;
  Context* ctx() const { return ctx_; }
  uint32_t id() const { return id_; }
  unsigned width() const;

 private:
  friend class Context;
  BitVec(Context* c, uint32_t id) : ctx_(c), id_(id) {}
  Context* ctx_ = nullptr;
  uint32_t id_ = 0;
};

class Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Bool bool_val(bool b);
  Bool bool_var(const std::string& name);
  // Two's complement: v is truncated to `width` bits.
  BitVec bv_val(uint64_t v, unsigned width);
  BitVec bv_var(const std::string& name, unsigned width);

  // True when both terms are the same Z3 term (Z3 shares equal terms).
  bool same(BitVec a, BitVec b) const;
  bool same(Bool a, Bool b) const;

  // Ground terms simplify to a constant; nullopt when `t` has free variables.
  std::optional<bool> ground_value(Bool t) const;
  std::optional<uint64_t> ground_value(BitVec t) const;

  // Evaluates each term with `values` substituted for the variables `vars`
  // (Z3's substitute and simplify); nullopt where a term does not reduce to
  // a constant.  Creates no lasting terms, so it can run once per state.
  std::vector<std::optional<uint64_t>> evaluate(std::span<const BitVec> terms,
                                                std::span<const BitVec> vars,
                                                std::span<const uint64_t> values) const;
  std::vector<std::optional<bool>> evaluate(std::span<const Bool> terms,
                                            std::span<const BitVec> vars,
                                            std::span<const uint64_t> values) const;

  std::string to_string(Bool t) const;
  std::string to_string(BitVec t) const;

  // The implementation (z3::context and the term arena); only smt.cpp
  // knows its layout.
  struct Impl;
  Impl& impl() const { return *impl_; }
  Bool make_bool(uint32_t id) { return Bool(this, id); }
  BitVec make_bv(uint32_t id) { return BitVec(this, id); }

 private:
  std::unique_ptr<Impl> impl_;
};

// --- Booleans -------------------------------------------------------------
Bool operator!(Bool a);
Bool operator&&(Bool a, Bool b);
Bool operator||(Bool a, Bool b);
Bool operator==(Bool a, Bool b);
Bool operator!=(Bool a, Bool b);
Bool implies(Bool a, Bool b);
Bool ite(Bool c, Bool a, Bool b);
// Conjunction / disjunction of a list (true / false when empty).
Bool all_of(Context& c, const std::vector<Bool>& terms);
Bool any_of(Context& c, const std::vector<Bool>& terms);

// --- bit-vectors: uint64_t semantics ------------------------------------
BitVec operator+(BitVec a, BitVec b);
BitVec operator-(BitVec a, BitVec b);
BitVec operator*(BitVec a, BitVec b);
BitVec operator/(BitVec a, BitVec b);  // unsigned
BitVec operator%(BitVec a, BitVec b);  // unsigned
BitVec operator&(BitVec a, BitVec b);
BitVec operator|(BitVec a, BitVec b);
BitVec operator^(BitVec a, BitVec b);
BitVec operator~(BitVec a);
BitVec operator-(BitVec a);
Bool operator==(BitVec a, BitVec b);
Bool operator!=(BitVec a, BitVec b);
Bool operator<(BitVec a, BitVec b);  // unsigned
Bool operator<=(BitVec a, BitVec b);
Bool operator>(BitVec a, BitVec b);
Bool operator>=(BitVec a, BitVec b);
BitVec ite(Bool c, BitVec a, BitVec b);

// --- bit-vectors: signed (two's complement, as C++ int64_t) -------------
Bool slt(BitVec a, BitVec b);
Bool sle(BitVec a, BitVec b);
BitVec sdiv(BitVec a, BitVec b);  // truncates toward zero, as C++ `/`
BitVec srem(BitVec a, BitVec b);  // sign of the dividend, as C++ `%`

// A constant of the same width and context as `like`: lets width-generic
// templates write literals (found by argument-dependent lookup).
BitVec constant_like(BitVec like, uint64_t v);

// --- solving --------------------------------------------------------------
enum class SatResult { Sat, Unsat, Unknown };
const char* to_string(SatResult r);

// One solver query, as logged.
struct QueryRecord {
  unsigned index = 0;    // 1-based, in the order the queries ran
  std::string property;  // what the query is about ("no-lost-wakeup", "bmc", ...)
  std::string kind;      // "init", "step", "k3-step", "bmc-depth5", ...
  SatResult result = SatResult::Unknown;
  double seconds = 0;
  std::string file;  // the SMT-LIB2 dump, or "" when not dumping
};

// Numbers, times and (with a directory) dumps every query of a run, so that
// a failing proof can be replayed: file NNNN-<property>-<kind>.smt2, which
// `z3 FILE` answers with the same sat / unsat.
class QueryLog {
 public:
  explicit QueryLog(std::string dump_dir = "");
  const std::string& dump_dir() const { return dir_; }
  const std::vector<QueryRecord>& records() const { return records_; }
  double total_seconds() const;
  // Used by Solver::check.
  QueryRecord& add(std::string property, std::string kind);

 private:
  std::string dir_;
  std::vector<QueryRecord> records_;
};

class Solver {
 public:
  // `log` may be null (nothing recorded).  timeout_ms == 0: no limit.
  explicit Solver(Context& c, QueryLog* log = nullptr, unsigned timeout_ms = 0);
  ~Solver();
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  void add(Bool fact);
  void push();
  void pop();
  SatResult check(const std::string& property, const std::string& kind);

  // Values in the model of the last Sat check (every variable gets one).
  bool value(Bool t) const;
  uint64_t uvalue(BitVec t) const;
  int64_t svalue(BitVec t) const;  // sign-extended from the term's width

 private:
  struct Impl;
  Context& c_;
  QueryLog* log_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fl::proofs::smt

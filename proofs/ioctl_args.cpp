#include "proofs/ioctl_args.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace fl::proofs {

using model::uffd::Args;
using model::uffd::Check;
using model::uffd::Ioctl;
using smt::BitVec;
using smt::Bool;

namespace {

// include/uapi/linux/userfaultfd.h, spelled as the kernel spells them (kept
// apart from the model's constants so that a wrong model constant shows up
// as a disagreement instead of being copied into the "kernel" side).
constexpr uint64_t UFFDIO_REGISTER_MODE_MISSING = 1ull << 0;
constexpr uint64_t UFFDIO_REGISTER_MODE_WP = 1ull << 1;
constexpr uint64_t UFFDIO_REGISTER_MODE_MINOR = 1ull << 2;
constexpr uint64_t UFFD_API_REGISTER_MODES =
    UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR;
constexpr uint64_t UFFDIO_COPY_MODE_DONTWAKE = 1ull << 0;
constexpr uint64_t UFFDIO_COPY_MODE_WP = 1ull << 1;
constexpr uint64_t UFFDIO_ZEROPAGE_MODE_DONTWAKE = 1ull << 0;
constexpr uint64_t UFFDIO_WRITEPROTECT_MODE_WP = 1ull << 0;
constexpr uint64_t UFFDIO_WRITEPROTECT_MODE_DONTWAKE = 1ull << 1;
constexpr uint64_t UFFDIO_CONTINUE_MODE_DONTWAKE = 1ull << 0;
constexpr uint64_t UFFDIO_CONTINUE_MODE_WP = 1ull << 1;
constexpr uint64_t UFFDIO_POISON_MODE_DONTWAKE = 1ull << 0;
constexpr uint64_t UFFDIO_MOVE_MODE_DONTWAKE = 1ull << 0;
constexpr uint64_t UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES = 1ull << 1;
constexpr uint64_t kKernelPageSize = 4096;
constexpr uint64_t kKernelTaskSize = 0x00007ffffffff000;  // x86-64, 4-level paging

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Bool conjunction(smt::Context& c, const std::vector<Check<BitVec>>& checks, size_t except) {
  std::vector<Bool> terms;
  for (size_t i = 0; i < checks.size(); ++i) {
    if (i != except) terms.push_back(checks[i].ok);
  }
  return smt::all_of(c, terms);
}

Args<BitVec> constants(smt::Context& c, const IoctlArgs& a) {
  return {c.bv_val(a.dst, 64), c.bv_val(a.src, 64), c.bv_val(a.len, 64), c.bv_val(a.mode, 64)};
}

// Which checks reject `a`, evaluated concretely (the model's through its
// uint64_t instantiation, the kernel's through Z3 on constants).
std::vector<bool> failing_model_checks(Ioctl op, const IoctlArgs& a) {
  std::vector<bool> out;
  for (const auto& c : model::uffd::model_checks<uint64_t>(op, {a.dst, a.src, a.len, a.mode})) {
    out.push_back(!c.ok);
  }
  return out;
}

std::vector<bool> failing_kernel_checks(Ioctl op, const IoctlArgs& a) {
  // A Z3 context is expensive to create; one per thread serves every call
  // (each adds a few dozen small terms).
  thread_local smt::Context c;
  std::vector<bool> out;
  for (const auto& k : kernel_checks(op, constants(c, a))) {
    out.push_back(!c.ground_value(k.ok).value_or(false));
  }
  return out;
}

class IoctlProver {
 public:
  explicit IoctlProver(const IoctlOptions& o) : o_(o), log_(o.dump_smt_dir) {}

  IoctlReport run() {
    auto t0 = std::chrono::steady_clock::now();
    IoctlReport r;
    for (Ioctl op : model::uffd::kAllIoctls) {
      if (o_.ioctls.empty() ||
          std::find(o_.ioctls.begin(), o_.ioctls.end(), op) != o_.ioctls.end()) {
        r.ioctls.push_back(prove(op));
      }
    }
    r.queries = log_.records();
    r.internal_error = internal_error_;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

 private:
  IoctlArgs read(const smt::Solver& s, const Args<BitVec>& a) {
    return {s.uvalue(a.dst), s.uvalue(a.src), s.uvalue(a.len), s.uvalue(a.mode)};
  }

  // For each check: is there an argument tuple that it alone rejects?
  std::vector<CheckVerdict> necessity(Ioctl op, const std::string& side,
                                      const std::vector<Check<BitVec>>& checks,
                                      const Args<BitVec>& a) {
    std::vector<CheckVerdict> out;
    for (size_t i = 0; i < checks.size(); ++i) {
      smt::Solver s(ctx_, &log_, o_.timeout_ms);
      s.add(conjunction(ctx_, checks, i));
      s.add(!checks[i].ok);
      CheckVerdict v;
      v.check = checks[i].name;
      if (s.check(model::uffd::name(op), side + "-check" + std::to_string(i + 1) + "-needed") ==
          smt::SatResult::Sat) {
        v.needed = true;
        v.witness = read(s, a);
        std::vector<bool> failing = side == "kernel" ? failing_kernel_checks(op, *v.witness)
                                                     : failing_model_checks(op, *v.witness);
        for (size_t j = 0; j < failing.size(); ++j) {
          if (failing[j] != (j == i) && internal_error_.empty()) {
            internal_error_ = std::string(model::uffd::name(op)) + ": witness for '" + v.check +
                              "' is not rejected by that check alone";
          }
        }
      }
      out.push_back(std::move(v));
    }
    return out;
  }

  IoctlProof prove(Ioctl op) {
    std::string prefix = std::string(model::uffd::name(op)) + ".";
    Args<BitVec> a{ctx_.bv_var(prefix + "dst", 64), ctx_.bv_var(prefix + "src", 64),
                   ctx_.bv_var(prefix + "len", 64), ctx_.bv_var(prefix + "mode", 64)};
    std::vector<Check<BitVec>> kernel = kernel_checks(op, a);
    std::vector<Check<BitVec>> model = model::uffd::model_checks(op, a);
    IoctlProof p;
    p.ioctl = op;
    smt::Solver s(ctx_, &log_, o_.timeout_ms);
    s.add(conjunction(ctx_, kernel, kernel.size()) != conjunction(ctx_, model, model.size()));
    smt::SatResult r = s.check(model::uffd::name(op), "equivalence");
    p.equivalent = r == smt::SatResult::Unsat;
    if (r == smt::SatResult::Sat) {
      p.counterexample = read(s, a);
      p.kernel_accepts_counterexample = kernel_accepts(op, *p.counterexample);
    }
    p.kernel_checks = necessity(op, "kernel", kernel, a);
    p.model_checks = necessity(op, "model", model, a);
    p.kernel_implied_jointly_needed = jointly(op, "kernel", kernel, p.kernel_checks, a);
    p.model_implied_jointly_needed = jointly(op, "model", model, p.model_checks, a);
    return p;
  }

  // Drops every implied check at once: is anything rejected only by them?
  std::optional<IoctlArgs> jointly(Ioctl op, const std::string& side,
                                   const std::vector<Check<BitVec>>& checks,
                                   const std::vector<CheckVerdict>& verdicts,
                                   const Args<BitVec>& a) {
    std::vector<Bool> kept, dropped;
    for (size_t i = 0; i < checks.size(); ++i) {
      (verdicts[i].needed ? kept : dropped).push_back(checks[i].ok);
    }
    if (dropped.size() < 2) return std::nullopt;
    smt::Solver s(ctx_, &log_, o_.timeout_ms);
    s.add(smt::all_of(ctx_, kept));
    s.add(!smt::all_of(ctx_, dropped));
    if (s.check(model::uffd::name(op), side + "-implied-jointly") != smt::SatResult::Sat) {
      return std::nullopt;
    }
    return read(s, a);
  }

  const IoctlOptions& o_;
  smt::Context ctx_;
  smt::QueryLog log_;
  std::string internal_error_;
};

std::string args(const IoctlArgs& a) {
  return "dst=" + hex(a.dst) + " src=" + hex(a.src) + " len=" + hex(a.len) + " mode=" + hex(a.mode);
}

void render_checks(std::string& out, const char* side, const std::vector<CheckVerdict>& checks,
                   const std::optional<IoctlArgs>& jointly) {
  for (const CheckVerdict& c : checks) {
    out += std::string("    ") + side + "  " + c.check + ": ";
    if (c.needed && c.witness) {
      out += "needed (only it rejects " + args(*c.witness) + ")\n";
    } else {
      out += "implied by the others\n";
    }
  }
  if (jointly) {
    out += std::string("    ") + side +
           "  (the implied checks are not removable together: " + "without all of them " +
           args(*jointly) + " would pass)\n";
  }
}

}  // namespace

bool IoctlReport::all_equivalent() const {
  if (!internal_error.empty()) return false;
  for (const IoctlProof& p : ioctls) {
    if (!p.equivalent) return false;
  }
  return true;
}

std::vector<Check<BitVec>> kernel_checks(Ioctl op, const Args<BitVec>& a) {
  smt::Context& c = *a.len.ctx();
  auto k = [&](uint64_t v) { return c.bv_val(v, 64); };
  const BitVec PAGE_MASK = ~(k(kKernelPageSize) - k(1));
  const BitVec task_size = k(kKernelTaskSize);
  std::vector<Check<BitVec>> out;
  // fs/userfaultfd.c, validate_unaligned_range(): each `if (...) return
  // -EINVAL;` becomes a check named after its condition.
  auto validate_unaligned_range = [&](const std::string& fn, const BitVec& start) {
    out.push_back({fn + ": len & ~PAGE_MASK", (a.len & ~PAGE_MASK) == k(0)});
    out.push_back({fn + ": !len", a.len != k(0)});
    out.push_back({fn + ": start >= task_size", start < task_size});
    out.push_back({fn + ": len > task_size - start", a.len <= task_size - start});
    out.push_back({fn + ": start + len <= start", start + a.len > start});
  };
  auto validate_range = [&](const std::string& fn, const BitVec& start) {
    out.push_back({fn + ": start & ~PAGE_MASK", (start & ~PAGE_MASK) == k(0)});
    validate_unaligned_range(fn, start);
  };
  auto mode_subset = [&](const std::string& text, uint64_t allowed) {
    out.push_back({"mode & ~(" + text + ")", (a.mode & ~k(allowed)) == k(0)});
  };
  switch (op) {
    case Ioctl::Register:  // userfaultfd_register: mode first, then the range
      out.push_back({"!uffdio_register.mode", a.mode != k(0)});
      mode_subset("UFFD_API_REGISTER_MODES", UFFD_API_REGISTER_MODES);
      validate_range("validate_range(range)", a.dst);
      break;
    case Ioctl::Unregister:
    case Ioctl::Wake:
      validate_range("validate_range(range)", a.dst);
      break;
    case Ioctl::Copy:
      validate_unaligned_range("validate_unaligned_range(src)", a.src);
      validate_range("validate_range(dst)", a.dst);
      mode_subset("DONTWAKE|WP", UFFDIO_COPY_MODE_DONTWAKE | UFFDIO_COPY_MODE_WP);
      break;
    case Ioctl::Zeropage:
      validate_range("validate_range(range)", a.dst);
      mode_subset("DONTWAKE", UFFDIO_ZEROPAGE_MODE_DONTWAKE);
      break;
    case Ioctl::Writeprotect: {
      validate_range("validate_range(range)", a.dst);
      mode_subset("DONTWAKE|WP", UFFDIO_WRITEPROTECT_MODE_DONTWAKE | UFFDIO_WRITEPROTECT_MODE_WP);
      Bool mode_wp = (a.mode & k(UFFDIO_WRITEPROTECT_MODE_WP)) != k(0);
      Bool mode_dontwake = (a.mode & k(UFFDIO_WRITEPROTECT_MODE_DONTWAKE)) != k(0);
      out.push_back({"mode_wp && mode_dontwake", !(mode_wp && mode_dontwake)});
      break;
    }
    case Ioctl::Continue:
      validate_range("validate_range(range)", a.dst);
      mode_subset("DONTWAKE|WP", UFFDIO_CONTINUE_MODE_DONTWAKE | UFFDIO_CONTINUE_MODE_WP);
      break;
    case Ioctl::Poison:
      validate_range("validate_range(range)", a.dst);
      mode_subset("DONTWAKE", UFFDIO_POISON_MODE_DONTWAKE);
      break;
    case Ioctl::Move:
      validate_range("validate_range(dst)", a.dst);
      validate_range("validate_range(src)", a.src);
      mode_subset("ALLOW_SRC_HOLES|DONTWAKE",
                  UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES | UFFDIO_MOVE_MODE_DONTWAKE);
      break;
  }
  return out;
}

bool kernel_accepts(Ioctl op, const IoctlArgs& a) {
  for (bool failing : failing_kernel_checks(op, a)) {
    if (failing) return false;
  }
  return true;
}

bool model_accepts(Ioctl op, const IoctlArgs& a) {
  return model::uffd::model_accepts<uint64_t>(op, {a.dst, a.src, a.len, a.mode});
}

IoctlReport prove_ioctls(const IoctlOptions& opts) {
  return IoctlProver(opts).run();
}

std::string render(const IoctlReport& r) {
  std::string out;
  for (const IoctlProof& p : r.ioctls) {
    out += std::string(model::uffd::name(p.ioctl)) + ": ";
    if (p.equivalent) {
      out += "the model accepts exactly the arguments the kernel accepts (all 64-bit values)\n";
    } else if (p.counterexample) {
      const IoctlArgs& c = *p.counterexample;
      out += std::string("DIFFERENT: the ") +
             (p.kernel_accepts_counterexample ? "kernel" : "model") + " alone accepts " + args(c) +
             "\n";
    } else {
      out += "unknown (the solver gave up)\n";
    }
    render_checks(out, "kernel", p.kernel_checks, p.kernel_implied_jointly_needed);
    render_checks(out, "model ", p.model_checks, p.model_implied_jointly_needed);
  }
  if (!r.internal_error.empty()) out += "internal error: " + r.internal_error + "\n";
  return out;
}

}  // namespace fl::proofs

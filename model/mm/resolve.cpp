// Resolution of the parsed mm declarations into a Spec: names, page
// indices, registration modes, per-op contexts, and the checks that need
// the whole file.

#include <map>

#include "model/mm/parse.h"

namespace fl::model::mm {

namespace {

struct Resolver {
  const std::vector<const MmDecl*>& decls;
  lang::ElabContext& ctx;
  Spec spec;
  std::map<std::string, int> ctx_ids, region_ids;
  std::map<std::string, SourceLoc> names;  // every declared name, to refuse duplicates

  int value(const ConstExpr& e, int dflt) {
    if (!e) return dflt;
    Value v = ctx.eval_const(*e);
    if (v < -1000 || v > 1000) ctx.fail(e->loc, "value " + std::to_string(v) + " is out of range");
    return static_cast<int>(v);
  }

  void declare(const std::string& name, const SourceLoc& loc) {
    if (!names.emplace(name, loc).second) ctx.fail(loc, "'" + name + "' is declared twice");
  }

  int region(const Ref& r) {
    auto it = region_ids.find(r.name);
    if (it == region_ids.end()) ctx.fail(r.loc, "no region named '" + r.name + "'");
    return it->second;
  }

  int page(const Ref& r) {
    int reg = region(r);
    const RegionSpec& rs = spec.regions[reg];
    if (!r.index) ctx.fail(r.loc, "give a page: " + r.name + "[INDEX]");
    int index = value(r.index, 0);
    if (index < 0 || index >= rs.pages) {
      ctx.fail(r.index->loc, "page " + std::to_string(index) + " is outside region '" + rs.name +
                                 "' (" + std::to_string(rs.pages) + " pages)");
    }
    return rs.first + index;
  }

  // Pages named by `NAME` (all) or `NAME[i]`.
  std::vector<int> pages(const Ref& r) {
    if (r.index) return {page(r)};
    const RegionSpec& rs = spec.regions[region(r)];
    std::vector<int> out;
    for (int i = 0; i < rs.pages; ++i) out.push_back(rs.first + i);
    return out;
  }

  int context(const std::string& name, const SourceLoc& loc) {
    auto it = ctx_ids.find(name);
    if (it == ctx_ids.end()) ctx.fail(loc, "no userfaultfd named '" + name + "'");
    return it->second;
  }

  void kconfig(const MmDecl& d) {
    if (d.knob == "memory-failure") {
      spec.knobs.memory_failure = d.knob_value;
    } else if (d.knob == "none-mostly") {
      spec.knobs.none_mostly_any_marker = d.knob_value;
    } else {
      ctx.fail(d.loc, "unknown kconfig knob '" + d.knob + "' (known: memory-failure, none-mostly)");
    }
  }

  void uffd(const MmDecl& d) {
    declare(d.name, d.loc);
    CtxSpec c;
    c.name = d.name;
    c.loc = d.loc;
    c.user_mode_only = d.user_mode_only;
    for (const std::string& f : d.features) {
      if (f == "sigbus") {
        c.sigbus = true;
      } else if (f == "thread-id") {
        c.thread_id = true;
      } else if (f == "event-fork") {
        c.event_fork = true;
      } else if (f == "event-remap") {
        c.event_remap = true;
      } else if (f == "event-remove") {
        c.event_remove = true;
      } else if (f == "event-unmap") {
        c.event_unmap = true;
      } else if (f == "poison" || f == "minor-shmem" || f == "minor-hugetlbfs" ||
                 f == "missing-shmem" || f == "missing-hugetlbfs" || f == "wp-hugetlbfs-shmem" ||
                 f == "exact-address" || f == "pagefault-flag-wp") {
        // Advertised by UFFDIO_API; no behaviour of their own in the
        // modelled transitions (docs/model-mm.md).
      } else {
        ctx.fail(d.loc, "unknown or unmodelled userfaultfd feature '" + f + "'");
      }
    }
    ctx_ids[d.name] = static_cast<int>(spec.ctxs.size());
    spec.ctxs.push_back(c);
  }

  void region_decl(const MmDecl& d) {
    declare(d.name, d.loc);
    RegionSpec r;
    r.name = d.name;
    r.loc = d.loc;
    r.mem = d.mem == "anon" ? Mem::Anon : d.mem == "shmem" ? Mem::Shmem : Mem::Hugetlb;
    r.pages = value(d.pages, 1);
    if (r.pages < 1 || r.pages > 8) ctx.fail(d.loc, "a region has 1 to 8 pages");
    r.first = spec.num_pages();
    if (!d.ctx.empty()) {
      r.ctx = context(d.ctx, d.loc);
      for (const std::string& m : d.modes) {
        r.modes |= m == "missing" ? kModeMissing : m == "wp" ? kModeWp : kModeMinor;
      }
      // UFFDIO_REGISTER: MINOR is refused on anonymous memory (-EINVAL).
      if ((r.modes & kModeMinor) && r.mem == Mem::Anon) {
        ctx.fail(d.loc, "UFFDIO_REGISTER refuses MINOR mode on anonymous memory (-EINVAL)");
      }
    }
    int id = static_cast<int>(spec.regions.size());
    region_ids[d.name] = id;
    spec.regions.push_back(r);
    for (int i = 0; i < r.pages; ++i) spec.pages.push_back(PageSpec{id, i, Src::Data, Init::None});
  }

  void source(const MmDecl& d) {
    Src s = d.value == "data" ? Src::Data : d.value == "zero" ? Src::Zero : Src::Poison;
    for (int p : pages(d.ref)) spec.pages[p].src = s;
  }

  void init(const MmDecl& d) {
    static const std::map<std::string, Init> kInits = {
        {"none", Init::None},          {"mapped", Init::Mapped},     {"mapped-wp", Init::MappedWp},
        {"wp-marker", Init::WpMarker}, {"poisoned", Init::Poisoned}, {"guard", Init::Guard},
        {"cached", Init::Cached},      {"stale", Init::Stale}};
    Init v = kInits.at(d.value);
    for (int p : pages(d.ref)) {
      Mem mem = spec.region_of(p).mem;
      if ((v == Init::Cached || v == Init::Stale) && mem == Mem::Anon) {
        ctx.fail(d.ref.loc,
                 "anonymous memory has no page cache: 'cached' and 'stale' need shmem or hugetlb");
      }
      spec.pages[p].init = v;
    }
  }

  // The context an ioctl is issued on: `via NAME`, else the region's, else
  // the only one.
  int ioctl_ctx(const RawOp& r, const RegionSpec& rs) {
    if (!r.via.empty()) return context(r.via, r.loc);
    if (rs.ctx >= 0) return rs.ctx;
    if (spec.ctxs.size() == 1) return 0;
    ctx.fail(r.loc, "say which userfaultfd the ioctl uses: 'via NAME'");
    return -1;  // not reached: fail throws
  }

  OpSpec op(const RawOp& r, bool child) {
    OpSpec o;
    o.op = r.op;
    o.reg = r.reg;
    o.len = value(r.len, 1);
    o.dontwake = r.dontwake;
    o.wp = r.wp;
    o.holes = r.holes;
    o.loc = r.loc;
    if (!r.reg.empty()) declare(r.reg, r.loc);
    if (child && !is_access(r.op)) {
      ctx.fail(r.loc, "a child thread only accesses memory (read, write, syscall-*, populate-*)");
    }
    if (r.op == Op::Close) {
      o.ctx = context(r.target.name, r.target.loc);
      return o;
    }
    if (r.op == Op::Fork) {
      if (r.len || r.dontwake || r.wp || r.holes || !r.via.empty()) {
        ctx.fail(r.loc, "fork takes no options");
      }
      return o;
    }
    if (is_region_op(r.op)) {
      if (r.target.index)
        ctx.fail(r.target.loc, std::string(op_name(r.op)) + " takes a whole region");
      if (r.len)
        ctx.fail(r.loc, std::string(op_name(r.op)) + " takes a whole region, not a length");
      const RegionSpec& rs = spec.regions[region(r.target)];
      o.page = rs.first;
      o.len = rs.pages;
      if (r.op == Op::Unregister) {
        o.ctx = ioctl_ctx(r, rs);
        if (rs.ctx >= 0 && o.ctx != rs.ctx) {
          ctx.fail(r.loc,
                   "UFFDIO_UNREGISTER through another userfaultfd than the region's is not "
                   "modelled");
        }
      } else if (!r.via.empty()) {
        ctx.fail(r.loc, std::string(op_name(r.op)) + " is not a userfaultfd ioctl");
      }
      if (r.dontwake || r.wp || r.holes)
        ctx.fail(r.loc, std::string(op_name(r.op)) + " has no modes");
      return o;
    }
    o.page = page(r.target);
    const RegionSpec& rs = spec.region_of(o.page);
    bool ranged = is_paged_ioctl(r.op) || r.op == Op::Wake || r.op == Op::Protect ||
                  r.op == Op::Unprotect || r.op == Op::Dontneed || r.op == Op::PunchHole ||
                  r.op == Op::GuardInstall || r.op == Op::GuardRemove;
    if (o.len < 1 || o.len > 8 || (!ranged && o.len != 1)) {
      ctx.fail(r.loc,
               ranged ? "len is 1 to 8 pages" : std::string(op_name(r.op)) + " takes one page");
    }
    if (r.dontwake && !(is_paged_ioctl(r.op) || r.op == Op::Protect || r.op == Op::Unprotect)) {
      ctx.fail(r.loc, std::string(op_name(r.op)) + " has no DONTWAKE mode");
    }
    if (r.wp && r.op != Op::Copy && r.op != Op::Continue) {
      ctx.fail(r.loc, "only copy and continue have a WP mode");
    }
    if (r.holes && r.op != Op::Move) ctx.fail(r.loc, "only move has ALLOW_SRC_HOLES");
    if (r.op == Op::PunchHole && rs.mem == Mem::Anon) {
      ctx.fail(r.loc, "punch-hole needs a file (shmem or hugetlb region)");
    }
    if (o.page - rs.first + o.len > rs.pages) {
      ctx.fail(r.loc, "the range runs past the end of region '" + rs.name + "'");
    }
    if (r.op == Op::Move) {
      o.src = page(r.src);
      const RegionSpec& ss = spec.region_of(o.src);
      if (o.src - ss.first + o.len > ss.pages) {
        ctx.fail(r.src.loc, "the source range runs past the end of region '" + ss.name + "'");
      }
      if (o.src < o.page + o.len && o.page < o.src + o.len) {
        ctx.fail(r.loc, "UFFDIO_MOVE refuses overlapping ranges (-EINVAL)");
      }
    }
    bool ioctl =
        is_paged_ioctl(r.op) || r.op == Op::Wake || r.op == Op::Protect || r.op == Op::Unprotect;
    if (ioctl) {
      o.ctx = ioctl_ctx(r, rs);
    } else if (!r.via.empty()) {
      ctx.fail(r.loc, std::string(op_name(r.op)) + " is not a userfaultfd ioctl");
    }
    return o;
  }

  void thread(const MmDecl& d) {
    declare(d.name, d.loc);
    ThreadSpec t;
    t.name = d.name;
    t.loc = d.loc;
    t.child = d.child;
    if (d.ops.empty()) ctx.fail(d.loc, "thread '" + d.name + "' has no operations");
    if (d.ops.size() > 12) ctx.fail(d.loc, "a thread has at most 12 operations");
    for (const RawOp& r : d.ops) t.ops.push_back(op(r, d.child));
    spec.threads.push_back(std::move(t));
  }

  void monitor(const MmDecl& d) {
    declare(d.name, d.loc);
    MonitorSpec m;
    m.name = d.name;
    m.loc = d.loc;
    m.ctx = context(d.ctx, d.loc);
    m.wake_after_eexist = d.wake_after_eexist;
    m.forget_eagain = d.forget_eagain;
    m.wake_on_remove = d.wake_on_remove;
    m.fair = d.fair;
    for (const MonitorSpec& o : spec.monitors) {
      if (o.ctx == m.ctx) ctx.fail(d.loc, "userfaultfd '" + d.ctx + "' already has a monitor");
    }
    spec.monitors.push_back(m);
  }

  // fork: at most one in the scenario (the child threads run in its child),
  // and at most one userfaultfd that gets a FORK event, which keeps the
  // counter and the event queue of one context per fork.
  void check_fork() {
    const OpSpec* fork = nullptr;
    const ThreadSpec* child = nullptr;
    for (const ThreadSpec& t : spec.threads) {
      if (t.child && child == nullptr) child = &t;
      for (const OpSpec& o : t.ops) {
        if (o.op != Op::Fork) continue;
        if (fork != nullptr) ctx.fail(o.loc, "at most one fork per scenario");
        if (t.child) ctx.fail(o.loc, "the child does not fork again");
        fork = &o;
      }
    }
    if (child != nullptr && fork == nullptr) {
      ctx.fail(child->loc, "a child thread needs a fork in another thread");
    }
    int event_ctxs = 0;
    for (size_t c = 0; c < spec.ctxs.size(); ++c) {
      bool used = false;
      for (const RegionSpec& r : spec.regions) used |= r.ctx == static_cast<int>(c);
      if (used && spec.ctxs[c].event_fork) ++event_ctxs;
    }
    if (fork != nullptr && event_ctxs > 1) {
      ctx.fail(fork->loc, "a fork with EVENT_FORK on more than one userfaultfd is not modelled");
    }
  }

  Spec run(const std::string& variant) {
    spec.knobs = knobs_for_variant(variant);
    // Declarations may refer only to names declared earlier, except that
    // kconfig is order-independent.
    for (const MmDecl* d : decls) {
      const std::string& kw = d->keyword;
      if (kw == "kconfig")
        kconfig(*d);
      else if (kw == "uffd")
        uffd(*d);
      else if (kw == "region")
        region_decl(*d);
      else if (kw == "source")
        source(*d);
      else if (kw == "init")
        init(*d);
      else if (kw == "thread")
        thread(*d);
      else if (kw == "monitor")
        monitor(*d);
    }
    if (spec.threads.size() > 6) ctx.fail(decls.back()->loc, "at most 6 threads");
    check_fork();
    return std::move(spec);
  }
};

}  // namespace

Spec resolve(const std::vector<const MmDecl*>& decls, const std::string& variant,
             lang::ElabContext& ctx) {
  Resolver r{decls, ctx, {}, {}, {}, {}};
  return r.run(variant);
}

}  // namespace fl::model::mm

// Syntax and resolution of the KVM declarations.

#include "model/kvm/parse.h"

#include <algorithm>
#include <map>

namespace fl::model::kvm {

namespace {

using lang::Cursor;

ConstExpr expr(Cursor& c) {
  return ConstExpr(lang::parse_expr(c).release());
}

std::string on_off(Cursor& c, bool& value) {
  const lang::Token& t = c.peek();
  std::string v = c.expect_name("on or off");
  if (v != "on" && v != "off") c.fail(t, "expected on or off");
  value = v == "on";
  return v;
}

const char* const kVcpuVerbs[] = {"read", "write", "read-private", "write-private", "emulate-read"};
const char* const kVmmVerbs[] = {"set-private",     "set-shared", "set-userfault",
                                 "clear-userfault", "populate",   "punch-hole"};

RawVcpuOp parse_op(Cursor& c, bool vcpu) {
  RawVcpuOp op;
  op.loc = c.loc();
  if (vcpu && c.peek().kind == lang::Tok::Ident && c.peek(1).kind == lang::Tok::Punct &&
      c.peek(1).text == "=") {
    op.reg = c.next().text;
    c.next();
  }
  const lang::Token& t = c.peek();
  op.verb = c.expect_name(vcpu ? "a guest access (read, write, read-private, emulate-read ...)"
                               : "a VMM operation (populate, set-userfault, ...)");
  bool known = false;
  if (vcpu) {
    for (const char* v : kVcpuVerbs) known |= op.verb == v;
  } else {
    for (const char* v : kVmmVerbs) known |= op.verb == v;
  }
  if (!known) c.fail(t, "unknown operation '" + op.verb + "'");
  if (vcpu) {
    c.expect("gpa");
  } else {
    c.expect("gfn");
  }
  op.gfn = expr(c);
  return op;
}

}  // namespace

const std::vector<std::string>& keywords() {
  static const std::vector<std::string> kKeywords = {"gmem", "memslot", "vcpu", "vmm", "kvm"};
  return kKeywords;
}

std::unique_ptr<KvmDecl> parse_decl(Cursor& c) {
  auto d = std::make_unique<KvmDecl>();
  d->loc = c.loc();
  d->keyword = c.next().text;
  const std::string& kw = d->keyword;
  if (kw == "kvm") {
    const lang::Token& t = c.peek();
    d->option = c.expect_name("a KVM option (apf, retry-check, force-small-pages, cost)");
    if (d->option != "apf" && d->option != "retry-check" && d->option != "force-small-pages" &&
        d->option != "cost") {
      c.fail(t, "unknown KVM option '" + d->option +
                    "' (known: apf, retry-check, force-small-pages, cost)");
    }
    c.accept("=");
    on_off(c, d->value);
  } else if (kw == "gmem") {
    d->name = c.expect_ident("a guest_memfd name").text;
    for (;;) {
      if (c.accept("pages")) {
        d->pages = expr(c);
      } else if (c.accept("populated")) {
        do {
          d->populated.push_back(expr(c));
        } while (c.accept(","));
      } else if (c.accept("poison")) {
        do {
          d->poisoned.push_back(expr(c));
        } while (c.accept(","));
      } else {
        break;
      }
    }
  } else if (kw == "memslot") {
    d->name = c.expect_ident("a memslot name").text;
    c.expect("gfn");
    d->gfn = expr(c);
    if (c.accept("pages")) d->pages = expr(c);
    for (;;) {
      if (c.accept("region")) {
        d->region = c.expect_ident("an mm region").text;
      } else if (c.is("guest")) {
        const lang::Token& t = c.peek();
        if (c.expect_name("guest-memfd") != "guest-memfd") c.fail(t, "expected guest-memfd");
        d->gmem = c.expect_ident("a guest_memfd name").text;
      } else if (c.accept("readonly")) {
        d->readonly = true;
      } else if (c.accept("userfault")) {
        d->userfault = true;
      } else if (c.accept("huge")) {
        d->huge = true;
      } else if (c.accept("private")) {
        d->priv = true;
      } else {
        break;
      }
    }
  } else if (kw == "vcpu" || kw == "vmm") {
    d->name = c.expect_ident(kw == "vcpu" ? "a vCPU name" : "a VMM actor name").text;
    // vmm NAME fair { ... }: a weakly fair VMM program.
    if (kw == "vmm" && c.is("fair") && c.peek(1).text == "{") {
      c.next();
      d->fair = true;
    }
    if (kw == "vmm" && !c.is("{")) {
      const lang::Token& t = c.peek();
      d->role = c.expect_name("exit-handler, sigbus-handler or { OPERATIONS }");
      if (d->role == "fair") {
        c.fail(t, "write 'fair' after the role or before the '{' of a program");
      }
      if (d->role != "exit-handler" && d->role != "sigbus-handler") {
        c.fail(t, "expected exit-handler, sigbus-handler or { OPERATIONS }");
      }
      // A weakly fair VMM thread: in a liveness check, a step of it that
      // stays enabled is eventually taken.
      d->fair = c.accept("fair");
    } else {
      c.expect("{");
      while (!c.accept("}")) {
        d->ops.push_back(parse_op(c, kw == "vcpu"));
        while (c.accept(";")) {
        }
      }
    }
  } else {
    c.fail(c.peek(), "not a KVM declaration: '" + kw + "'");
  }
  return d;
}

namespace {

struct Resolver {
  lang::ElabContext& ctx;
  const mm::View* mm;
  Spec spec;
  std::map<std::string, int> gmem_ids;
  std::map<std::string, SourceLoc> names;

  int value(const ConstExpr& e, int dflt, int lo, int hi, const std::string& what) {
    if (!e) return dflt;
    Value v = ctx.eval_const(*e);
    if (v < lo || v > hi) {
      ctx.fail(e->loc, what + " " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                           std::to_string(hi));
    }
    return static_cast<int>(v);
  }
  void declare(const std::string& name, const SourceLoc& loc) {
    if (!names.emplace(name, loc).second) ctx.fail(loc, "'" + name + "' is declared twice");
  }

  void gmem(const KvmDecl& d) {
    declare(d.name, d.loc);
    GmemSpec g;
    g.name = d.name;
    g.loc = d.loc;
    g.pages = value(d.pages, 1, 1, 8, "the page count");
    g.first = spec.num_gmem_pages;
    g.populated.assign(g.pages, false);
    g.poisoned.assign(g.pages, false);
    for (const ConstExpr& e : d.populated) g.populated[value(e, 0, 0, g.pages - 1, "page")] = true;
    for (const ConstExpr& e : d.poisoned) g.poisoned[value(e, 0, 0, g.pages - 1, "page")] = true;
    spec.num_gmem_pages += g.pages;
    gmem_ids[d.name] = static_cast<int>(spec.gmems.size());
    spec.gmems.push_back(g);
  }

  void memslot(const KvmDecl& d) {
    declare(d.name, d.loc);
    SlotSpec s;
    s.name = d.name;
    s.loc = d.loc;
    s.gfn0 = value(d.gfn, 0, 0, 15, "gfn");
    s.pages = value(d.pages, 1, 1, 4, "the page count of a memslot");
    s.readonly = d.readonly;
    s.userfault = d.userfault;
    s.huge = d.huge;
    s.priv = d.priv;
    if (d.region.empty() && d.gmem.empty()) {
      ctx.fail(d.loc, "a memslot needs a backing: region REGION and/or guest-memfd GMEM");
    }
    if (!d.region.empty()) {
      if (!mm) ctx.fail(d.loc, "no mm region named '" + d.region + "' (declare it with region)");
      const mm::Spec& ms = mm->spec;
      for (size_t r = 0; r < ms.regions.size(); ++r) {
        if (ms.regions[r].name == d.region) s.region = static_cast<int>(r);
      }
      if (s.region < 0) ctx.fail(d.loc, "no mm region named '" + d.region + "'");
      if (ms.regions[s.region].pages < s.pages) {
        ctx.fail(d.loc, "region '" + d.region + "' is smaller than the memslot");
      }
      s.page0 = ms.regions[s.region].first;
    }
    if (!d.gmem.empty()) {
      auto it = gmem_ids.find(d.gmem);
      if (it == gmem_ids.end()) ctx.fail(d.loc, "no guest_memfd named '" + d.gmem + "'");
      s.gmem = it->second;
      if (spec.gmems[s.gmem].pages < s.pages) {
        ctx.fail(d.loc, "guest_memfd '" + d.gmem + "' is smaller than the memslot");
      }
      s.gmem_page0 = spec.gmems[s.gmem].first;
    }
    if (s.readonly && s.gmem >= 0) {
      // KVM_MEM_READONLY with a guest_memfd slot is not modelled (the read-
      // only path of this model is the host-address path of
      // __gfn_to_hva_many and kvm_follow_pfn).
      ctx.fail(d.loc,
               "a read-only memslot with a guest_memfd is not modelled; drop 'readonly' or "
               "'guest-memfd'");
    }
    if (s.priv && s.gmem < 0) {
      ctx.fail(d.loc, "private memory needs a guest_memfd (KVM_SET_MEMORY_ATTRIBUTES: -EINVAL)");
    }
    if (s.huge && (s.pages < 2)) ctx.fail(d.loc, "a huge group needs 2 to 4 pages");
    int end = s.gfn0 + s.pages;
    if (static_cast<int>(spec.slot_of.size()) < end) spec.slot_of.resize(end, -1);
    for (int g = s.gfn0; g < end; ++g) {
      if (spec.slot_of[g] >= 0) ctx.fail(d.loc, "memslots overlap at gfn " + std::to_string(g));
      spec.slot_of[g] = static_cast<int>(spec.slots.size());
    }
    spec.slots.push_back(s);
  }

  int gfn_of(const RawVcpuOp& o) {
    int g = value(o.gfn, 0, 0, 15, "gfn");
    if (g >= static_cast<int>(spec.slot_of.size()) || spec.slot_of[g] < 0) {
      ctx.fail(o.loc, "gfn " + std::to_string(g) + " is in no memslot");
    }
    return g;
  }

  void vcpu(const KvmDecl& d) {
    declare(d.name, d.loc);
    VcpuSpec v;
    v.name = d.name;
    v.loc = d.loc;
    for (const RawVcpuOp& o : d.ops) {
      VcpuOp op;
      op.loc = o.loc;
      op.reg = o.reg;
      op.gfn = gfn_of(o);
      op.priv = o.verb == "read-private" || o.verb == "write-private";
      op.op = o.verb == "emulate-read"                         ? VOp::EmuRead
              : o.verb == "write" || o.verb == "write-private" ? VOp::Write
                                                               : VOp::Read;
      const SlotSpec& s = *spec.slot(op.gfn);
      if (op.priv && s.gmem < 0) ctx.fail(o.loc, "a private access needs a guest_memfd slot");
      if (!op.priv && s.region < 0 && s.gmem >= 0 && !s.priv) {
        // A shared access to a gmem-only slot: guest_memfd pages mapped
        // shared (GUEST_MEMFD_FLAG_MMAP); the model serves it from gmem.
      }
      if (op.op == VOp::EmuRead && s.region < 0) {
        ctx.fail(o.loc, "the emulator reads through the host address: the slot needs a region");
      }
      if (!op.reg.empty()) declare(op.reg, o.loc);
      v.ops.push_back(op);
    }
    spec.vcpus.push_back(std::move(v));
  }

  void vmm(const KvmDecl& d) {
    declare(d.name, d.loc);
    if (d.role == "exit-handler") {
      if (!spec.exit_handler.empty()) ctx.fail(d.loc, "only one exit handler is modelled");
      spec.exit_handler = d.name;
      spec.exit_handler_fair = d.fair;
      return;
    }
    if (d.role == "sigbus-handler") {
      if (!spec.sigbus_handler.empty()) ctx.fail(d.loc, "only one SIGBUS handler is modelled");
      spec.sigbus_handler = d.name;
      spec.sigbus_handler_fair = d.fair;
      return;
    }
    VmmSpec v;
    v.name = d.name;
    v.loc = d.loc;
    v.fair = d.fair;
    for (const RawVcpuOp& o : d.ops) {
      VmmOp op;
      op.loc = o.loc;
      op.gfn = gfn_of(o);
      const SlotSpec& s = *spec.slot(op.gfn);
      op.op = o.verb == "set-private"       ? MOp::SetPrivate
              : o.verb == "set-shared"      ? MOp::SetShared
              : o.verb == "set-userfault"   ? MOp::SetUserfault
              : o.verb == "clear-userfault" ? MOp::ClearUserfault
              : o.verb == "populate"        ? MOp::Populate
                                            : MOp::PunchHole;
      if ((op.op == MOp::SetPrivate || op.op == MOp::PunchHole) && s.gmem < 0) {
        ctx.fail(o.loc, "'" + o.verb + "' needs a guest_memfd slot");
      }
      if ((op.op == MOp::SetUserfault || op.op == MOp::ClearUserfault) && !s.userfault) {
        ctx.fail(o.loc, "'" + o.verb + "' needs a memslot with the userfault flag");
      }
      if (op.op == MOp::Populate && s.gmem < 0) {
        ctx.fail(o.loc, "'populate' writes a guest_memfd page; use an mm thread for a region");
      }
      v.ops.push_back(op);
    }
    spec.vmms.push_back(std::move(v));
  }
};

}  // namespace

Spec resolve(const std::vector<const KvmDecl*>& decls, const std::string& variant,
             const mm::View* mm, lang::ElabContext& ctx) {
  Resolver r{ctx, mm, {}, {}, {}};
  r.spec.knobs = knobs_for_variant(variant);
  if (mm) {
    for (const mm::RegionSpec& rs : mm->spec.regions) r.names.emplace(rs.name, rs.loc);
  }
  // Declaration order does not matter between kinds: guest_memfds, then
  // memslots, then everything that names a gfn.
  for (const KvmDecl* d : decls) {
    if (d->keyword == "gmem") r.gmem(*d);
  }
  for (const KvmDecl* d : decls) {
    if (d->keyword == "memslot") r.memslot(*d);
  }
  for (const KvmDecl* d : decls) {
    if (d->keyword == "kvm") {
      if (d->option == "apf") r.spec.knobs.apf = d->value;
      if (d->option == "retry-check") r.spec.knobs.retry_check = d->value;
      // force-small-pages = off is kvm-userfault-no-4k on top of another userfault
      // variant (the variant's own name cannot be lexed yet: "4k").
      if (d->option == "force-small-pages") r.spec.knobs.force_4k = d->value;
    } else if (d->keyword == "vcpu") {
      r.vcpu(*d);
    } else if (d->keyword == "vmm") {
      r.vmm(*d);
    }
  }
  if (r.spec.vcpus.empty()) ctx.fail(decls.front()->loc, "a KVM scenario needs at least one vcpu");
  r.spec.num_gfns = static_cast<int>(r.spec.slot_of.size());
  return r.spec;
}

}  // namespace fl::model::kvm

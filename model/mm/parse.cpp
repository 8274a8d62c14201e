#include "model/mm/parse.h"

#include <algorithm>

namespace fl::model::mm {

namespace {

using lang::Cursor;

bool one_of(const std::string& s, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return s == w; });
}

Ref parse_ref(Cursor& c, const char* what) {
  Ref r;
  r.loc = c.loc();
  r.name = c.expect_ident(what).text;
  if (c.accept("[")) {
    r.index = lang::parse_expr(c);
    c.expect("]");
  }
  return r;
}

const struct {
  const char* word;
  Op op;
} kVerbs[] = {
    {"read", Op::Read},
    {"write", Op::Write},
    {"syscall-read", Op::SysRead},
    {"syscall-write", Op::SysWrite},
    {"populate-read", Op::PopRead},
    {"populate-write", Op::PopWrite},
    {"copy", Op::Copy},
    {"zeropage", Op::Zeropage},
    {"continue", Op::Continue},
    {"poison", Op::Poison},
    {"wake", Op::Wake},
    {"writeprotect", Op::Protect},
    {"unprotect", Op::Unprotect},
    {"dontneed", Op::Dontneed},
    {"punch-hole", Op::PunchHole},
    {"close", Op::Close},
    {"fork", Op::Fork},
    {"mremap", Op::Mremap},
    {"munmap", Op::Munmap},
    {"unregister", Op::Unregister},
    {"move", Op::Move},
    {"guard-install", Op::GuardInstall},
    {"guard-remove", Op::GuardRemove},
};

RawOp parse_op(Cursor& c) {
  RawOp op;
  op.loc = c.loc();
  if (c.peek().kind == lang::Tok::Ident && c.peek(1).kind == lang::Tok::Punct &&
      c.peek(1).text == "=") {
    op.reg = c.next().text;
    c.next();
  }
  const lang::Token& vt = c.peek();
  std::string verb = c.expect_name("an operation (read, write, copy, poison, wake, ...)");
  bool found = false;
  for (const auto& v : kVerbs) {
    if (verb == v.word) {
      op.op = v.op;
      found = true;
    }
  }
  if (!found) c.fail(vt, "unknown operation '" + verb + "'");
  if (op.op != Op::Fork) {
    op.target = parse_ref(c, op.op == Op::Close ? "a userfaultfd name" : "a region");
  }
  if (op.op == Op::Move) {
    c.expect("from");
    op.src = parse_ref(c, "a source region");
  }
  for (;;) {
    if (c.accept("len")) {
      op.len = lang::parse_expr(c);
    } else if (c.accept("dontwake")) {
      op.dontwake = true;
    } else if (c.accept("wp")) {
      op.wp = true;
    } else if (c.is("allow")) {
      const lang::Token& t = c.peek();
      if (c.expect_name("allow-src-holes") != "allow-src-holes")
        c.fail(t, "expected allow-src-holes");
      op.holes = true;
    } else if (c.accept("via")) {
      op.via = c.expect_ident("a userfaultfd name").text;
    } else {
      break;
    }
  }
  return op;
}

}  // namespace

const std::vector<std::string>& keywords() {
  static const std::vector<std::string> kKeywords = {"kconfig", "uffd",   "region", "source",
                                                     "init",    "thread", "monitor"};
  return kKeywords;
}

std::unique_ptr<MmDecl> parse_decl(Cursor& c) {
  auto d = std::make_unique<MmDecl>();
  d->loc = c.loc();
  d->keyword = c.next().text;
  const std::string& kw = d->keyword;
  if (kw == "kconfig") {
    d->knob = c.expect_name("a kernel configuration knob (memory-failure, none-mostly)");
    c.expect("=");
    const lang::Token& t = c.peek();
    std::string v = c.expect_name("on or off");
    if (v != "on" && v != "off" && v != "y" && v != "n") c.fail(t, "expected on or off");
    d->knob_value = v == "on" || v == "y";
  } else if (kw == "uffd") {
    d->name = c.expect_ident("a userfaultfd name").text;
    for (;;) {
      if (c.accept("features")) {
        do {
          d->features.push_back(c.expect_name("a UFFD_FEATURE name"));
        } while (c.accept(","));
      } else if (c.is("user")) {
        const lang::Token& t = c.peek();
        if (c.expect_name("user-mode-only") != "user-mode-only")
          c.fail(t, "expected user-mode-only");
        d->user_mode_only = true;
      } else {
        break;
      }
    }
  } else if (kw == "region") {
    d->name = c.expect_ident("a region name").text;
    const lang::Token& t = c.peek();
    d->mem = c.expect_name("anon, shmem or hugetlb");
    if (!one_of(d->mem, {"anon", "shmem", "hugetlb"})) c.fail(t, "expected anon, shmem or hugetlb");
    if (c.accept("pages")) d->pages = lang::parse_expr(c);
    if (c.accept("uffd")) {
      d->ctx = c.expect_ident("a userfaultfd name").text;
      while (c.is("missing") || c.is("wp") || c.is("minor")) d->modes.push_back(c.next().text);
      if (d->modes.empty()) c.fail(c.peek(), "expected a registration mode (missing, wp, minor)");
    }
  } else if (kw == "source" || kw == "init") {
    d->ref = parse_ref(c, "a region");
    c.expect("=");
    const lang::Token& t = c.peek();
    d->value = c.expect_name("a value");
    if (kw == "source" && !one_of(d->value, {"data", "zero", "poison"})) {
      c.fail(t, "expected data, zero or poison");
    }
    if (kw == "init" && !one_of(d->value, {"none", "mapped", "mapped-wp", "wp-marker", "poisoned",
                                           "guard", "cached", "stale"})) {
      c.fail(t, "expected mapped, mapped-wp, wp-marker, poisoned, guard, cached or stale");
    }
  } else if (kw == "thread") {
    d->name = c.expect_ident("a thread name").text;
    d->child = c.accept("child");
    c.expect("{");
    while (!c.accept("}")) {
      d->ops.push_back(parse_op(c));
      while (c.accept(";")) {
      }
    }
  } else if (kw == "monitor") {
    d->name = c.expect_ident("a monitor name").text;
    c.expect("on");
    d->ctx = c.expect_ident("a userfaultfd name").text;
    // A weakly fair monitor: in a liveness check, a step of it that stays
    // enabled is eventually taken.
    d->fair = c.accept("fair");
    c.expect("{");
    c.expect("serve");
    while (!c.accept("}")) {
      const lang::Token& t = c.peek();
      std::string opt = c.expect_name("a monitor option");
      if (opt == "wake-after-eexist") {
        d->wake_after_eexist = true;
      } else if (opt == "forget-eagain") {
        d->forget_eagain = true;
      } else if (opt == "wake-on-remove") {
        d->wake_on_remove = true;
      } else {
        c.fail(t, "unknown monitor option '" + opt +
                      "' (known: wake-after-eexist, forget-eagain, wake-on-remove)");
      }
      c.accept(";");
    }
  } else {
    c.fail(c.peek(), "not an mm declaration: '" + kw + "'");
  }
  return d;
}

}  // namespace fl::model::mm

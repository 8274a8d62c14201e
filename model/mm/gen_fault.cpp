// The fault paths of an access (kernel-semantics.md 2.6, 3.1-3.3): one
// action per kind of leaf entry found under the fault lock and the PTL,
// then, for a userfault, handle_userfault's must_wait step.

#include "model/mm/gen.h"

namespace fl::model::mm {

namespace {

enum class Accessor { User, Syscall, Gup };

Accessor accessor_of(Op op) {
  if (op == Op::Read || op == Op::Write) return Accessor::User;
  if (op == Op::SysRead || op == Op::SysWrite) return Accessor::Syscall;
  return Accessor::Gup;
}

bool is_write(Op op) {
  return op == Op::Write || op == Op::SysWrite || op == Op::PopWrite;
}

}  // namespace

void Gen::faults(int t, int i) {
  const OpSpec& o = s.threads[t].ops[i];
  const int p = o.page;
  const Accessor acc = accessor_of(o.op);
  const bool write = is_write(o.op);
  const bool hugetlb = mem_of(p) == Mem::Hugetlb;
  const bool file = mem_of(p) != Mem::Anon;
  const int c = ctx_of(p);
  const Id actor = tv[t].actor;
  // A child thread accesses the child's copy of the page (after the fork
  // returned): its own page table, its own anonymous pages, the shared page
  // cache, and the registration the FORK event gave it (or none).
  const bool child = s.threads[t].child;
  const Id ptev = child ? cpte : pte;
  const Id memv = child && !file ? cmem : mem;
  const Id pzv = child ? cpz : pz;
  const Id run =
      child ? and_({at(t, i, kPhRun), eqv(V(forked), 1)}) : and_({at(t, i, kPhRun), mapped(p)});
  const Id pte_p = E(ptev, p);
  const Id mem_p = E(memv, p);
  auto registered = [&](int page, unsigned mode) {
    return child ? child_registered(page, mode) : Gen::registered(page, mode);
  };

  // How the caller turns a VM_FAULT_* error into what the access observes.
  // User mode: arch/x86/mm/fault.c do_sigbus / bad_area; kernel-mode
  // uaccess: exception fixup -> -EFAULT; GUP (mm/gup.c faultin_page,
  // FOLL_HWPOISON as madvise_populate uses): -EHWPOISON / -EFAULT.
  auto sigbus = [&]() -> Value { return acc == Accessor::User ? kSigbusAdrerr : kEfault; };
  auto sigsegv = [&]() -> Value { return acc == Accessor::User ? kSigsegv : kEfault; };
  auto hwpoison = [&]() -> Value {
    if (acc == Accessor::User) return s.knobs.memory_failure ? kSigbusMceerr : kSigbusAdrerr;
    return acc == Accessor::Gup ? kEhwpoison : kEfault;
  };
  // A successful access: a read returns the page's token, the rest OK.
  auto success = [&](Id tok) -> Id {
    Id outcome = (!write && acc != Accessor::Gup) ? b.add(tok, L(2)) : L(kOk);
    Id noted = pzv == kNoId ? b.skip() : if_(eqv(E(pzv, p), 1), set(leak, 1));
    return seq({noted, finish(t, i, outcome)});
  };
  // handle_userfault steps 1-10 (fs/userfaultfd.c), under the fault lock.
  auto userfault = [&](Reason reason) -> Id {
    if (c < 0) return b.skip();  // unregistered: the action's guard is never true
    const CtxSpec& cs = s.ctxs[c];
    if (cs.sigbus) return finish(t, i, L(sigbus()));  // UFFD_FEATURE_SIGBUS
    if (cs.user_mode_only && acc != Accessor::User) return finish(t, i, L(sigbus()));
    // The child's context (created by the FORK event, same features and
    // flags: dup_userfaultfd) has no reader in the model: the child sleeps
    // in handle_userfault for good.
    if (child) return seq({set(tv[t].ph, kPhSleep), set_reg(t, i, L(kBlocked))});
    // The fault path dropped the PTL and called handle_userfault; the
    // rest of its steps run in the "link" action below.
    return seq({set(tv[t].ph, kPhUfEnter), set(tv[t].wr, reason)});
  };
  auto act = [&](const std::string& step, const std::string& fn, Id cond, Id body) {
    action(actor, act_name(t, i, step), fn, and_({run, cond}), body, o.loc);
  };
  const std::string marker_fn =
      hugetlb ? "mm/hugetlb.c: hugetlb_fault" : "mm/memory.c: handle_pte_marker";
  const std::string uf = " -> fs/userfaultfd.c: handle_userfault";

  // --- markers that fail the access
  if (s.knobs.poison_marker_sigbus) {
    act("poison marker", marker_fn + " (uffdio-sigbus-v1: VM_FAULT_SIGBUS)",
        eqv(pte_p, kPteMarkerPoison), finish(t, i, L(sigbus())));
  } else {
    act("poison marker", marker_fn + " (VM_FAULT_HWPOISON)", eqv(pte_p, kPteMarkerPoison),
        finish(t, i, L(hwpoison())));
  }
  act("guard marker", marker_fn + " (VM_FAULT_SIGSEGV)", eqv(pte_p, kPteMarkerGuard),
      finish(t, i, L(sigsegv())));

  // --- present entries
  if (!write) {
    act("present", "mm/memory.c: handle_pte_fault (present PTE: no fault)",
        in(pte_p, {kPtePresent, kPtePresentWp}), success(mem_p));
    act("zero page", "mm/memory.c: handle_pte_fault (zero page: no fault)",
        in(pte_p, {kPteZero, kPteZeroWp}), success(L(kTokZero)));
  } else {
    act("present", "mm/memory.c: handle_pte_fault (writable PTE: no fault)",
        eqv(pte_p, kPtePresent), success(mem_p));
    // do_wp_page: userfaultfd_pte_wp -> handle_userfault(VM_UFFD_WP);
    // otherwise the page is reused (wp bit gone) or, for the zero page,
    // copied into a new anonymous page (wp_page_copy).
    Id wp_reg = registered(p, kModeWp);
    act("wp fault", "mm/memory.c: do_wp_page" + uf + "(VM_UFFD_WP)",
        and_({in(pte_p, {kPtePresentWp, kPteZeroWp}), wp_reg}), userfault(kReasonWp));
    act("wp reuse", "mm/memory.c: do_wp_page (wp_page_reuse)",
        and_({eqv(pte_p, kPtePresentWp), b.not_(wp_reg)}),
        seq({set(ptev, p, kPtePresent), success(mem_p)}));
    // wp_page_copy replaces the mapped zero page inside an mmu-notifier
    // range; the child's copy is another mm, which no secondary MMU maps.
    act("cow zero page",
        child ? "mm/memory.c: do_wp_page (copy of the zero page, in the child's mm)"
              : "mm/memory.c: do_wp_page (wp_page_copy)",
        or_({eqv(pte_p, kPteZero), and_({eqv(pte_p, kPteZeroWp), b.not_(wp_reg)})}),
        seq({child ? b.skip() : zap_hook(ZapKind::Cow, p, 1), set(ptev, p, kPtePresent),
             set(memv, p, kTokZero), success(L(kTokZero))}));
  }

  // --- none, or a uffd-wp marker (treated as none; the new entry keeps wp)
  Id wpm = eqv(pte_p, kPteMarkerWp);
  Id wp_reg = registered(p, kModeWp);
  // pte_marker_handle_uffd_wp: the VMA is no longer wp-registered, so the
  // marker is cleared and the fault returns VM_FAULT_NOPAGE (retried).
  act("stale wp marker", "mm/memory.c: handle_pte_marker (pte_marker_clear)",
      and_({wpm, b.not_(wp_reg)}), set(ptev, p, kPteNone));
  Id missing_like = or_({eqv(pte_p, kPteNone), and_({wpm, wp_reg})});
  // The installed entry: with the wp marker it carries the uffd-wp bit (and
  // a write then faults again, on the write-protected entry).
  Id new_pte = b.ite(wpm, L(kPtePresentWp), L(kPtePresent));
  auto populate = [&](Id tok_after) -> Id {
    if (!write) return seq({b.assign(ptev, L(p), new_pte), success(tok_after)});
    Id was_marker = b.new_local();  // read before the entry is replaced
    return seq({b.let(was_marker, wpm), b.assign(ptev, L(p), new_pte),
                if_(b.local(was_marker), b.skip(), success(tok_after))});
  };
  if (!file) {
    const std::string fn = "mm/memory.c: do_anonymous_page";
    Id miss = registered(p, kModeMissing);
    act("missing", fn + uf + "(VM_UFFD_MISSING)", and_({missing_like, miss}),
        userfault(kReasonMissing));
    if (!write) {
      act("map zero page", fn + " (zero page)", and_({missing_like, b.not_(miss)}),
          seq({b.assign(ptev, L(p), b.ite(wpm, L(kPteZeroWp), L(kPteZero))), set(memv, p, kTokZero),
               success(L(kTokZero))}));
    } else {
      act("new page", fn + " (new zeroed page)", and_({missing_like, b.not_(miss)}),
          seq({set(memv, p, kTokZero), populate(L(kTokZero))}));
    }
  } else {
    const std::string fn =
        hugetlb ? "mm/hugetlb.c: hugetlb_no_page" : "mm/shmem.c: shmem_get_folio_gfp";
    Id cached = b.ne(mem_p, L(kTokAbsent));
    Id minor = registered(p, kModeMinor);
    Id miss = registered(p, kModeMissing);
    act("minor", fn + uf + "(VM_UFFD_MINOR)", and_({missing_like, cached, minor}),
        userfault(kReasonMinor));
    act("map page cache", fn + " (page cache hit) -> mm/memory.c: finish_fault",
        and_({missing_like, cached, b.not_(minor)}), populate(mem_p));
    act("missing", fn + uf + "(VM_UFFD_MISSING)", and_({missing_like, b.not_(cached), miss}),
        userfault(kReasonMissing));
    act("new page", fn + " (allocate a zeroed folio) -> mm/memory.c: finish_fault",
        and_({missing_like, b.not_(cached), b.not_(miss)}),
        seq({set(memv, p, kTokZero), populate(L(kTokZero))}));
  }

  // --- no VMA at the address: the region was unmapped, or a waiter woken
  // after mremap retries at the old address (lock_mm_and_find_vma fails).
  // User mode: bad_area -> SIGSEGV; uaccess: -EFAULT; MADV_POPULATE_*:
  // madvise finds no VMA first (-ENOMEM).
  if (!child) {
    Id gone = eqv(V(tv[t].ph), kPhGone);
    Id no_vma =
        or_({and_({at(t, i, kPhRun), b.not_(mapped(p))}), and_({eqv(V(tv[t].pc), i), gone})});
    // Only regions that munmap or mremap can take away need the step.
    bool moves = false;
    for (const ThreadSpec& th : s.threads) {
      for (const OpSpec& x : th.ops) {
        moves |= x.op == Op::Mremap && s.pages[x.page].region == s.pages[p].region;
      }
    }
    if (mapvar[s.pages[p].region] != kNoId || moves) {
      Value err = acc == Accessor::User ? kSigsegv : acc == Accessor::Syscall ? kEfault : kEnomem;
      action(actor, act_name(t, i, "no vma"),
             acc == Accessor::Gup ? "mm/madvise.c: madvise_walk_vmas (-ENOMEM)"
                                  : "arch/x86/mm/fault.c: lock_mm_and_find_vma -> bad_area",
             no_vma, finish(t, i, L(err)), o.loc);
    }
  }

  // --- handle_userfault steps 7-10: a released context returns
  // VM_FAULT_RETRY with the fault lock dropped (no message; the caller
  // retries the fault); otherwise link the waiter on fault_pending_wqh and
  // set the task state, all under the queue lock.
  if (c < 0 || child) return;
  action(actor, act_name(t, i, "link"),
         "fs/userfaultfd.c: handle_userfault (link on fault_pending_wqh)", at(t, i, kPhUfEnter),
         if_(released(c), seq({set(tv[t].ph, kPhRun), set(tv[t].wr, kReasonNone)}),
             seq({enqueue(c, t), set(tv[t].ph, kPhLinked)})),
         o.loc);

  // --- handle_userfault steps 11-14: must_wait with the fault lock still
  // held, release it, then sleep or return VM_FAULT_RETRY.
  Id wr = V(tv[t].wr);
  Id linked = in(V(tv[t].ph), {kPhLinked, kPhLinkedWoken});
  Id sleeps = and_({eqv(V(tv[t].ph), kPhLinked), must_wait(p, wr), b.not_(released(c))});
  action(actor, act_name(t, i, "must_wait"),
         std::string(hugetlb ? "fs/userfaultfd.c: userfaultfd_huge_must_wait"
                             : "fs/userfaultfd.c: userfaultfd_must_wait") +
             " -> handle_userfault (schedule or VM_FAULT_RETRY)",
         and_({eqv(V(tv[t].pc), i), linked}),
         if_(sleeps, seq({set(tv[t].ph, kPhSleep), set_reg(t, i, L(kBlocked))}),
             seq({dequeue(c, t), set(tv[t].ph, kPhRun), set(tv[t].wr, kReasonNone)})),
         o.loc);
}

}  // namespace fl::model::mm

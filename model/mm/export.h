#pragma once
// What the mm model hands to the KVM model (model/kvm) after it has
// elaborated a scenario: the resolved Spec, the ids of its state variables
// and actors, and every place where it wakes userfaultfd waiters or changes
// page-table entries (the hooks of gen.h), so that a vCPU whose memslot is
// backed by an mm region reuses the same page tables, page contents,
// registration and monitor instead of a second copy of the mm semantics.
//
// The view travels in the elaboration context: the mm extension leaves an
// MmState there (lang::ElabContext::set_state) and the KVM extension, which
// elaborates after it, reads it with view_of().  Nothing outlives the
// elaboration and nothing is keyed by an address.

#include <vector>

#include "model/lang/extension.h"
#include "model/mm/gen.h"

namespace fl::model::mm {

struct View {
  Spec spec;
  Id pte = kNoId, mem = kNoId, pz = kNoId, leak = kNoId;
  std::vector<Id> regvar;
  std::vector<Id> mapvar;
  std::vector<Gen::CtxVars> cv;
  std::vector<Gen::ThreadVars> tv;
  std::vector<Gen::MonVars> mv;
  // Every wake_userfault and every mmu-notifier invalidation the generator
  // emitted, with the actions that contain them (Gen::wake_sites,
  // Gen::zap_sites), and every action it created.
  std::vector<WakeSite> wake_sites;
  std::vector<ZapSite> zap_sites;
  std::vector<Id> actions;
};

// The mm extension's state for one elaboration: the built-in properties'
// expressions (in the order of its built-in list; kNoId = not applicable)
// and the view.
struct MmState : lang::ExtensionState {
  std::vector<Id> builtin_props;
  View view;
};

// The view of the scenario being elaborated with `ctx`, or null when the
// scenario has no mm declarations.
const View* view_of(const lang::ElabContext& ctx);

// The view of what `gen` has just built (a copy of its Spec, so that the
// view does not depend on the generator's lifetime).
View make_view(const Gen& gen);

// A Gen over builder `b` whose variable ids are those of `v`: its helpers
// (P, M, registered, mapped, must_wait, install, wake_range ...) then
// generate IR over the mm state that already exists.  `v` must outlive the
// result.
Gen attach(Builder& b, const View& v);

}  // namespace fl::model::mm

// The built-in properties (docs/model-kvm.md, "Properties").

#include "model/kvm/gen.h"

namespace fl::model::kvm {

void Gen::properties() {
  std::vector<Id> reported, finished, bounded, poison_mce, populated_only;
  for (size_t v = 0; v < s.vcpus.size(); ++v) {
    const VcpuVars& x = vv[v];
    const int vi = static_cast<int>(v);
    // fault-address-reported: no KVM_RUN ended in -EFAULT without a
    // memory-fault exit (the VMM cannot tell which page failed).  An MMIO
    // exit carries the gpa: reported.  poison-reaches-guest: an MMIO answer
    // (MMIO_READ) is not a machine check.
    reported.push_back(b.not_(and_({eqv(V(x.ph), kPhDead), eqv(V(x.exit), kExitEfault)})));
    finished.push_back(in(V(x.ph), {kPhDone, kPhDead}));
    if (x.spin != kNoId) bounded.push_back(b.lt(V(x.spin), L(3)));
    for (size_t i = 0; i < s.vcpus[v].ops.size(); ++i) {
      const int ii = static_cast<int>(i);
      const VcpuOp& o = op(vi, ii);
      const SlotSpec& sl = slot(o.gfn);
      bool poisoned = false;
      Value expected = mm::kTokSrc;
      if (via_gmem(vi, ii) && o.op != VOp::EmuRead) {
        int q = gmem_page(o.gfn);
        poisoned = s.gmems[sl.gmem].poisoned[q - s.gmems[sl.gmem].first];
      } else {
        int p = mm_page(o.gfn);
        poisoned = view->spec.pages[p].src == mm::Src::Poison;
        expected = view->spec.pages[p].src == mm::Src::Zero ? mm::kTokZero : mm::kTokSrc;
      }
      Id r = V(x.reg[i]);
      if (poisoned) poison_mce.push_back(eqv(r, mce));
      if (o.op == VOp::Write) continue;
      // Data other than the source's (or any data of a poisoned page).  The
      // VMM's answer to an MMIO read of RAM is never the source's data.
      Id data = in(r, {mm::kDataZero, mm::kDataSrc, mm::kDataStale, mmio_read});
      Id good = poisoned ? L(0) : eqv(r, expected + 2);
      populated_only.push_back(b.binary(BinaryOp::Implies, data, good));
    }
  }
  fault_address_reported = b.all(reported);
  no_vcpu_stuck = b.all(finished);
  no_vcpu_hang = b.all(finished);
  no_livelock = b.all(bounded);
  poison_reaches_guest = b.all(poison_mce);
  no_unpopulated_map = b.all(populated_only);
  std::vector<Id> unmapped;
  if (ufb != kNoId) {
    for (int g = 0; g < s.num_gfns; ++g) {
      if (s.slot_of[g] < 0 || !slot(g).userfault) continue;
      unmapped.push_back(or_({eqv(E(spte, g), kSpteNone), eqv(E(ufb, g), 0)}));
    }
  }
  no_userfault_page_mapped = b.all(unmapped);
}

}  // namespace fl::model::kvm

// The mm model's view for the KVM model (export.h).

#include "model/mm/export.h"

#include "model/mm/mm_extension.h"

namespace fl::model::mm {

const View* view_of(const lang::ElabContext& ctx) {
  const auto* st = dynamic_cast<const MmState*>(ctx.state(extension()));
  return st == nullptr ? nullptr : &st->view;
}

View make_view(const Gen& gen) {
  View v;
  v.spec = gen.s;
  v.pte = gen.pte;
  v.mem = gen.mem;
  v.pz = gen.pz;
  v.leak = gen.leak;
  v.regvar = gen.regvar;
  v.mapvar = gen.mapvar;
  v.cv = gen.cv;
  v.tv = gen.tv;
  v.mv = gen.mv;
  v.wake_sites = gen.wake_sites;
  v.zap_sites = gen.zap_sites;
  v.actions = gen.own_actions;
  return v;
}

Gen attach(Builder& b, const View& v) {
  Gen g(b, v.spec);
  g.pte = v.pte;
  g.mem = v.mem;
  g.pz = v.pz;
  g.leak = v.leak;
  g.regvar = v.regvar;
  g.mapvar = v.mapvar;
  g.cv = v.cv;
  g.tv = v.tv;
  g.mv = v.mv;
  return g;
}

}  // namespace fl::model::mm

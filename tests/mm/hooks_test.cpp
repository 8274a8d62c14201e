// The wake and zap hooks the mm generator records for the KVM model
// (model/mm/gen.h: WakeSite, ZapSite; model/mm/export.h: View).  KVM fills
// exactly the recorded hooks, so a wake or a zap that the generator emits
// without going through Gen::wake_range / Gen::zap_hook would be invisible
// to every vCPU.  These tests catch that from the other side: every mm
// action whose kernel function names a waking or zapping kernel function
// must contain a recorded hook of that kind.

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "model/lang/frontend.h"
#include "model/load/loader.h"
#include "model/mm/export.h"
#include "model/mm/mm_extension.h"
#include "tests/mm/mm_test_util.h"

namespace fl::model::mm::test {
namespace {

// The mm extension, plus a copy of the view it leaves in the elaboration
// context (the context, and with it the view, ends with the elaboration).
class CapturingMm final : public lang::Extension {
 public:
  mutable std::optional<View> view;
  std::string name() const override { return extension().name(); }
  std::vector<std::string> keywords() const override { return extension().keywords(); }
  std::unique_ptr<lang::ExtensionDecl> parse(lang::Cursor& c) const override {
    return extension().parse(c);
  }
  void elaborate(const std::vector<const lang::ExtensionDecl*>& decls,
                 lang::ElabContext& ctx) const override {
    extension().elaborate(decls, ctx);
    const View* v = view_of(ctx);
    if (v != nullptr) view = *v;
  }
  std::vector<std::string> variants() const override { return extension().variants(); }
  std::vector<std::pair<std::string, std::string>> builtin_properties() const override {
    return extension().builtin_properties();
  }
  void add_builtin_property(const std::string& n, const SourceLoc& loc,
                            lang::ElabContext& ctx) const override {
    extension().add_builtin_property(n, loc, ctx);
  }
};

// Kernel functions that wake userfaultfd waiters, and kernel functions
// that change page-table entries inside an mmu-notifier range.
const char* const kWakeFns[] = {"wake_userfault", "userfaultfd_wake", "wake all"};
const char* const kZapFns[] = {"zap_page_range_single",
                               "__unmap_hugepage_range",
                               "unmap_mapping_range",
                               "hugetlbfs_punch_hole",
                               "unmap_vmas",
                               "move_ptes",
                               "uffd_wp_range",
                               "mwriteprotect_range",
                               "move_pages_pte",
                               "wp_page_copy",
                               "change_protection"};

bool mentions(const std::string& fn, const char* const* names, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (fn.find(names[i]) != std::string::npos) return true;
  }
  return false;
}

template <class Site>
bool recorded(const std::vector<Site>& sites, Id action) {
  return std::any_of(sites.begin(), sites.end(), [&](const Site& s) {
    return std::find(s.actions.begin(), s.actions.end(), action) != s.actions.end();
  });
}

// Elaborates `sc` for `variant` and checks every mm action against the
// recorded sites.  Returns the number of actions checked.
size_t check_coverage(const lang::Scenario& sc, const CapturingMm& mm, const std::string& variant,
                      const std::string& what) {
  mm.view.reset();
  Model m = sc.elaborate(variant, {});
  if (!mm.view) return 0;
  const View& v = *mm.view;
  for (Id a : v.actions) {
    const Action& act = m.actions[a];
    const std::string where = what + " [" + variant + "] " + act.name + ": " + act.kernel_function;
    if (mentions(act.kernel_function, kWakeFns, std::size(kWakeFns))) {
      EXPECT_TRUE(recorded(v.wake_sites, a)) << "wake not recorded: " << where;
    }
    if (mentions(act.kernel_function, kZapFns, std::size(kZapFns))) {
      EXPECT_TRUE(recorded(v.zap_sites, a)) << "zap not recorded: " << where;
    }
  }
  for (const WakeSite& w : v.wake_sites) {
    EXPECT_FALSE(w.actions.empty()) << what;
    EXPECT_EQ(m.stmts[w.hook].kind, StmtKind::Seq) << what;
  }
  for (const ZapSite& z : v.zap_sites) EXPECT_FALSE(z.actions.empty()) << what;
  return v.actions.size();
}

std::vector<const lang::Extension*> extensions(const CapturingMm& mm) {
  std::vector<const lang::Extension*> out;
  for (const lang::Extension* e : kernel_extensions()) {
    out.push_back(e->name() == "mm" ? &mm : e);
  }
  return out;
}

TEST(Hooks, EveryWakeAndZapOfTheScenarioLibraryIsRecorded) {
  CapturingMm mm;
  size_t checked = 0;
  for (const char* dir : {"/scenarios/mm", "/scenarios/seeds"}) {
    for (const std::string& f : find_scenarios(std::string(FL_SOURCE_DIR) + dir)) {
      lang::Scenario sc = lang::Scenario::load(f, extensions(mm));
      for (const std::string& v : sc.info().variants) checked += check_coverage(sc, mm, v, f);
    }
  }
  EXPECT_GT(checked, 100u);
}

// One scenario with every operation that wakes or zaps, in every flavour
// the generator distinguishes.
const char* const kEveryOp = R"(
scenario every-op
uffd ctx features event-remove, event-unmap
uffd ctx2 features event-remap
region guest anon pages 2 uffd ctx missing wp
region file shmem pages 1 uffd ctx missing minor
region huge hugetlb pages 1 uffd ctx missing
region src anon pages 1
region moved anon pages 1 uffd ctx2 missing
region gone anon pages 1 uffd ctx missing
init src[0] = mapped
init guest[1] = mapped
monitor m on ctx { serve wake-after-eexist wake-on-remove }
thread a { r = read guest[0]; w = write guest[1]; z = write gone[0] }
thread b { copy guest[0]; move guest[1] from src[0]; wake guest[0]; writeprotect guest[1]
           unprotect guest[1]; zeropage guest[0] dontwake }
thread c { dontneed guest[0]; punch-hole file[0]; punch-hole huge[0]; guard-install guest[1] }
thread d { mremap moved; munmap gone; unregister guest; fork; close ctx }
)";

TEST(Hooks, EveryOperationThatWakesOrZapsIsRecorded) {
  CapturingMm mm;
  lang::Scenario sc = lang::Scenario::parse("every-op.fl", kEveryOp, extensions(mm));
  EXPECT_GT(check_coverage(sc, mm, "linux-6.18", "every-op"), 40u);
  const View& v = *mm.view;
  auto has_zap = [&](ZapKind k) {
    return std::any_of(v.zap_sites.begin(), v.zap_sites.end(),
                       [&](const ZapSite& z) { return z.kind == k; });
  };
  EXPECT_TRUE(has_zap(ZapKind::Zap));
  EXPECT_TRUE(has_zap(ZapKind::Protect));
  EXPECT_TRUE(has_zap(ZapKind::Unmap));
  EXPECT_TRUE(has_zap(ZapKind::Move));
  EXPECT_TRUE(has_zap(ZapKind::Cow));
  // The release's wake of everything is recorded as len < 0.
  EXPECT_TRUE(std::any_of(v.wake_sites.begin(), v.wake_sites.end(),
                          [](const WakeSite& w) { return w.len < 0; }));
}

TEST(Hooks, TheZapOfDontneedAfterRemoveIsSharedByBothPaths) {
  // The zap statement of MADV_DONTNEED sits in the REMOVE step (for an
  // unregistered range) and in the zap step after the event: one site, two
  // actions.
  CapturingMm mm;
  lang::Scenario sc = lang::Scenario::parse("remove.fl", R"(
scenario remove
uffd ctx features event-remove
region guest anon pages 1 uffd ctx missing
monitor m on ctx { serve }
thread t { dontneed guest[0] }
)",
                                            extensions(mm));
  check_coverage(sc, mm, "linux-6.18", "remove");
  ASSERT_EQ(mm.view->zap_sites.size(), 1u);
  EXPECT_EQ(mm.view->zap_sites[0].actions.size(), 2u);
}

}  // namespace
}  // namespace fl::model::mm::test

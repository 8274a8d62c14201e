#pragma once
// A public, stable description of a scenario's mm kernel declarations, for code that has to
// *execute* them rather than model them: the kernel shim's replayer (kernel-shim/replay.*) and
// the C reproducer generator.  It is produced from the same parse and the same resolution as
// the model (resolve() in parse.h), during the same elaboration, so the replay and the model can
// never disagree about what the scenario says.
//
// The description deliberately copies what it needs instead of exposing the generator's Spec:
// the generator's internals may change as the model grows (fork, mremap, events), while the
// replayer only needs the declarations as written.  An operation the description cannot name
// yet is kept with its verb, so a replayer can refuse it with a reason instead of guessing.

#include <string>
#include <utility>
#include <vector>

#include "model/ir.h"
#include "model/lang/extension.h"
#include "model/mm/defs.h"

namespace fl::model::mm {

struct DescContext {
  std::string name;
  std::vector<std::string> features;  // as written: "sigbus", "thread-id", "poison", ...
  bool user_mode_only = false;
};

struct DescRegion {
  std::string name;
  Mem mem = Mem::Anon;
  int pages = 1;
  int first_page = 0;  // global index of its page 0
  int ctx = -1;        // the registered context, -1 = not registered
  bool missing = false, wp = false, minor = false;
};

struct DescPage {
  int region = 0;
  int index = 0;  // within the region
  Src src = Src::Data;
  Init init = Init::None;
};

struct DescOp {
  Op op = Op::Read;
  std::string verb;  // op_name(op): "read", "copy", ...
  std::string reg;   // observation register, "" = none
  int page = 0;      // global index of the first page (unused by close)
  int len = 1;
  int ctx = -1;  // the userfaultfd an ioctl or close uses
  bool dontwake = false;
  bool wp = false;
  int src = -1;        // MOVE: global index of the first source page
  bool holes = false;  // MOVE: ALLOW_SRC_HOLES
  std::string text;    // "0:read guest[0]", as the model names the op's actions
};

struct DescThread {
  std::string name;
  bool child = false;  // runs in the child of the scenario's fork
  std::vector<DescOp> ops;
};

struct DescMonitor {
  std::string name;
  int ctx = 0;
  bool wake_after_eexist = false;
  bool forget_eagain = false;   // drop a message whose ioctl failed -EAGAIN (else retry it)
  bool wake_on_remove = false;  // UFFDIO_WAKE of the range after a REMOVE / UNMAP event
};

struct ScenarioDesc {
  bool has_mm = false;  // false: the scenario has no mm declarations at all
  std::vector<DescContext> contexts;
  std::vector<DescRegion> regions;
  std::vector<DescPage> pages;
  std::vector<DescThread> threads;
  std::vector<DescMonitor> monitors;
  Knobs knobs;
  std::string page_name(int page) const;
};

// The mm extension with one addition: while a DescCapture is alive on the calling thread, each
// elaboration also writes the scenario's description into it.  Parse a scenario with this
// extension in place of extension() (everything else is delegated unchanged).
const lang::Extension& describing_extension();

// Captures the description of the scenarios elaborated on this thread while it is alive.
class DescCapture {
 public:
  DescCapture();
  ~DescCapture();
  DescCapture(const DescCapture&) = delete;
  DescCapture& operator=(const DescCapture&) = delete;
  const ScenarioDesc& desc() const { return desc_; }
  ScenarioDesc take() { return std::move(desc_); }

 private:
  friend class DescribingExtension;
  ScenarioDesc desc_;
  DescCapture* previous_ = nullptr;
};

}  // namespace fl::model::mm

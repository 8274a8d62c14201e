#include "model/kvm/defs.h"

namespace fl::model::kvm {

const std::vector<std::string>& spte_labels() {
  static const std::vector<std::string> k = {"none", "4k", "huge"};
  return k;
}

const std::vector<std::string>& phase_labels() {
  static const std::vector<std::string> k = {"guest",     "gup",      "gmem",     "sync-gup",
                                             "uffd-wait", "install",  "exit",     "sigbus",
                                             "dead",      "apf-halt", "emulator", "done"};
  return k;
}

const std::vector<std::string>& exit_labels() {
  static const std::vector<std::string> k = {
#define FL_X(name, text) text,
      FL_KVM_EXITS(FL_X)
#undef FL_X
  };
  return k;
}

const std::vector<std::string>& kvm_variants() {
  static const std::vector<std::string> k = {"linux-6.18",
                                             "uffdio-sigbus-v1",
                                             "sigbus-queue-signal",
                                             "wake-mode-sigbus",
                                             "memory-fault-exit",
                                             "fast-gup-only-exit",
                                             "no-uffd-wait-flag",
                                             "apf-error-spin",
                                             "apf-error-exit-on-retry",
                                             "apf-error-request",
                                             "kvm-userfault-rfc",
                                             "kvm-userfault-no-4k",
                                             "kvm-userfault-clear-first",
                                             "exit-on-every-fault"};
  return k;
}

Knobs knobs_for_variant(const std::string& v) {
  Knobs k;
  if (v == "kvm-userfault-rfc" || v == "kvm-userfault-no-4k" || v == "kvm-userfault-clear-first" ||
      v == "exit-on-every-fault") {
    k.userfault = true;
    k.force_4k = v != "kvm-userfault-no-4k";
    k.clear_first = v == "kvm-userfault-clear-first";
    k.exit_every = v == "exit-on-every-fault";
  }
  // The designs discussed as fixes of the v1 marker keep its plain SIGBUS
  // and change what KVM makes of it.
  if (v == "uffdio-sigbus-v1" || v == "sigbus-queue-signal" || v == "memory-fault-exit") {
    k.marker_sigbus = true;
  }
  k.sigbus_queue = v == "sigbus-queue-signal";
  k.wake_sigbus = v == "wake-mode-sigbus";
  k.mf_exit = v == "memory-fault-exit";
  k.fast_gup_only = v == "fast-gup-only-exit";
  k.no_wait_flag = v == "no-uffd-wait-flag";
  k.apf_exit_retry = v == "apf-error-exit-on-retry";
  k.apf_request = v == "apf-error-request";
  return k;
}

}  // namespace fl::model::kvm

#include "model/variants.h"

namespace fl::model {

const std::vector<VariantInfo>& all_variants() {
  // `implemented` flips to true as the kernel model gains each variant's
  // overrides; `faultline list variants` prints this table.
  static const std::vector<VariantInfo> kVariants = {
      {"linux-6.18",
       "the baseline: mainline Linux 6.18 as read from its source and as the running kernel "
       "answers",
       "mainline", true},
      {"uffdio-sigbus-v1",
       "the poison marker makes a plain SIGBUS, which KVM turns into -EFAULT with no address",
       "Axel Rasmussen, UFFDIO_SIGBUS v1, May 2023", true},
      {"sigbus-queue-signal",
       "KVM_RUN queues a signal for any SIGBUS fault instead of returning -EFAULT",
       "James Houghton's review of UFFDIO_SIGBUS, option 1", true},
      {"wake-mode-sigbus",
       "no marker: every access faults to the handler, which wakes it with SIGBUS",
       "James Houghton's review of UFFDIO_SIGBUS, option 2", true},
      {"memory-fault-exit",
       "every -EFAULT from the stage-2 handler is reported with its gpa (KVM_EXIT_MEMORY_FAULT)",
       "Anish Moorthy, annotated -EFAULT exits", true},
      {"fast-gup-only-exit",
       "KVM tries only fast GUP and exits with the gpa instead of sleeping in userfaultfd",
       "Anish Moorthy, KVM_MEM_EXIT_ON_MISSING v5-v7", true},
      {"no-uffd-wait-flag", "a task flag makes handle_userfault return instead of sleeping",
       "demand-paging scalability discussion", true},
      {"apf-error-spin",
       "an async page fault that completes with an error is retried forever (mainline structure)",
       "Vivek Goyal 2020, problem statement", true},
      {"apf-error-exit-on-retry", "KVM remembers the error gfn and exits when the guest retries it",
       "Vivek Goyal, kvm,x86: Exit to user space in case page fault error, v4", true},
      {"apf-error-request", "KVM exits asynchronously through a request when async work fails",
       "Sean Christopherson's suggestion on Vivek Goyal's v4", true},
      {"kvm-userfault-rfc",
       "per-gfn userfault bitmap checked in the gfn->pfn step; mappings forced to 4K while on",
       "James Houghton, KVM Userfault v3, Jun 2025", true},
      {"kvm-userfault-no-4k", "kvm-userfault-rfc without forcing 4K mappings",
       "counterfactual of KVM Userfault", true},
      {"kvm-userfault-clear-first",
       "kvm-userfault-rfc, but the VMM clears the bit before populating the page",
       "counterfactual VMM protocol", true},
      {"exit-on-every-fault", "every fault during post-copy exits; KVM keeps the bitmap inside",
       "alternative to KVM Userfault", true},
  };
  return kVariants;
}

const VariantInfo* find_variant(const std::string& name) {
  for (const VariantInfo& v : all_variants()) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace fl::model

#pragma once
// Every kernel uapi value faultline needs that the build machine's system headers (Linux 6.1)
// may lack. Each definition is guarded with #ifndef so that newer system headers win, and each
// cites the kernel file it comes from. The values were read from the kernel's own uapi headers:
//   [UF] include/uapi/linux/userfaultfd.h  (linux-mm/linux-mm, mainline content up to v6.18;
//        the MINOR_ANON / DEACTIVATE bits that tree carries are an unmerged proposal and are
//        deliberately not defined here)
//   [KV] include/uapi/linux/kvm.h          (ColinIanKing/linux-next 022880fb; KVM_CAP 244 and
//        the GUEST_MEMFD_FLAG_* bits from the v6.18 tools/include/uapi/linux/kvm.h sync patch)
//   [KX] arch/x86/include/uapi/asm/kvm.h   (VM types)
//   [MM] include/uapi/asm-generic/mman-common.h (MADV_GUARD_* from commit "mm: add
//        PTE_MARKER_GUARD PTE marker" series, v6.13)
//   [SI] include/uapi/asm-generic/siginfo.h
// The static_asserts at the end pin every value, whether it came from the system header or from
// this file, against the literal read from the kernel source, so a wrong system header (or a typo
// here) fails the build instead of silently testing the wrong ioctl.

#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

// ---------------------------------------------------------------------------------------------
// userfaultfd [UF]
// ---------------------------------------------------------------------------------------------

// [UF] v6.1: ioctl on /dev/userfaultfd that returns a new userfaultfd.
#ifndef USERFAULTFD_IOC
#define USERFAULTFD_IOC 0xAA
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(USERFAULTFD_IOC, 0x00)
#endif

// [UF] userfaultfd(2) flag (v5.11).
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

// [UF] v6.4: uffd-wp applies to unpopulated (none) anon PTEs too.
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
// [UF] v6.6: UFFDIO_POISON is supported.
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)
#endif
// [UF] v6.7: write faults on wp-protected pages are resolved in the kernel.
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
// [UF] v6.8: UFFDIO_MOVE is supported.
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16)
#endif

// [UF] v6.6 (with WP on shmem/hugetlb minor faults): map the continued page write-protected.
#ifndef UFFDIO_CONTINUE_MODE_WP
#define UFFDIO_CONTINUE_MODE_WP ((__u64)1 << 1)
#endif

// [UF] ioctl numbers (the _UFFDIO_* command indexes).
#ifndef _UFFDIO_MOVE
#define _UFFDIO_MOVE (0x05)
#endif
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON (0x08)
#endif

// [UF] v6.6: struct uffdio_poison and UFFDIO_POISON. The struct and the ioctl are defined together
// because a system header that has one has the other.
#ifndef UFFDIO_POISON
struct uffdio_poison {
  struct uffdio_range range;
#define UFFDIO_POISON_MODE_DONTWAKE ((__u64)1 << 0)
  __u64 mode;
  __s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

// [UF] v6.8: struct uffdio_move and UFFDIO_MOVE.
#ifndef UFFDIO_MOVE
struct uffdio_move {
  __u64 dst;
  __u64 src;
  __u64 len;
#define UFFDIO_MOVE_MODE_DONTWAKE ((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
  __u64 mode;
  __s64 move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif

// ---------------------------------------------------------------------------------------------
// madvise [MM]
// ---------------------------------------------------------------------------------------------

// [MM] v5.14: prefault page tables readable / writable.
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
// [MM] v5.18: like DONTNEED but also for locked pages.
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
// [MM] v6.13: install / remove guard PTE markers.
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif
// [MM] (old) test-only poisoning; faultline never calls it on real pages.
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

// ---------------------------------------------------------------------------------------------
// signals [SI]
// ---------------------------------------------------------------------------------------------

// [SI] SIGBUS si_codes: ADRERR = 2, MCEERR_AR = 4 (hardware memory error, action required).
#ifndef BUS_ADRERR
#define BUS_ADRERR 2
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif
#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO 5
#endif
// include/uapi/asm-generic/errno.h: the errno GUP reports for a hardware-poisoned page.
#ifndef EHWPOISON
#define EHWPOISON 133
#endif

// ---------------------------------------------------------------------------------------------
// KVM [KV] [KX]
// ---------------------------------------------------------------------------------------------

// [KV] v6.8: exit reason for a failed memory access that KVM reports with its gpa.
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
#ifndef KVM_MEMORY_EXIT_FLAG_PRIVATE
#define KVM_MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)
#endif

// [KV] capability numbers faultline probes.
#ifndef KVM_CAP_ASYNC_PF
#define KVM_CAP_ASYNC_PF 59
#endif
#ifndef KVM_CAP_ASYNC_PF_INT
#define KVM_CAP_ASYNC_PF_INT 183
#endif
#ifndef KVM_CAP_EXIT_HYPERCALL
#define KVM_CAP_EXIT_HYPERCALL 201
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif
#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
#endif
// [KV] v6.18 (tools/include/uapi/linux/kvm.h sync): guest_memfd creation flags are reported.
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS 244
#endif

// [KV] memslot flag: the slot is backed by a guest_memfd (v6.8).
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD (1UL << 2)
#endif

// [KV] v6.8: KVM_SET_USER_MEMORY_REGION2 and its struct.
#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
  __u32 slot;
  __u32 flags;
  __u64 guest_phys_addr;
  __u64 memory_size;
  __u64 userspace_addr;
  __u64 guest_memfd_offset;
  __u32 guest_memfd;
  __u32 pad1;
  __u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif

// [KV] v6.8: KVM_SET_MEMORY_ATTRIBUTES and its struct.
#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
  __u64 address;
  __u64 size;
  __u64 attributes;
  __u64 flags;
};
#define KVM_SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#endif
#ifndef KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)
#endif

// [KV] v6.8: KVM_CREATE_GUEST_MEMFD and its struct.
#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
  __u64 size;
  __u64 flags;
  __u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
// [KV] v6.18: guest_memfd creation flags.
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP (1ULL << 0)
#endif
#ifndef GUEST_MEMFD_FLAG_INIT_SHARED
#define GUEST_MEMFD_FLAG_INIT_SHARED (1ULL << 1)
#endif

// [KV] v6.10: KVM_PRE_FAULT_MEMORY and its struct.
#ifndef KVM_PRE_FAULT_MEMORY
struct kvm_pre_fault_memory {
  __u64 gpa;
  __u64 size;
  __u64 flags;
  __u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY _IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif

// [KX] VM types accepted by KVM_CREATE_VM on x86 (bit n of KVM_CAP_VM_TYPES = type n).
#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM 0
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_SW_PROTECTED_VM 1
#endif

namespace fl::uapi {

// [KV] kvm_run.memory_fault: the 6.1 struct kvm_run has no such member, so this overlay is read
// at offsetof(struct kvm_run, mmio), where the exit-reason union starts.
struct KvmMemoryFault {
  __u64 flags;
  __u64 gpa;
  __u64 size;
};
inline constexpr std::size_t kKvmRunExitUnionOffset = offsetof(struct kvm_run, mmio);

}  // namespace fl::uapi

// ---------------------------------------------------------------------------------------------
// The values, pinned against the kernel source (see the header comment).
// ---------------------------------------------------------------------------------------------

static_assert(UFFD_API == 0xAA);
static_assert(UFFDIO == 0xAA);
static_assert(USERFAULTFD_IOC_NEW == 0xAA00);
static_assert(_UFFDIO_REGISTER == 0x00 && _UFFDIO_UNREGISTER == 0x01 && _UFFDIO_WAKE == 0x02);
static_assert(_UFFDIO_COPY == 0x03 && _UFFDIO_ZEROPAGE == 0x04 && _UFFDIO_MOVE == 0x05);
static_assert(_UFFDIO_WRITEPROTECT == 0x06 && _UFFDIO_CONTINUE == 0x07);
static_assert(_UFFDIO_POISON == 0x08 && _UFFDIO_API == 0x3F);
// Full ioctl request numbers (direction | size << 16 | type << 8 | nr).
static_assert(UFFDIO_API == 0xc018aa3fu);
static_assert(UFFDIO_REGISTER == 0xc020aa00u);
static_assert(UFFDIO_UNREGISTER == 0x8010aa01u);
static_assert(UFFDIO_WAKE == 0x8010aa02u);
static_assert(UFFDIO_COPY == 0xc028aa03u);
static_assert(UFFDIO_ZEROPAGE == 0xc020aa04u);
static_assert(UFFDIO_MOVE == 0xc028aa05u);
static_assert(UFFDIO_WRITEPROTECT == 0xc018aa06u);
static_assert(UFFDIO_CONTINUE == 0xc020aa07u);
static_assert(UFFDIO_POISON == 0xc020aa08u);
static_assert(UFFD_FEATURE_PAGEFAULT_FLAG_WP == (1 << 0) && UFFD_FEATURE_EVENT_FORK == (1 << 1));
static_assert(UFFD_FEATURE_EVENT_REMAP == (1 << 2) && UFFD_FEATURE_EVENT_REMOVE == (1 << 3));
static_assert(UFFD_FEATURE_MISSING_HUGETLBFS == (1 << 4) && UFFD_FEATURE_MISSING_SHMEM == (1 << 5));
static_assert(UFFD_FEATURE_EVENT_UNMAP == (1 << 6) && UFFD_FEATURE_SIGBUS == (1 << 7));
static_assert(UFFD_FEATURE_THREAD_ID == (1 << 8) && UFFD_FEATURE_MINOR_HUGETLBFS == (1 << 9));
static_assert(UFFD_FEATURE_MINOR_SHMEM == (1 << 10) && UFFD_FEATURE_EXACT_ADDRESS == (1 << 11));
static_assert(UFFD_FEATURE_WP_HUGETLBFS_SHMEM == (1 << 12));
static_assert(UFFD_FEATURE_WP_UNPOPULATED == (1 << 13) && UFFD_FEATURE_POISON == (1 << 14));
static_assert(UFFD_FEATURE_WP_ASYNC == (1 << 15) && UFFD_FEATURE_MOVE == (1 << 16));
static_assert(UFFDIO_REGISTER_MODE_MISSING == 1 && UFFDIO_REGISTER_MODE_WP == 2);
static_assert(UFFDIO_REGISTER_MODE_MINOR == 4);
static_assert(UFFDIO_COPY_MODE_DONTWAKE == 1 && UFFDIO_COPY_MODE_WP == 2);
static_assert(UFFDIO_ZEROPAGE_MODE_DONTWAKE == 1);
static_assert(UFFDIO_WRITEPROTECT_MODE_WP == 1 && UFFDIO_WRITEPROTECT_MODE_DONTWAKE == 2);
static_assert(UFFDIO_CONTINUE_MODE_DONTWAKE == 1 && UFFDIO_CONTINUE_MODE_WP == 2);
static_assert(UFFDIO_POISON_MODE_DONTWAKE == 1);
static_assert(UFFDIO_MOVE_MODE_DONTWAKE == 1 && UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES == 2);
static_assert(UFFD_EVENT_PAGEFAULT == 0x12 && UFFD_EVENT_FORK == 0x13);
static_assert(UFFD_EVENT_REMAP == 0x14 && UFFD_EVENT_REMOVE == 0x15 && UFFD_EVENT_UNMAP == 0x16);
static_assert(UFFD_PAGEFAULT_FLAG_WRITE == 1 && UFFD_PAGEFAULT_FLAG_WP == 2);
static_assert(UFFD_PAGEFAULT_FLAG_MINOR == 4);
static_assert(UFFD_USER_MODE_ONLY == 1);
static_assert(sizeof(struct uffd_msg) == 32);
static_assert(sizeof(struct uffdio_api) == 24 && sizeof(struct uffdio_register) == 32);
static_assert(sizeof(struct uffdio_copy) == 40 && offsetof(struct uffdio_copy, copy) == 32);
static_assert(sizeof(struct uffdio_zeropage) == 32);
static_assert(offsetof(struct uffdio_zeropage, zeropage) == 24);
static_assert(sizeof(struct uffdio_continue) == 32);
static_assert(offsetof(struct uffdio_continue, mapped) == 24);
static_assert(sizeof(struct uffdio_poison) == 32);
static_assert(offsetof(struct uffdio_poison, updated) == 24);
static_assert(sizeof(struct uffdio_move) == 40 && offsetof(struct uffdio_move, move) == 32);

static_assert(MADV_DONTNEED == 4 && MADV_REMOVE == 9 && MADV_HWPOISON == 100);
static_assert(MADV_POPULATE_READ == 22 && MADV_POPULATE_WRITE == 23);
static_assert(MADV_DONTNEED_LOCKED == 24);
static_assert(MADV_GUARD_INSTALL == 102 && MADV_GUARD_REMOVE == 103);

static_assert(BUS_ADRERR == 2 && BUS_MCEERR_AR == 4 && BUS_MCEERR_AO == 5);
static_assert(EHWPOISON == 133);

static_assert(KVMIO == 0xAE);
static_assert(KVM_EXIT_INTR == 10 && KVM_EXIT_MEMORY_FAULT == 39);
static_assert(KVM_MEMORY_EXIT_FLAG_PRIVATE == (1ULL << 3));
static_assert(KVM_CAP_ASYNC_PF == 59 && KVM_CAP_ASYNC_PF_INT == 183);
static_assert(KVM_CAP_EXIT_HYPERCALL == 201);
static_assert(KVM_CAP_USER_MEMORY2 == 231 && KVM_CAP_MEMORY_FAULT_INFO == 232);
static_assert(KVM_CAP_MEMORY_ATTRIBUTES == 233 && KVM_CAP_GUEST_MEMFD == 234);
static_assert(KVM_CAP_VM_TYPES == 235 && KVM_CAP_PRE_FAULT_MEMORY == 236);
static_assert(KVM_CAP_GUEST_MEMFD_FLAGS == 244);
static_assert(KVM_MEM_LOG_DIRTY_PAGES == 1 && KVM_MEM_READONLY == 2 && KVM_MEM_GUEST_MEMFD == 4);
static_assert(KVM_MEMORY_ATTRIBUTE_PRIVATE == (1ULL << 3));
static_assert(GUEST_MEMFD_FLAG_MMAP == 1 && GUEST_MEMFD_FLAG_INIT_SHARED == 2);
static_assert(KVM_X86_DEFAULT_VM == 0 && KVM_X86_SW_PROTECTED_VM == 1);
static_assert(sizeof(struct kvm_userspace_memory_region2) == 160);
static_assert(sizeof(struct kvm_memory_attributes) == 32);
static_assert(sizeof(struct kvm_create_guest_memfd) == 64);
static_assert(sizeof(struct kvm_pre_fault_memory) == 64);
static_assert(KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49u);
static_assert(KVM_SET_MEMORY_ATTRIBUTES == 0x4020aed2u);
static_assert(KVM_CREATE_GUEST_MEMFD == 0xc040aed4u);
static_assert(KVM_PRE_FAULT_MEMORY == 0xc040aed5u);
static_assert(KVM_GET_API_VERSION == 0xae00 && KVM_CHECK_EXTENSION == 0xae03);
static_assert(fl::uapi::kKvmRunExitUnionOffset == 32);

/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SELFTEST_KVM_UTIL_ARCH_H
#define SELFTEST_KVM_UTIL_ARCH_H

#include <linux/types.h>

struct kvm_mmu_arch {};

/*
 * prtb: guest physical address of the process table (one 4K page; entry 0,
 * for PID 0, points at vm->mmu.pgd, the radix tree of every test mapping).
 */
struct kvm_vm_arch {
	u64 prtb;
};

#endif  // SELFTEST_KVM_UTIL_ARCH_H

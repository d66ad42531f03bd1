/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SELFTEST_KVM_UTIL_ARCH_H
#define SELFTEST_KVM_UTIL_ARCH_H

#include <linux/types.h>

struct kvm_mmu_arch {};

/*
 * vm->mmu.pgd is a radix tree of every mapping the test makes. A radix
 * guest's MMU walks it: prtb is then its process table (one 4K page; entry
 * 0, PID 0's, points at the tree). A hash guest's MMU does not: each
 * mapping also goes into the hashed page table (HPT) KVM allocated with
 * 2^hpt_order bytes, through htab_fd (KVM_PPC_GET_HTAB_FD, for writing);
 * hpt_v mirrors the first doubleword of its entries, to find free slots.
 */
struct kvm_vm_arch {
	bool hash;
	u64 prtb;
	int htab_fd;
	unsigned int hpt_order;
	u64 *hpt_v;
};

#endif  // SELFTEST_KVM_UTIL_ARCH_H

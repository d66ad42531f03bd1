/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SELFTEST_KVM_UCALL_H
#define SELFTEST_KVM_UCALL_H

#include "kvm_util.h"
#include "hcall.h"

/*
 * A ucall is an hcall KVM does not implement: it exits to userspace as
 * KVM_EXIT_PAPR_HCALL with the struct ucall's address in r4.
 */
#define UCALL_EXIT_REASON	KVM_EXIT_PAPR_HCALL

static inline void ucall_arch_init(struct kvm_vm *vm, gpa_t mmio_gpa)
{
}

static inline void ucall_arch_do_ucall(gva_t uc)
{
	hcall1(H_KVM_SELFTEST_UCALL, uc);
}

#endif

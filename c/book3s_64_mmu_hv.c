// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-hv's book3s_64_mmu_hv.c, compiled into kvm_hv_rs.ko, and the batch
 * HPTE entry of the Rust VRMA set-up (see c/book3s_hv.c).
 */
#include <book3s_64_mmu_hv.c>

#include "kvm_hv_rs.h"

/*
 * kvm_hv_rs computes the VRMA's bolted HPTEs itself and hands them over in
 * batches, one call out of the module per batch rather than per HPTE.
 * Enters hptes[0..n) with H_EXACT, as kvmppc_map_vrma() does through
 * kvmppc_virtmode_do_h_enter(), but with preemption disabled once for the
 * batch rather than around each entry; stops at the first failure: returns
 * H_SUCCESS, or the failure's return value with the entry's position in
 * *failed.
 */
long kvmhv_rs_enter_hptes(struct kvm *kvm, const struct kvmhv_hpte *hptes,
		       unsigned long n, unsigned long *failed)
{
	pgd_t *pgdir = kvm->mm->pgd;
	unsigned long i, idx;
	long ret = H_SUCCESS;

	preempt_disable();
	for (i = 0; i < n; i++) {
		ret = kvmppc_do_h_enter(kvm, H_EXACT, hptes[i].index, hptes[i].v,
					hptes[i].r, pgdir, false, &idx);
		if (ret != H_SUCCESS)
			break;
	}
	preempt_enable();
	if (ret == H_SUCCESS)
		return H_SUCCESS;
	if (ret == H_TOO_HARD) {
		/* As in kvmppc_virtmode_do_h_enter(): this can't happen. */
		pr_err("KVM: Oops, kvmppc_h_enter returned too hard!\n");
		ret = H_RESOURCE;
	}
	*failed = i;
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * ucall support: the guest's ucall is an hcall KVM leaves to userspace.
 */
#include "kvm_util.h"
#include "ucall.h"

void *ucall_arch_get_ucall(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason == KVM_EXIT_PAPR_HCALL &&
	    run->papr_hcall.nr == H_KVM_SELFTEST_UCALL) {
		run->papr_hcall.ret = H_SUCCESS;
		return (void *)run->papr_hcall.args[0];
	}
	return NULL;
}

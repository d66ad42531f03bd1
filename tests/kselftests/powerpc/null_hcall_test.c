// SPDX-License-Identifier: GPL-2.0-only
/*
 * null_hcall_test: a loop of hcalls KVM does not implement. Each one exits
 * to userspace as KVM_EXIT_PAPR_HCALL with its number and arguments; the
 * return code userspace sets comes back to the guest in r3.
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define NR_CALLS	1000

static void guest_code(void)
{
	unsigned long out[3];
	long ret;
	int i;

	for (i = 0; i < NR_CALLS; i++) {
		ret = hcall_ret(H_KVM_SELFTEST_NULL, i, 2 * i, 3 * i, out);
		GUEST_ASSERT_EQ(ret, 7 * i + 1);
		/* r4..r6 are the guest's own arguments back: KVM did not touch them. */
		GUEST_ASSERT_EQ(out[0], i);
		GUEST_ASSERT_EQ(out[1], 2 * i);
		GUEST_ASSERT_EQ(out[2], 3 * i);
	}
	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int calls = 0;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_PAPR_HCALL &&
		    vcpu->run->papr_hcall.nr == H_KVM_SELFTEST_NULL) {
			struct kvm_run *run = vcpu->run;

			TEST_ASSERT_EQ(run->papr_hcall.args[0], calls);
			TEST_ASSERT_EQ(run->papr_hcall.args[1], 2 * calls);
			TEST_ASSERT_EQ(run->papr_hcall.args[2], 3 * calls);
			run->papr_hcall.ret = 7 * calls + 1;
			calls++;
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			TEST_ASSERT_EQ(calls, NR_CALLS);
			pr_info("%d null hcalls\n", calls);
			kvm_vm_free(vm);
			return 0;
		default:
			TEST_FAIL("Unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

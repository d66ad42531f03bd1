// SPDX-License-Identifier: GPL-2.0-only
/*
 * smp_test: several vcpus of one VM run at once, each in its own thread.
 * They add to one counter with larx/stcx. and wait for each other on it,
 * so the test only ends if every vcpu really runs, and the sum proves that
 * no update was lost.
 */
#include <pthread.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define NR_VCPUS	4
#define ADDS		1000

static u64 counter;

static void guest_code(u64 id)
{
	int i;

	for (i = 0; i < ADDS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	/* Everyone's adds are in before anyone finishes. */
	while (__atomic_load_n(&counter, __ATOMIC_ACQUIRE) < NR_VCPUS * ADDS)
		cpu_relax();
	GUEST_SYNC2(id, __atomic_load_n(&counter, __ATOMIC_RELAXED));
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;
	bool synced = false;

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT_EQ(uc.args[0], vcpu->id);
			TEST_ASSERT_EQ(uc.args[1], NR_VCPUS * ADDS);
			synced = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			TEST_ASSERT(synced, "vcpu %u finished without its sync", vcpu->id);
			return NULL;
		default:
			TEST_FAIL("vcpu %u: unexpected exit: %s", vcpu->id,
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	struct kvm_vm *vm;
	int i;

	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_args_set(vcpus[i], 1, (u64)i);
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	}
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i], NULL);
	TEST_ASSERT_EQ(*(u64 *)addr_gva2hva(vm, (gva_t)&counter), NR_VCPUS * ADDS);
	kvm_vm_free(vm);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * decrementer_test: the guest's decrementer interrupt (0x900) arrives when
 * DEC goes negative with MSR[EE] set, not before, and at the instruction
 * the guest was running: SRR1 holds the interrupted MSR, EE included.
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define ROUNDS		10
#define DEC_SHORT	2000		/* timebase ticks */
#define DEC_FAR		0x7fffffffUL
#define WAIT_TICKS	(512UL << 20)	/* 1 s at 512 MHz: far beyond DEC_SHORT */

/* Written by the handler; every wait loop below has a compiler barrier. */
static int ticks;
static u64 last_msr;
static u64 last_vector;

static void dec_handler(struct ex_regs *regs)
{
	mtspr(SPRN_DEC, DEC_FAR);
	last_msr = regs->msr;
	last_vector = regs->vector;
	ticks++;
}

static void wait_ticks(int want)
{
	u64 start = mftb();

	while (READ_ONCE(ticks) < want && mftb() - start < WAIT_TICKS)
		cpu_relax();
}

static void guest_code(void)
{
	u64 start;
	int i;

	mtspr(SPRN_DEC, DEC_FAR);
	for (i = 1; i <= ROUNDS; i++) {
		local_irq_enable();
		mtspr(SPRN_DEC, DEC_SHORT);
		wait_ticks(i);
		GUEST_ASSERT_EQ(ticks, i);
		GUEST_ASSERT_EQ(last_vector, EXC_DECREMENTER);
		GUEST_ASSERT(last_msr & MSR_EE);
		GUEST_ASSERT(last_msr & MSR_IR);
		GUEST_ASSERT(!(mfmsr() & MSR_PR));
	}

	/* Masked: DEC expires with EE clear and nothing arrives... */
	local_irq_disable();
	mtspr(SPRN_DEC, DEC_SHORT);
	start = mftb();
	while (mftb() - start < 4 * DEC_SHORT)
		cpu_relax();
	GUEST_ASSERT_EQ(ticks, ROUNDS);
	/* ...until EE is set: then at once. */
	local_irq_enable();
	wait_ticks(ROUNDS + 1);
	GUEST_ASSERT_EQ(ticks, ROUNDS + 1);
	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_vector_tables(vm);
	vm_install_exception_handler(vm, EXC_DECREMENTER, dec_handler);

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_DONE:
		break;
	default:
		TEST_FAIL("Unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
	}
	kvm_vm_free(vm);
	return 0;
}

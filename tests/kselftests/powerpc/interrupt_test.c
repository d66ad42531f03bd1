// SPDX-License-Identifier: GPL-2.0-only
/*
 * interrupt_test: interrupts reach the guest's vectors with the state the
 * architecture promises, whether the hardware delivers them (trap, system
 * call, storage interrupts of a radix guest) or KVM reflects or injects
 * them (an illegal instruction comes to KVM as a hypervisor emulation
 * assistance interrupt and goes to the guest as a program interrupt; an
 * external interrupt comes from KVM_INTERRUPT).
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define UNMAPPED_GVA	0x7ff000000000UL
#define DEC_FAR		0x7fffffffUL
#define WAIT_TICKS	(512UL << 20)	/* 1 s at 512 MHz */
#define SYNC_RAISE_EXT	1

struct seen {
	u64 vector;
	u64 nia;
	u64 msr;
	u64 dar;
	u64 dsisr;
	int count;
};

/* Written by the handlers; each interrupt's asm is a compiler barrier. */
static struct seen seen;

static void record(struct ex_regs *regs)
{
	seen.vector = regs->vector;
	seen.nia = regs->nia;
	seen.msr = regs->msr;
	seen.dar = regs->dar;
	seen.dsisr = regs->dsisr;
	seen.count++;
}

/* Program, DSI: record, then resume after the faulting instruction. */
static void skip_handler(struct ex_regs *regs)
{
	record(regs);
	regs->nia += 4;
}

/* ISI: the faulting "instruction" was a call; return to its caller. */
static void isi_handler(struct ex_regs *regs)
{
	record(regs);
	regs->nia = regs->lr;
}

/* sc: SRR0 is the instruction after it already. */
static void syscall_handler(struct ex_regs *regs)
{
	record(regs);
}

/* External: tell the host, which lowers the line before we return. */
static void external_handler(struct ex_regs *regs)
{
	record(regs);
	GUEST_SYNC(EXC_EXTERNAL);
}

/* The decrementer is not under test: keep it quiet. */
static void dec_handler(struct ex_regs *regs)
{
	mtspr(SPRN_DEC, DEC_FAR);
}

extern char trap_insn[], illegal_insn[], sc_insn[], load_insn[], store_insn[];

static void guest_code(void)
{
	void (*nowhere)(void) = (void *)UNMAPPED_GVA;
	int count = 0;
	u64 start;

	mtspr(SPRN_DEC, DEC_FAR);
	/* Trap: a program interrupt with SRR1[TRAP], at the tw. */
	asm volatile("trap_insn: tw 31, 0, 0" ::: "memory");
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_PROGRAM);
	GUEST_ASSERT_EQ(seen.nia, (u64)trap_insn);
	GUEST_ASSERT(seen.msr & SRR1_PROGTRAP);
	GUEST_ASSERT(!(seen.msr & SRR1_PROGILL));

	/* Illegal instruction: reflected by KVM with SRR1[ILL]. */
	asm volatile("illegal_insn: .long 0" ::: "memory");
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_PROGRAM);
	GUEST_ASSERT_EQ(seen.nia, (u64)illegal_insn);
	GUEST_ASSERT(seen.msr & SRR1_PROGILL);
	GUEST_ASSERT(!(seen.msr & SRR1_PROGTRAP));
	GUEST_ASSERT(seen.msr & MSR_SF);
	GUEST_ASSERT(seen.msr & MSR_IR);

	/* System call: 0xc00, SRR0 after the sc. */
	asm volatile("sc_insn: sc" ::: "memory", "r0", "r3", "r4", "r5", "r6", "r7",
		     "r8", "r9", "r10", "r11", "r12", "ctr", "cr0");
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_SYSCALL);
	GUEST_ASSERT_EQ(seen.nia, (u64)sc_insn + 4);

	/* Load from an address without a translation: DSI, DAR, DSISR. */
	asm volatile("load_insn: ld 0, 0(%0)" : : "b"(UNMAPPED_GVA + 0x18) : "r0", "memory");
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_DATA_STORAGE);
	GUEST_ASSERT_EQ(seen.nia, (u64)load_insn);
	GUEST_ASSERT_EQ(seen.dar, UNMAPPED_GVA + 0x18);
	GUEST_ASSERT(seen.dsisr & DSISR_NOPTE);
	GUEST_ASSERT(!(seen.dsisr & DSISR_ISSTORE));

	/* A store there: the same, with DSISR[ST]. */
	asm volatile("store_insn: std %1, 0(%0)" : : "b"(UNMAPPED_GVA + 0x20), "r"(1UL) : "memory");
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_DATA_STORAGE);
	GUEST_ASSERT_EQ(seen.nia, (u64)store_insn);
	GUEST_ASSERT_EQ(seen.dar, UNMAPPED_GVA + 0x20);
	GUEST_ASSERT(seen.dsisr & DSISR_NOPTE);
	GUEST_ASSERT(seen.dsisr & DSISR_ISSTORE);

	/* A call to an address without a translation: ISI at that address. */
	nowhere();
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_INST_STORAGE);
	GUEST_ASSERT_EQ(seen.nia, UNMAPPED_GVA);
	GUEST_ASSERT(seen.msr & DSISR_NOPTE);	/* SRR1 bit 33, as DSISR's */

	/* External interrupt: the host raises it while EE is clear... */
	local_irq_disable();
	GUEST_SYNC(SYNC_RAISE_EXT);
	GUEST_ASSERT_EQ(seen.count, count);
	/*
	 * ...and arrives once EE is set. KVM asks for it with LPCR[MER]
	 * when EE is clear at entry; whether it then comes at the mtmsrd or
	 * at the vcpu's next entry is the platform's business (QEMU: the
	 * latter), so wait for it up to a second.
	 */
	local_irq_enable();
	start = mftb();
	while (READ_ONCE(seen.count) == count && mftb() - start < WAIT_TICKS)
		cpu_relax();
	GUEST_ASSERT_EQ(seen.count, ++count);
	GUEST_ASSERT_EQ(seen.vector, EXC_EXTERNAL);
	GUEST_ASSERT(seen.msr & MSR_EE);

	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	struct kvm_interrupt irq;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_vector_tables(vm);
	vm_install_exception_handler(vm, EXC_PROGRAM, skip_handler);
	vm_install_exception_handler(vm, EXC_DATA_STORAGE, skip_handler);
	vm_install_exception_handler(vm, EXC_INST_STORAGE, isi_handler);
	vm_install_exception_handler(vm, EXC_SYSCALL, syscall_handler);
	vm_install_exception_handler(vm, EXC_EXTERNAL, external_handler);
	vm_install_exception_handler(vm, EXC_DECREMENTER, dec_handler);

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_RAISE_EXT) {
				irq.irq = KVM_INTERRUPT_SET;
				vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
			} else {
				TEST_ASSERT_EQ(uc.args[1], EXC_EXTERNAL);
				irq.irq = KVM_INTERRUPT_UNSET;
				vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
			}
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			kvm_vm_free(vm);
			return 0;
		default:
			TEST_FAIL("Unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

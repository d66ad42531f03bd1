// SPDX-License-Identifier: GPL-2.0
/*
 * interrupts - interrupts the host delivers to an HV guest.
 *
 * For each guest MMU mode the host offers, a real-mode guest whose code at
 * CODE_ADDR makes one hcall (H_READY) that exits to userspace, and whose
 * interrupt vectors report the interrupt with SRR0 and SRR1 (vmtest.h).
 * Before each KVM_RUN userspace puts the vcpu back at CODE_ADDR, with or
 * without MSR_EE, and raises or lowers its external interrupt line with
 * KVM_INTERRUPT. The next exit tells whether the host delivered an
 * interrupt before entering the guest (kvmppc_core_prepare_to_enter), and
 * with which registers (kvmppc_inject_interrupt_hv):
 *
 *   ext_oneshot      KVM_INTERRUPT_SET with EE on: delivered at 0x500 with
 *                    SRR0 = CODE_ADDR, SRR1 = the MSR, MSR = the vcpu's
 *                    interrupt MSR; delivered once only
 *   ext_masked       KVM_INTERRUPT_SET_LEVEL with EE off: not delivered
 *                    until EE is set
 *   ext_level        a level stays raised: delivered at every entry with
 *                    EE on, until KVM_INTERRUPT_UNSET
 *   program_illegal  an illegal instruction: the host emulation assist
 *                    reaches KVM, which delivers a program interrupt with
 *                    SRR1_PROGILL and SRR0 at the instruction
 *   cede_dec         H_CEDE with the decrementer 2 ms away: the vcpu
 *                    sleeps in the host until the decrementer's timer wakes
 *                    it, then takes 0x900 right after its sc, with the
 *                    MSR[EE] that H_CEDE set in SRR1
 *   cede_signal      H_CEDE with the decrementer far away: the vcpu sleeps
 *                    until a signal ends KVM_RUN with EINTR and
 *                    KVM_EXIT_INTR; run again, it returns from H_CEDE
 *                    (r3 = H_SUCCESS) and goes on
 *   xirr_no_irqchip  H_XIRR without an in-kernel interrupt controller: the
 *                    entry's early XICS handling leaves it (H_TOO_HARD) and
 *                    it reaches userspace as KVM_EXIT_PAPR_HCALL
 *
 * Output is KTAP, indented as a subtest of the harness's KTAP.
 *
 * Usage: interrupts NAME
 */
#include "vmtest.h"

#define ILLEGAL_ADDR	(CODE_ADDR + 0x100)
#define CEDE_ADDR	(CODE_ADDR + 0x200)
#define XIRR_ADDR	(CODE_ADDR + 0x300)
#define H_XIRR		0x74
#define DEC_SOON	0x100000UL	/* 2 ms at 512 MHz */
#define SRR1_PROGILL	0x00080000UL
#define SRR1_MSR_BITS	(~0x783f0000UL)
#define TESTS_PER_MMU	7

/*
 * Under the nested API v2 kvm-hv does not deliver a pending external
 * interrupt itself: it passes LPCR[MER] to the L0 (kvmhv_run_single_vcpu(),
 * kvmppc_book3s_irqprio_deliver()) and cannot tell whether the L2 took it.
 * A one-shot interrupt (KVM_INTERRUPT_SET) then stays pending, and is taken
 * again at each entry with EE on until KVM_INTERRUPT_UNSET, as a level one
 * is. Both modules run that C; the step checks that it is so.
 */
#define ONESHOT_V2	"known: under the nested API v2 a one-shot external interrupt is " \
			"delivered again until KVM_INTERRUPT_UNSET (kvm-hv passes LPCR[MER] " \
			"to the L0 and cannot tell when the guest took it)"

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p++ = b(0);
	mem[ILLEGAL_ADDR / 4] = 0;	/* not an instruction */

	write_cede(mem + CEDE_ADDR / 4);

	p = mem + XIRR_ADDR / 4;
	*p++ = li(3, H_XIRR);
	*p++ = SC1;
	*p++ = b(0);
}

/* Puts the vcpu at `pc` with MSR = GUEST_MSR | `msr_extra`, DEC `dec` away. */
static int set_entry(struct vm *v, uint64_t pc, uint64_t msr_extra, uint64_t dec)
{
	return vcpu_place(v->vcpu, pc, GUEST_MSR | msr_extra, dec);
}

static int irq_line(struct vm *v, unsigned int how)
{
	struct kvm_interrupt irq = { .irq = how };

	return ioctl(v->vcpu, KVM_INTERRUPT, &irq);
}

/*
 * Runs the vcpu from `pc` with MSR = GUEST_MSR | `msr_extra` and the
 * decrementer `dec` ticks away; on its hcall exit, checks that the guest
 * took the interrupt at `vec` (0: none, the guest's own H_READY) with SRR0
 * `srr0` and SRR1 `srr1`, and that its handler runs in the interrupt MSR
 * (EE off).
 */
static void expect_at(struct verdict *vd, struct vm *v, const char *step, uint64_t pc,
		      uint64_t msr_extra, uint64_t dec, unsigned int vec, uint64_t srr0,
		      uint64_t srr1)
{
	uint64_t *a = v->run->papr_hcall.args, want_nr = vec ? H_VECTOR + vec : H_READY;
	int r;

	if (set_entry(v, pc, msr_extra, dec)) {
		fail(vd, "%s: KVM_SET_REGS: %s", step, strerror(errno));
		return;
	}
	r = run(v);
	if (r) {
		fail(vd, "%s: KVM_RUN: %s (exit_reason %u)", step, strerror(-r), v->run->exit_reason);
		return;
	}
	if (v->run->exit_reason != KVM_EXIT_PAPR_HCALL) {
		fail(vd, "%s: exit_reason %u, want KVM_EXIT_PAPR_HCALL", step, v->run->exit_reason);
		return;
	}
	if (v->run->papr_hcall.nr != want_nr) {
		fail(vd, "%s: hcall 0x%llx (r4 0x%llx), want 0x%llx", step,
		     (unsigned long long)v->run->papr_hcall.nr, (unsigned long long)a[0],
		     (unsigned long long)want_nr);
		return;
	}
	if (!vec)
		return;
	/* The vector passes r4 = vector, r5 = SRR0, r6 = SRR1, r7 = MSR. */
	if (a[1] != srr0)
		fail(vd, "%s: SRR0 0x%llx, want 0x%llx", step, (unsigned long long)a[1],
		     (unsigned long long)srr0);
	if (a[2] != srr1)
		fail(vd, "%s: SRR1 0x%llx, want 0x%llx", step, (unsigned long long)a[2],
		     (unsigned long long)srr1);
	if (a[3] != GUEST_MSR)
		fail(vd, "%s: MSR in the handler 0x%llx, want 0x%llx", step,
		     (unsigned long long)a[3], (unsigned long long)GUEST_MSR);
}

/*
 * expect_at() with the decrementer out of the way, for an interrupt taken
 * at entry: SRR1 is the entry MSR's SRR1 bits plus `srr1_flags`.
 */
static void expect(struct verdict *vd, struct vm *v, const char *step, uint64_t pc,
		   uint64_t msr_extra, unsigned int vec, uint64_t srr0, uint64_t srr1_flags)
{
	expect_at(vd, v, step, pc, msr_extra, DEC_FAR, vec, srr0,
		  ((GUEST_MSR | msr_extra) & SRR1_MSR_BITS) | srr1_flags);
}

/* H_CEDE, asleep until a signal: EINTR, then the guest goes on. */
static void cede_signal(struct verdict *vd, struct vm *v)
{
	uint64_t *a = v->run->papr_hcall.args;
	int r;

	if (set_entry(v, CEDE_ADDR, 0, DEC_FAR)) {
		fail(vd, "KVM_SET_REGS: %s", strerror(errno));
		return;
	}
	r = run_for(v, 200);
	if (r != -EINTR || v->run->exit_reason != KVM_EXIT_INTR) {
		fail(vd, "ceded, signalled: KVM_RUN %d (%s), exit_reason %u; want EINTR, KVM_EXIT_INTR",
		     r, r ? strerror(-r) : "no error", v->run->exit_reason);
		return;
	}
	r = run(v);
	if (r || v->run->exit_reason != KVM_EXIT_PAPR_HCALL || v->run->papr_hcall.nr != H_READY)
		fail(vd, "run again: KVM_RUN %d, exit_reason %u, hcall 0x%llx; want H_READY", r,
		     v->run->exit_reason, (unsigned long long)v->run->papr_hcall.nr);
	else if (a[0] != 0)
		fail(vd, "run again: H_CEDE returned 0x%llx, want H_SUCCESS",
		     (unsigned long long)a[0]);
}

static void xirr_no_irqchip(struct verdict *vd, struct vm *v)
{
	int r;

	if (set_entry(v, XIRR_ADDR, 0, DEC_FAR)) {
		fail(vd, "KVM_SET_REGS: %s", strerror(errno));
		return;
	}
	r = run(v);
	if (r || v->run->exit_reason != KVM_EXIT_PAPR_HCALL || v->run->papr_hcall.nr != H_XIRR)
		fail(vd, "KVM_RUN %d, exit_reason %u, hcall 0x%llx; want H_XIRR to userspace", r,
		     v->run->exit_reason, (unsigned long long)v->run->papr_hcall.nr);
}

static void test_mmu(int kvm, enum mmu mmu, const char *skip)
{
	static const char *const names[TESTS_PER_MMU] = {
		"ext_oneshot", "ext_masked", "ext_level", "program_illegal",
		"cede_dec", "cede_signal", "xirr_no_irqchip",
	};
	struct verdict vd[TESTS_PER_MMU] = { 0 };
	struct vm v = VM_INIT(kvm);
	int nestedv2 = host_nestedv2();
	char t[64];
	int i;

	for (i = 0; skip && i < TESTS_PER_MMU; i++) {
		snprintf(t, sizeof(t), "%s_%s", mmu_name[mmu], names[i]);
		result(1, t, skip);
	}
	if (skip)
		return;
	if (vm_create(&v, mmu, 1, write_guest)) {
		for (i = 0; i < TESTS_PER_MMU; i++)
			fail(&vd[i], "no VM");
		goto out;
	}
	/* Runs once first, so that an HPT guest's MMU is set up. */
	expect(&vd[0], &v, "first run", CODE_ADDR, 0, 0, 0, 0);

	if (irq_line(&v, KVM_INTERRUPT_SET))
		fail(&vd[0], "KVM_INTERRUPT_SET: %s", strerror(errno));
	expect(&vd[0], &v, "oneshot, EE on", CODE_ADDR, MSR_EE, 0x500, CODE_ADDR, 0);
	if (nestedv2)
		expect(&vd[0], &v, "oneshot, again (nested v2)", CODE_ADDR, MSR_EE, 0x500,
		       CODE_ADDR, 0);
	else
		expect(&vd[0], &v, "oneshot, again", CODE_ADDR, MSR_EE, 0, 0, 0);

	if (irq_line(&v, KVM_INTERRUPT_SET_LEVEL))
		fail(&vd[1], "KVM_INTERRUPT_SET_LEVEL: %s", strerror(errno));
	expect(&vd[1], &v, "level, EE off", CODE_ADDR, 0, 0, 0, 0);
	expect(&vd[1], &v, "level, then EE on", CODE_ADDR, MSR_EE, 0x500, CODE_ADDR, 0);

	expect(&vd[2], &v, "level, again", CODE_ADDR, MSR_EE, 0x500, CODE_ADDR, 0);
	if (irq_line(&v, KVM_INTERRUPT_UNSET))
		fail(&vd[2], "KVM_INTERRUPT_UNSET: %s", strerror(errno));
	expect(&vd[2], &v, "lowered", CODE_ADDR, MSR_EE, 0, 0, 0);

	expect(&vd[3], &v, "illegal instruction", ILLEGAL_ADDR, 0, 0x700, ILLEGAL_ADDR,
	       SRR1_PROGILL);

	expect_at(&vd[4], &v, "cede", CEDE_ADDR, 0, DEC_SOON, 0x900, CEDE_ADDR + 8,
		  (GUEST_MSR | MSR_EE) & SRR1_MSR_BITS);
	cede_signal(&vd[5], &v);
	xirr_no_irqchip(&vd[6], &v);
out:
	for (i = 0; i < TESTS_PER_MMU; i++) {
		snprintf(t, sizeof(t), "%s_%s", mmu_name[mmu], names[i]);
		report_known(&vd[i], t, i == 0 && nestedv2 && !vd[i].failed ? ONESHOT_V2 : NULL);
	}
	vm_close(&v);
}

int main(int argc, char **argv)
{
	int kvm = ktap_begin(argc > 1 ? argv[1] : "interrupts", 2 * TESTS_PER_MMU);

	if (kvm < 0)
		return 1;
	test_mmu(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX));
	test_mmu(kvm, MMU_HPT, mmu_skip(kvm, MMU_HPT));
	close(kvm);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * powerpc64 (Book3S, little-endian) guest support: SPRs, MSR bits,
 * interrupt vectors and the exception handlers a test can install.
 *
 * The guest runs with relocation on (MSR[IR|DR]) at the test binary's own
 * addresses, translated by a radix tree built by lib/powerpc/processor.c.
 * Interrupts arrive in real mode at the architected vectors; a stub there
 * turns relocation back on and enters the common handler, which saves a
 * struct ex_regs and calls the handler installed for that vector.
 */
#ifndef SELFTEST_KVM_PROCESSOR_H
#define SELFTEST_KVM_PROCESSOR_H

#include <linux/compiler.h>
#include <linux/types.h>

#include "kvm_util.h"

#define MSR_SF		BIT(63)
#define MSR_EE		BIT(15)
#define MSR_PR		BIT(14)
#define MSR_FP		BIT(13)
#define MSR_ME		BIT(12)
#define MSR_IR		BIT(5)
#define MSR_DR		BIT(4)
#define MSR_RI		BIT(1)
#define MSR_LE		BIT(0)

/* The MSR a vcpu starts with, and handlers run with (plus or minus EE). */
#define GUEST_MSR	(MSR_SF | MSR_ME | MSR_IR | MSR_DR | MSR_RI | MSR_LE)

#define SPRN_DSISR	18
#define SPRN_DAR	19
#define SPRN_DEC	22
#define SPRN_SRR0	26
#define SPRN_SRR1	27
#define SPRN_PIDR	48
#define SPRN_SPRG0	272
#define SPRN_SPRG1	273
#define SPRN_SPRG2	274
#define SPRN_SPRG3	275
#define SPRN_TBRL	268

/* SRR1 bits of a program interrupt: why it happened. */
#define SRR1_PROGILL	BIT(19)	/* illegal instruction */
#define SRR1_PROGPRIV	BIT(18)	/* privileged instruction */
#define SRR1_PROGTRAP	BIT(17)	/* trap instruction */

/* DSISR bits of a data storage interrupt. */
#define DSISR_NOPTE	BIT(30)	/* no translation */
#define DSISR_PROTFAULT	BIT(27)	/* protection */
#define DSISR_ISSTORE	BIT(25)	/* the access was a store */

/* Interrupt vectors (their offsets from 0). */
#define EXC_SYSTEM_RESET	0x100
#define EXC_MACHINE_CHECK	0x200
#define EXC_DATA_STORAGE	0x300
#define EXC_DATA_SEGMENT	0x380
#define EXC_INST_STORAGE	0x400
#define EXC_INST_SEGMENT	0x480
#define EXC_EXTERNAL		0x500
#define EXC_ALIGNMENT		0x600
#define EXC_PROGRAM		0x700
#define EXC_FP_UNAVAILABLE	0x800
#define EXC_DECREMENTER		0x900
#define EXC_DOORBELL		0xa00
#define EXC_SYSCALL		0xc00
#define EXC_TRACE		0xd00
#define EXC_PERF_MONITOR	0xf00
#define EXC_ALTIVEC_UNAVAILABLE	0xf20
#define EXC_VSX_UNAVAILABLE	0xf40
#define EXC_FAC_UNAVAILABLE	0xf60

/* One handler slot for each 0x20 bytes of vector space below 0x1000. */
#define NR_VECTORS		(0x1000 / 0x20)

/*
 * What the common handler saves. A handler may change any of it; the
 * interrupted context resumes from it (nia and msr through SRR0/SRR1).
 */
struct ex_regs {
	u64 gprs[32];
	u64 nia;	/* SRR0 */
	u64 msr;	/* SRR1 */
	u64 cr;
	u64 lr;
	u64 ctr;
	u64 xer;
	u64 dar;
	u64 dsisr;
	u64 vector;
};

typedef void (*exception_handler_fn)(struct ex_regs *regs);

void vm_init_vector_tables(struct kvm_vm *vm);
void vcpu_init_vector_tables(struct kvm_vcpu *vcpu);
void vm_install_exception_handler(struct kvm_vm *vm, int vector,
				  exception_handler_fn handler);

/* Guest: the common handler (handlers.S) and its C half. */
extern char ppc_exception_entry[];
void route_exception(struct ex_regs *regs);

#define mfspr(spr)							\
({									\
	unsigned long __v;						\
	asm volatile("mfspr %0, %1" : "=r"(__v) : "i"(spr) : "memory");	\
	__v;								\
})

#define mtspr(spr, val)							\
({									\
	asm volatile("mtspr %0, %1" : : "i"(spr), "r"((unsigned long)(val)) : "memory"); \
})

static inline unsigned long mfmsr(void)
{
	unsigned long msr;

	asm volatile("mfmsr %0" : "=r"(msr) : : "memory");
	return msr;
}

static inline void mtmsrd(unsigned long msr)
{
	asm volatile("mtmsrd %0" : : "r"(msr) : "memory");
}

/* mtmsrd with L=1 changes MSR[EE] and MSR[RI] only. */
static inline void local_irq_enable(void)
{
	asm volatile("mtmsrd %0, 1" : : "r"(MSR_EE | MSR_RI) : "memory");
}

static inline void local_irq_disable(void)
{
	asm volatile("mtmsrd %0, 1" : : "r"(MSR_RI) : "memory");
}

static inline u64 mftb(void)
{
	return mfspr(SPRN_TBRL);
}

static inline void cpu_relax(void)
{
	asm volatile("or 1,1,1; or 2,2,2" : : : "memory");
}

/* True if KVM can run radix guests here (a POWER9 or later radix host). */
bool kvm_ppc_radix_available(void);

/*
 * Hash guests use 1T segments; segment ESID (EA >> 40) has VSID ESID + 1.
 * The SLB entry of segment 0 (the test binary, stacks, the library's data)
 * is set with KVM_SET_SREGS; the others are loaded by the library's
 * segment interrupt handler when the guest first touches them.
 */
#define SLB_ESID_V		BIT(27)
#define SLB_VSID_B_1T		BIT(62)
#define SLB_VSID_SHIFT_1T	24
#define SID_SHIFT_1T		40
#define SLB_ENTRIES		32

static inline u64 ppc_hash_vsid(u64 esid)
{
	return esid + 1;
}

static inline u64 ppc_slb_esid_data(u64 ea, unsigned int slot)
{
	return (ea & ~((1UL << SID_SHIFT_1T) - 1)) | SLB_ESID_V | slot;
}

static inline u64 ppc_slb_vsid_data(u64 ea)
{
	return ppc_hash_vsid(ea >> SID_SHIFT_1T) << SLB_VSID_SHIFT_1T | SLB_VSID_B_1T;
}

#endif /* SELFTEST_KVM_PROCESSOR_H */

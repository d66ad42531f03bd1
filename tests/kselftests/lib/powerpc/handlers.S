/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The common exception handler, entered with relocation on from the
 * real-mode stub lib/powerpc/processor.c writes below 0x2000. On entry:
 * r13 = the vector; the interrupted r13, r12, SRR0 and SRR1 are in SPRG0,
 * SPRG1, SPRG2 and SPRG3; everything else is as the interrupt found it.
 *
 * It saves a struct ex_regs below the interrupted stack's red zone, calls
 * route_exception() and returns to the (possibly changed) context.
 */

#define RED_ZONE	288
#define MIN_FRAME	32
#define EX(n)		(MIN_FRAME + 8 * (n))	/* struct ex_regs, doubleword n */
#define EX_GPR(n)	EX(n)
#define EX_NIA		EX(32)
#define EX_MSR		EX(33)
#define EX_CR		EX(34)
#define EX_LR		EX(35)
#define EX_CTR		EX(36)
#define EX_XER		EX(37)
#define EX_DAR		EX(38)
#define EX_DSISR	EX(39)
#define EX_VECTOR	EX(40)
#define FRAME		((EX(41) + 15) & ~15)

#define SPRN_DSISR	18
#define SPRN_DAR	19
#define SPRN_SRR0	26
#define SPRN_SRR1	27
#define SPRN_SPRG0	272
#define SPRN_SPRG1	273
#define SPRN_SPRG2	274
#define SPRN_SPRG3	275

#define SAVE_GPR(n)	std	n, EX_GPR(n)(1)
#define REST_GPR(n)	ld	n, EX_GPR(n)(1)

	.text
	.balign	16
	.globl	ppc_exception_entry
	.type	ppc_exception_entry, @function
ppc_exception_entry:
	mr	12, 1
	subi	1, 1, RED_ZONE + FRAME
	std	12, 0(1)		/* back chain */
	std	12, EX_GPR(1)(1)
	SAVE_GPR(0)
	SAVE_GPR(2)
	SAVE_GPR(3)
	SAVE_GPR(4)
	SAVE_GPR(5)
	SAVE_GPR(6)
	SAVE_GPR(7)
	SAVE_GPR(8)
	SAVE_GPR(9)
	SAVE_GPR(10)
	SAVE_GPR(11)
	SAVE_GPR(14)
	SAVE_GPR(15)
	SAVE_GPR(16)
	SAVE_GPR(17)
	SAVE_GPR(18)
	SAVE_GPR(19)
	SAVE_GPR(20)
	SAVE_GPR(21)
	SAVE_GPR(22)
	SAVE_GPR(23)
	SAVE_GPR(24)
	SAVE_GPR(25)
	SAVE_GPR(26)
	SAVE_GPR(27)
	SAVE_GPR(28)
	SAVE_GPR(29)
	SAVE_GPR(30)
	SAVE_GPR(31)
	std	13, EX_VECTOR(1)
	mfspr	0, SPRN_SPRG1
	std	0, EX_GPR(12)(1)
	mfspr	0, SPRN_SPRG0
	std	0, EX_GPR(13)(1)
	mfspr	0, SPRN_SPRG2
	std	0, EX_NIA(1)
	mfspr	0, SPRN_SPRG3
	std	0, EX_MSR(1)
	mfcr	0
	std	0, EX_CR(1)
	mflr	0
	std	0, EX_LR(1)
	mfctr	0
	std	0, EX_CTR(1)
	mfxer	0
	std	0, EX_XER(1)
	mfspr	0, SPRN_DAR
	std	0, EX_DAR(1)
	mfspr	0, SPRN_DSISR
	std	0, EX_DSISR(1)

	addi	3, 1, MIN_FRAME
	bl	route_exception
	nop

	ld	0, EX_NIA(1)
	mtspr	SPRN_SRR0, 0
	ld	0, EX_MSR(1)
	mtspr	SPRN_SRR1, 0
	ld	0, EX_CR(1)
	mtcr	0
	ld	0, EX_LR(1)
	mtlr	0
	ld	0, EX_CTR(1)
	mtctr	0
	ld	0, EX_XER(1)
	mtxer	0
	REST_GPR(0)
	REST_GPR(2)
	REST_GPR(3)
	REST_GPR(4)
	REST_GPR(5)
	REST_GPR(6)
	REST_GPR(7)
	REST_GPR(8)
	REST_GPR(9)
	REST_GPR(10)
	REST_GPR(11)
	REST_GPR(12)
	REST_GPR(13)
	REST_GPR(14)
	REST_GPR(15)
	REST_GPR(16)
	REST_GPR(17)
	REST_GPR(18)
	REST_GPR(19)
	REST_GPR(20)
	REST_GPR(21)
	REST_GPR(22)
	REST_GPR(23)
	REST_GPR(24)
	REST_GPR(25)
	REST_GPR(26)
	REST_GPR(27)
	REST_GPR(28)
	REST_GPR(29)
	REST_GPR(30)
	REST_GPR(31)
	ld	1, EX_GPR(1)(1)
	rfid
	.size	ppc_exception_entry, . - ppc_exception_entry

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PAPR hypercalls from the guest: "sc 1" with the hcall number in r3 and
 * its arguments in r4..r10; the return code comes back in r3, values in
 * r4..r6 (PAPR: r0, r3..r12, ctr, xer and cr0 are volatile).
 */
#ifndef SELFTEST_KVM_HCALL_H
#define SELFTEST_KVM_HCALL_H

#include <linux/types.h>

#define H_SUCCESS	0
#define H_PARAMETER	-4

#define H_ENTER		0x08
#define H_CEDE		0xe0
#define H_PROD		0xe4

/*
 * Numbers neither PAPR nor KVM define: each exits to userspace as
 * KVM_EXIT_PAPR_HCALL. They are in the private range of KVM's userspace
 * (KVMPPC_HCALL_BASE is 0xf000), far above what QEMU uses there.
 */
#define H_KVM_SELFTEST_UCALL	0xf7f0
#define H_KVM_SELFTEST_NULL	0xf7f4

static inline long hcall_ret(unsigned long nr, unsigned long a1, unsigned long a2,
			     unsigned long a3, unsigned long *out)
{
	register unsigned long r3 asm("r3") = nr;
	register unsigned long r4 asm("r4") = a1;
	register unsigned long r5 asm("r5") = a2;
	register unsigned long r6 asm("r6") = a3;

	asm volatile("sc 1"
		     : "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6)
		     :
		     : "r0", "r7", "r8", "r9", "r10", "r11", "r12", "ctr", "xer",
		       "cr0", "memory");
	if (out) {
		out[0] = r4;
		out[1] = r5;
		out[2] = r6;
	}
	return r3;
}

static inline long hcall0(unsigned long nr)
{
	return hcall_ret(nr, 0, 0, 0, NULL);
}

static inline long hcall1(unsigned long nr, unsigned long a1)
{
	return hcall_ret(nr, a1, 0, 0, NULL);
}

static inline long hcall2(unsigned long nr, unsigned long a1, unsigned long a2)
{
	return hcall_ret(nr, a1, a2, 0, NULL);
}

#endif

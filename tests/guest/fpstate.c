// SPDX-License-Identifier: GPL-2.0
/*
 * fpstate - the host thread's floating-point and vector registers across
 * KVM_RUN, and the guest's across the host's.
 *
 * The sc ABI keeps every FP and vector register across a system call
 * (Documentation/arch/powerpc/syscall64-abi.rst). KVM_RUN loads the guest's
 * FPRs and VRs into the CPU, so the host must first put the thread's own
 * away (kvmppc_save_user_regs() gives them to the thread_struct and clears
 * MSR_FP/VEC in the user MSR) and must not return to userspace with the
 * guest's still in the registers.
 *
 * Each run loads a known pattern into f0-f31 and v0-v31, makes the
 * KVM_RUN system call and stores the registers again, all in one asm
 * statement, so nothing but the kernel can change them in between. The
 * vcpu's own FPRs and VRs hold another pattern (KVM_SET_ONE_REG). For
 * each guest MMU mode the host offers:
 *
 *   hcall        the guest exits at once with H_READY: the registers
 *                come back as they went in
 *   cede_sleep   the guest cedes with its decrementer 2 ms away, so the
 *                vcpu's thread sleeps in the host, is switched out and in
 *                again (where __switch_to()'s restore_math() reloads the
 *                thread's FP/VMX state and makes it live), then re-enters
 *                the guest and exits at 0x900: the registers come back as
 *                they went in, not as the guest left them
 *   guest_kept   KVM_GET_ONE_REG gives the vcpu's FPRs and VRs back as they
 *                were set: the host's never reach the guest. On a nested
 *                API v2 host they go to the L0 and back in guest state
 *                buffers: this is what found kvm_hv_rs sending each VSR
 *                with its doublewords swapped (2bac5b4)
 *
 * A failure names the first register that changed and whether it holds the
 * guest's value.
 *
 * Output is KTAP, indented as a subtest of the harness's KTAP.
 *
 * Usage: fpstate NAME
 */
#include <sys/syscall.h>

#include "vmtest.h"

#define CEDE_ADDR	(CODE_ADDR + 0x100)
#define DEC_SOON	0x100000UL	/* 2 ms at 512 MHz */
#define RUNS		20
#define TESTS_PER_MMU	3

struct vr { uint64_t d[2]; } __attribute__((aligned(16)));

/* The registers a run puts in and finds after it. */
struct regset {
	uint64_t f[32];
	struct vr v[32];
};

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(0);
	write_cede(mem + CEDE_ADDR / 4);
}

/* A pattern per register, `tag` in the top byte: the host's and the guest's differ. */
static void fill(struct regset *r, uint64_t tag)
{
	int i;

	for (i = 0; i < 32; i++) {
		r->f[i] = tag << 56 | 0x0000f00000000000ULL | i;
		r->v[i].d[0] = tag << 56 | 0x0000a00000000000ULL | i;
		r->v[i].d[1] = tag << 56 | 0x0000b00000000000ULL | i;
	}
}

#define LFD(n)	"lfd " #n "," #n "*8(%[in])\n"
#define STFD(n)	"stfd " #n "," #n "*8(%[out])\n"
#define LVX(n)	"addi 9,%[in],256+" #n "*16\n lvx " #n ",0,9\n"
#define STVX(n)	"addi 9,%[out],256+" #n "*16\n stvx " #n ",0,9\n"
#define X8(m, a, b, c, d, e, f, g, h) m(a) m(b) m(c) m(d) m(e) m(f) m(g) m(h)
#define ALL(m)	X8(m, 0, 1, 2, 3, 4, 5, 6, 7) X8(m, 8, 9, 10, 11, 12, 13, 14, 15) \
		X8(m, 16, 17, 18, 19, 20, 21, 22, 23) X8(m, 24, 25, 26, 27, 28, 29, 30, 31)

/*
 * KVM_RUN on `fd` with `in` in the FP and vector registers; what they hold
 * after it in `out`. The system call itself, not glibc's ioctl(): nothing
 * between the loads and the stores but the kernel.
 */
static long kvm_run_regs(int fd, const struct regset *in, struct regset *out)
{
	register long r0 __asm__("r0") = __NR_ioctl;
	register long r3 __asm__("r3") = fd;
	register long r4 __asm__("r4") = KVM_RUN;
	register long r5 __asm__("r5") = 0;

	asm volatile(ALL(LFD) ALL(LVX)
		     "sc\n"
		     "bns+ 1f\n"
		     "neg 3,3\n"
		     "1:\n"
		     ALL(STFD) ALL(STVX)
		     : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5)
		     : [in] "b"(in), [out] "b"(out)
		     : "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr", "xer", "memory",
		       "vs0", "vs1", "vs2", "vs3", "vs4", "vs5", "vs6", "vs7", "vs8", "vs9",
		       "vs10", "vs11", "vs12", "vs13", "vs14", "vs15", "vs16", "vs17", "vs18",
		       "vs19", "vs20", "vs21", "vs22", "vs23", "vs24", "vs25", "vs26", "vs27",
		       "vs28", "vs29", "vs30", "vs31", "vs32", "vs33", "vs34", "vs35", "vs36",
		       "vs37", "vs38", "vs39", "vs40", "vs41", "vs42", "vs43", "vs44", "vs45",
		       "vs46", "vs47", "vs48", "vs49", "vs50", "vs51", "vs52", "vs53", "vs54",
		       "vs55", "vs56", "vs57", "vs58", "vs59", "vs60", "vs61", "vs62", "vs63");
	return r3;	/* 0, or minus errno */
}

/*
 * Says in vd the first register `got` holds that `want` does not, and
 * whether it is `other`'s value (named `whose`).
 */
static void compare(struct verdict *vd, const char *when, const struct regset *want,
		   const struct regset *got, const struct regset *other, const char *whose)
{
	int i;

	for (i = 0; i < 32; i++)
		if (got->f[i] != want->f[i]) {
			fail(vd, "%s: f%d is %016llx, was %016llx%s%s", when, i,
			     (unsigned long long)got->f[i], (unsigned long long)want->f[i],
			     got->f[i] == other->f[i] ? ": " : "",
			     got->f[i] == other->f[i] ? whose : "");
			return;
		}
	for (i = 0; i < 32; i++)
		if (memcmp(&got->v[i], &want->v[i], sizeof(got->v[i]))) {
			int same = !memcmp(&got->v[i], &other->v[i], sizeof(got->v[i]));

			fail(vd, "%s: v%d is %016llx%016llx, was %016llx%016llx%s%s", when, i,
			     (unsigned long long)got->v[i].d[1], (unsigned long long)got->v[i].d[0],
			     (unsigned long long)want->v[i].d[1], (unsigned long long)want->v[i].d[0],
			     same ? ": " : "", same ? whose : "");
			return;
		}
}

/* Sets (set) or reads the vcpu's FPRs and VRs. */
static int guest_regs(int fd, struct regset *r, int set)
{
	struct kvm_one_reg one;
	int i;

	for (i = 0; i < 32; i++) {
		one.id = KVM_REG_PPC_FPR(i);
		one.addr = (uintptr_t)&r->f[i];
		if (ioctl(fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &one))
			return -1;
		one.id = KVM_REG_PPC_VR(i);
		one.addr = (uintptr_t)&r->v[i];
		if (ioctl(fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &one))
			return -1;
	}
	return 0;
}

/*
 * RUNS runs from `pc`, each ending in the hcall `want` (H_READY, or the
 * 0x900 vector's report); the registers checked after each.
 */
static void runs(struct vm *v, const char *test, uint64_t pc, uint64_t dec, uint64_t want,
		 const struct regset *host, const struct regset *guest)
{
	struct verdict vd = { 0 };
	struct regset after;
	char when[64];
	int i;
	long r;

	for (i = 0; i < RUNS && !vd.failed; i++) {
		snprintf(when, sizeof(when), "run %d", i);
		if (vcpu_place(v->vcpu, pc, GUEST_MSR, dec)) {
			fail(&vd, "%s: placing the vcpu: %s", when, strerror(errno));
			break;
		}
		alarm(RUN_TIMEOUT_S);
		r = kvm_run_regs(v->vcpu, host, &after);
		alarm(0);
		if (r) {
			fail(&vd, "%s: KVM_RUN: %s", when, strerror((int)-r));
			break;
		}
		if (v->run->exit_reason != KVM_EXIT_PAPR_HCALL || v->run->papr_hcall.nr != want) {
			fail(&vd, "%s: exit_reason %u, hcall 0x%llx; want hcall 0x%llx", when,
			     v->run->exit_reason, (unsigned long long)v->run->papr_hcall.nr,
			     (unsigned long long)want);
			break;
		}
		compare(&vd, when, host, &after, guest, "the guest's value");
	}
	report(&vd, test);
}

static void test_mmu(int kvm, enum mmu mmu)
{
	char name[3][48];
	struct vm v = VM_INIT(kvm);
	struct regset host, guest, back;
	struct verdict vd = { 0 };
	const char *skip = mmu_skip(kvm, mmu);
	int i;

	for (i = 0; i < TESTS_PER_MMU; i++)
		snprintf(name[i], sizeof(name[i]), "%s_%s", i == 0 ? "hcall" : i == 1 ? "cede_sleep" : "guest_kept",
			 mmu_name[mmu]);
	if (skip) {
		for (i = 0; i < TESTS_PER_MMU; i++)
			result(1, name[i], skip);
		return;
	}
	fill(&host, 0x48);	/* 'H' */
	fill(&guest, 0x47);	/* 'G' */
	if (vm_create(&v, mmu, 1, write_guest) || guest_regs(v.vcpu, &guest, 1)) {
		diag("%s VM: %s", mmu_name[mmu], strerror(errno));
		for (i = 0; i < TESTS_PER_MMU; i++)
			result(0, name[i], NULL);
		vm_close(&v);
		return;
	}
	runs(&v, name[0], CODE_ADDR, DEC_FAR, H_READY, &host, &guest);
	runs(&v, name[1], CEDE_ADDR, DEC_SOON, H_VECTOR + 0x900, &host, &guest);
	if (guest_regs(v.vcpu, &back, 0))
		fail(&vd, "KVM_GET_ONE_REG: %s", strerror(errno));
	else
		compare(&vd, "the vcpu's registers", &guest, &back, &host, "the host thread's value");
	report(&vd, name[2]);
	vm_close(&v);
}

int main(int argc, char **argv)
{
	int kvm = ktap_begin(argc > 1 ? argv[1] : "fpstate", 2 * TESTS_PER_MMU);

	if (kvm < 0)
		return 1;
	test_mmu(kvm, MMU_RADIX);
	test_mmu(kvm, MMU_HPT);
	close(kvm);
	return failed ? 1 : 0;
}

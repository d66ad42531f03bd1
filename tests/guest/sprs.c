// SPDX-License-Identifier: GPL-2.0
/*
 * sprs - SPR isolation between an HV guest and its host.
 *
 * The guest writes a pattern into every SPR a supervisor guest may write,
 * reads each back ("before"), takes one kind of exit, reads each again
 * ("after") and reports with H_READY. Every SPR must read back the same
 * after the exit as before it: the host switched the guest's value out and
 * back in. Reading back before the exit lets the hardware's masks (CTRL's
 * one bit, PSPB's 32, the AMR bits AMOR lets through) decide what a value
 * is, so the test needs no table of implemented bits.
 *
 * The exits, each a test for each guest MMU mode the host offers:
 *
 *   none          the guest's own H_READY only (checks the method)
 *   mfspr_dpdes   mfspr of DPDES: on POWER9 and later a facility the host
 *                 emulates (KVM's doorbell emulation), back to the guest
 *   program       an illegal instruction: hypervisor emulation assist, KVM
 *                 delivers a program interrupt (0x700)
 *   hcall_kernel  H_PROD of a vcpu that does not exist, served in the host
 *                 kernel without leaving KVM_RUN
 *   hcall_user    an hcall to userspace, then KVM_RUN again
 *   cede_dec      H_CEDE with the decrementer 2 ms away: the vcpu sleeps in
 *                 the host, the decrementer wakes it (0x900)
 *   external      an hcall to userspace, which raises the external
 *                 interrupt line: delivered at the next entry (0x500)
 *   dec           the guest's own decrementer interrupt (0x900)
 *   page_fault    a store to a page the host has not mapped for the guest
 *                 yet: a hypervisor data storage interrupt served in the host
 *   tick_signal   the guest spins until userspace sets a flag: host timer
 *                 ticks interrupt it, then SIGALRM ends KVM_RUN with EINTR
 *                 and userspace sets the flag and runs it again
 *
 * Each runs with three patterns: all ones, alternating bits (0xaaaa.. and
 * 0x5555.. on alternate SPRs), and 0xcafefacec0debabe rotated by the SPR's
 * index. SRR0 and SRR1 are not compared after an interrupt delivered to the
 * guest or an hcall (sc 1 saves into SRR0 and SRR1). An hcall the host
 * served in the kernel is known so by the next exit being H_READY.
 *
 * After every KVM_RUN, host userspace checks its own SPRs (DSCR, TAR and
 * VRSAVE, set to values of its own first; PPR; SPRG3, which the kernel
 * sets): the host's values must be intact after every exit.
 *
 * one_reg: userspace sets the guest's AMR, IAMR, UAMOR, DSCR, TAR, PSPB and
 * FSCR with KVM_SET_ONE_REG to the patterns; the guest reads them first
 * thing, and KVM_GET_ONE_REG after the exit must say what the guest read.
 * (A host that loads the guest's IAMR with the MMU on hangs here too.)
 *
 * Every read is preceded by li rN, 0x5a5: an mfspr that does nothing (an
 * SPR the CPU does not have) is reported rather than compared as equal.
 * SPRS_DEBUG=1 in the environment prints every value read.
 *
 * A host that switches these SPRs wrongly may hang rather than fail a test
 * (a POWER9 hash host once ran its own kernel with the guest's IAMR); the
 * harness then counts the boot as failed.
 *
 * Output is KTAP, indented as a subtest of the harness's KTAP.
 *
 * Usage: sprs NAME
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>
#include "vmtest.h"

#define H_READY_SPRS	0x7011	/* to userspace: the "after" values are in */
#define H_USER		0x7012	/* to userspace, the guest goes on */
#define H_RAISE_EXT	0x7013	/* to userspace: raise the external line */
#define H_PROD		0xe8

#define PAT_ADDR	0x8000UL	/* the values the guest writes */
#define BEFORE_ADDR	0x9000UL	/* what it read back before the exit */
#define AFTER_ADDR	0xa000UL	/* ... and after */
#define FLAG_ADDR	0xb000UL	/* tick_signal: nonzero ends the spin */
#define FAULT_ADDR	(48UL << 20)	/* page_fault: never touched before */
#define DEC_SOON	0x100000UL	/* 2 ms at 512 MHz */
#define DEC_NOW		0x1000UL
#define UNREAD		0x5a5	/* what an mfspr that does nothing leaves */

#define SPR_AMR		29
#define SPR_IAMR	61
#define SPR_DSCR	17
#define SPR_DEC		22
#define SPR_PID		48
#define SPR_CTRLF	136
#define SPR_TIDR	144
#define SPR_CTRLT	152
#define SPR_FSCR	153
#define SPR_UAMOR	157
#define SPR_PSPB	159
#define SPR_DPDES	176
#define SPR_VRSAVE	256
#define SPR_SPRG0	272
#define SPR_PMC1	771
#define SPR_SIAR	780
#define SPR_SDAR	781
#define SPR_EBBHR	804
#define SPR_EBBRR	805
#define SPR_BESCR	806
#define SPR_TAR		815

/* Registers the guest program keeps across exits (hcalls use r3-r12). */
#define R_PAT		20
#define R_BEFORE	21
#define R_AFTER		22
#define R_TMP		24
#define R_ARG		25	/* page_fault: the address; tick: the flag */
#define R_ACTION	26
#define R_SKIP		30	/* one_reg: nonzero skips the writes */

static inline uint32_t lis(int rt, int16_t si) { return 0x3c000000 | rt << 21 | (uint16_t)si; }
static inline uint32_t oris(int ra, int rs, uint16_t ui) { return 0x64000000 | rs << 21 | ra << 16 | ui; }
static inline uint32_t cmpdi(int ra, int16_t si) { return 0x2c200000 | ra << 16 | (uint16_t)si; }
static inline uint32_t bne(int32_t disp) { return 0x40820000 | (disp & 0xfffc); }
static inline uint32_t mtmsrd_l1(int rs) { return 0x7c010164 | rs << 21; }
#define MTCTR(rs)	mtspr(9, rs)
#define BCTR		0x4e800420u

/* One SPR the guest writes and reads; `rd` is its read number if not `wr`. */
struct spr {
	const char *name;
	int wr, rd;
	unsigned int cpus;	/* CPU_P8 | CPU_P9 | CPU_P10 */
	int srr;		/* an interrupt or an hcall sets it */
	int bits32;		/* a 32-bit register: compare the low word */
};

#define CPU_P8		1u
#define CPU_P9		2u
#define CPU_P10		4u
#define CPU_ALL		(CPU_P8 | CPU_P9 | CPU_P10)

#define S(n, w, c)	{ .name = n, .wr = w, .cpus = c }
static const struct spr sprs[] = {
	S("AMR", SPR_AMR, CPU_ALL),
	S("IAMR", SPR_IAMR, CPU_ALL),
	S("UAMOR", SPR_UAMOR, CPU_ALL),
	S("DSCR", SPR_DSCR, CPU_ALL),
	S("PSPB", SPR_PSPB, CPU_ALL),
	S("TAR", SPR_TAR, CPU_ALL),
	S("FSCR", SPR_FSCR, CPU_ALL),
	{ .name = "CTRL", .wr = SPR_CTRLT, .rd = SPR_CTRLF, .cpus = CPU_ALL },
	S("VRSAVE", SPR_VRSAVE, CPU_ALL),
	S("PID", SPR_PID, CPU_P9 | CPU_P10),
	S("TIDR", SPR_TIDR, CPU_P9),
	S("SPRG0", SPR_SPRG0, CPU_ALL),
	S("SPRG1", SPR_SPRG0 + 1, CPU_ALL),
	S("SPRG2", SPR_SPRG0 + 2, CPU_ALL),
	S("SPRG3", SPR_SPRG0 + 3, CPU_ALL),
	S("DAR", SPR_DAR, CPU_ALL),
	S("DSISR", SPR_DSISR, CPU_ALL),
	{ .name = "SRR0", .wr = SPR_SRR0, .cpus = CPU_ALL, .srr = 1 },
	{ .name = "SRR1", .wr = SPR_SRR1, .cpus = CPU_ALL, .srr = 1 },
	S("EBBHR", SPR_EBBHR, CPU_ALL),
	S("EBBRR", SPR_EBBRR, CPU_ALL),
	S("BESCR", SPR_BESCR, CPU_ALL),
	/*
	 * The PMCs are 32 bits wide; QEMU keeps all 64 bits an mtspr writes
	 * until the host's 32-bit save and restore drops the upper half.
	 */
	{ .name = "PMC1", .wr = SPR_PMC1, .cpus = CPU_ALL, .bits32 = 1 },
	{ .name = "PMC2", .wr = SPR_PMC1 + 1, .cpus = CPU_ALL, .bits32 = 1 },
	{ .name = "PMC3", .wr = SPR_PMC1 + 2, .cpus = CPU_ALL, .bits32 = 1 },
	{ .name = "PMC4", .wr = SPR_PMC1 + 3, .cpus = CPU_ALL, .bits32 = 1 },
	S("SIAR", SPR_SIAR, CPU_ALL),
	S("SDAR", SPR_SDAR, CPU_ALL),
};
#undef S
#define NSPRS		(sizeof(sprs) / sizeof(sprs[0]))

enum kind {
	K_NONE, K_DPDES, K_PROGRAM, K_HCALL_KERNEL, K_HCALL_USER, K_CEDE_DEC,
	K_EXTERNAL, K_DEC, K_PAGE_FAULT, K_TICK_SIGNAL, NKINDS
};
static const char *const kind_name[NKINDS] = {
	"none", "mfspr_dpdes", "program", "hcall_kernel", "hcall_user", "cede_dec",
	"external", "dec", "page_fault", "tick_signal",
};
/*
 * Which kinds set SRR0 and SRR1 in the guest: an interrupt delivered to it,
 * or sc 1 (the hypervisor call interrupt saves into SRR0/SRR1).
 */
static const int kind_sets_srr[NKINDS] = {
	[K_PROGRAM] = 1, [K_HCALL_KERNEL] = 1, [K_HCALL_USER] = 1, [K_CEDE_DEC] = 1,
	[K_EXTERNAL] = 1, [K_DEC] = 1,
};

enum { PAT_ONES, PAT_ALT, PAT_CAFE, NPATS };
static const char *const pat_name[NPATS] = { "ones", "alternating", "cafe" };

static unsigned int cpu;	/* CPU_P8, CPU_P9 or CPU_P10 */
static uint64_t action_addr[NKINDS];
static uint64_t epilogue_addr;

static uint64_t pattern(int pat, unsigned int i)
{
	uint64_t c = 0xcafefacec0debabeULL;

	switch (pat) {
	case PAT_ONES:
		return ~0ULL;
	case PAT_ALT:
		return i & 1 ? 0x5555555555555555ULL : 0xaaaaaaaaaaaaaaaaULL;
	default:
		return i % 64 ? c << (i % 64) | c >> (64 - i % 64) : c;
	}
}

static int spr_on(const struct spr *s) { return (s->cpus & cpu) != 0; }

/* Emits code at `p` that loads the 64-bit constant `v` into `rt`. */
static uint32_t *load_imm64(uint32_t *p, int rt, uint64_t v)
{
	*p++ = lis(rt, (int16_t)(v >> 48));
	*p++ = ori(rt, rt, (uint16_t)(v >> 32));
	*p++ = 0x780007c6 | rt << 21 | rt << 16;	/* sldi rt, rt, 32 */
	*p++ = oris(rt, rt, (uint16_t)(v >> 16));
	*p++ = ori(rt, rt, (uint16_t)v);
	return p;
}

/* Emits code at `p` that sets MSR[EE]. */
static uint32_t *enable_ee(uint32_t *p)
{
	*p++ = mfmsr(R_TMP);
	*p++ = ori(R_TMP, R_TMP, MSR_EE);
	*p++ = mtmsrd_l1(R_TMP);
	return p;
}

/* Emits a branch at `p` (guest address `from`) to guest address `to`. */
static void branch(uint32_t *mem, uint64_t from, uint64_t to)
{
	mem[from / 4] = b((int32_t)(to - from));
}

/* Emits the reads of every SPR into the buffer at register `rbuf`. */
static uint32_t *read_all(uint32_t *p, int rbuf)
{
	unsigned int i;

	for (i = 0; i < NSPRS; i++) {
		if (!spr_on(&sprs[i]))
			continue;
		*p++ = li(R_TMP, UNREAD);
		*p++ = mfspr(R_TMP, sprs[i].rd ? sprs[i].rd : sprs[i].wr);
		*p++ = std_(R_TMP, (int16_t)(8 * i), rbuf);
	}
	return p;
}

/*
 * The guest: at CODE_ADDR the writes and the "before" reads, then a jump
 * to the action userspace chose (r26); every action ends at the epilogue,
 * which reads "after" and reports H_READY_SPRS. The vectors of the
 * interrupts an action expects (0x500, 0x700, 0x900) branch to the
 * epilogue too.
 */
static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4, *a, *skip;
	unsigned int i;

	p = load_imm64(p, R_PAT, PAT_ADDR);
	p = load_imm64(p, R_BEFORE, BEFORE_ADDR);
	p = load_imm64(p, R_AFTER, AFTER_ADDR);
	/* one_reg runs (r30 set) read what KVM loaded: no writes. */
	*p++ = cmpdi(R_SKIP, 0);
	skip = p++;
	for (i = 0; i < NSPRS; i++) {
		if (!spr_on(&sprs[i]))
			continue;
		*p++ = ld(R_TMP, (int16_t)(8 * i), R_PAT);
		*p++ = mtspr(sprs[i].wr, R_TMP);
	}
	*p++ = ISYNC;
	*skip = bne((int32_t)((p - skip) * 4));
	p = read_all(p, R_BEFORE);
	*p++ = MTCTR(R_ACTION);
	*p++ = BCTR;

	/* The epilogue. */
	epilogue_addr = (uint64_t)(p - mem) * 4;
	p = read_all(p, R_AFTER);
	*p++ = li(3, H_READY_SPRS);
	*p++ = SC1;
	*p++ = b(0);

	/* The actions, each ending in a branch to the epilogue. */
#define ACTION(k)	(action_addr[k] = (uint64_t)(p - mem) * 4)
#define DONE()		do { branch(mem, (uint64_t)(p - mem) * 4, epilogue_addr); p++; } while (0)
	ACTION(K_NONE);
	DONE();

	ACTION(K_DPDES);
	*p++ = mfspr(R_TMP, SPR_DPDES);
	DONE();

	ACTION(K_PROGRAM);
	*p++ = 0;	/* not an instruction: 0x700 */
	DONE();

	ACTION(K_HCALL_KERNEL);
	*p++ = li(3, H_PROD);
	*p++ = li(4, 0x7ff);	/* no such vcpu */
	*p++ = SC1;
	DONE();

	ACTION(K_HCALL_USER);
	*p++ = li(3, H_USER);
	*p++ = SC1;
	DONE();

	ACTION(K_CEDE_DEC);
	p = load_imm64(p, R_TMP, DEC_SOON);
	*p++ = mtspr(SPR_DEC, R_TMP);
	*p++ = li(3, H_CEDE);
	*p++ = SC1;
	*p++ = b(0);	/* the decrementer's 0x900 leaves */

	ACTION(K_EXTERNAL);
	p = enable_ee(p);
	*p++ = li(3, H_RAISE_EXT);
	*p++ = SC1;
	*p++ = b(0);	/* the external interrupt's 0x500 leaves */

	ACTION(K_DEC);
	p = load_imm64(p, R_TMP, DEC_NOW);
	*p++ = mtspr(SPR_DEC, R_TMP);
	p = enable_ee(p);
	*p++ = b(0);	/* 0x900 leaves */

	ACTION(K_PAGE_FAULT);
	*p++ = std_(R_PAT, 0, R_ARG);
	DONE();

	ACTION(K_TICK_SIGNAL);
	a = p;
	*p++ = ld(R_TMP, 0, R_ARG);
	*p++ = cmpdi(R_TMP, 0);
	*p = beq((int32_t)((a - p) * 4));
	p++;
	DONE();
#undef ACTION
#undef DONE

	branch(mem, 0x500, epilogue_addr);
	branch(mem, 0x700, epilogue_addr);
	branch(mem, 0x900, epilogue_addr);
}

/* --- the host's own SPRs, as its userspace sees them ----------------------- */

/*
 * What host userspace can read of its own SPRs. Not the AMR: QEMU keeps the
 * problem-state number (13) apart from the register the MMU checks (29),
 * so its reads say nothing. Under QEMU a problem-state DSCR access (SPR 3)
 * is emulated by the kernel from the thread's saved value.
 */
struct host_sprs {
	uint64_t dscr, tar, vrsave, ppr, sprg3;
};

static void host_read(struct host_sprs *h)
{
	asm volatile("mfspr %0, 3" : "=r"(h->dscr));
	asm volatile("mfspr %0, 815" : "=r"(h->tar));
	asm volatile("mfspr %0, 256" : "=r"(h->vrsave));
	asm volatile("mfspr %0, 896" : "=r"(h->ppr));
	asm volatile("mfspr %0, 259" : "=r"(h->sprg3));
}

/* Host values of its own, unlike any guest pattern. */
static void host_set(void)
{
	uint64_t dscr = 0x11, tar = 0x1234567812345678ULL, vrsave = 0x87654321;

	asm volatile("mtspr 3, %0" : : "r"(dscr));
	asm volatile("mtspr 815, %0" : : "r"(tar));
	asm volatile("mtspr 256, %0" : : "r"(vrsave));
}

static struct host_sprs host_want;

static void host_check(struct verdict *vd, const char *step)
{
	struct host_sprs h;

	host_read(&h);
#define HOST_SAME(f)							\
	do {								\
		if (h.f != host_want.f)					\
			fail(vd, "%s: host " #f " 0x%llx, was 0x%llx", step,	\
			     (unsigned long long)h.f, (unsigned long long)host_want.f); \
	} while (0)
	HOST_SAME(dscr);
	HOST_SAME(tar);
	HOST_SAME(vrsave);
	HOST_SAME(ppr);
	HOST_SAME(sprg3);
#undef HOST_SAME
}

/* --- running ----------------------------------------------------------------- */

static uint64_t guest_u64(struct vm *v, uint64_t addr)
{
	return *(uint64_t *)((char *)v->mem + addr);
}

/* With SPRS_DEBUG set in the environment, every value the guest read. */
static void debug_dump(struct vm *v, const char *what, const char *step)
{
	unsigned int i;

	if (!getenv("SPRS_DEBUG"))
		return;
	for (i = 0; i < NSPRS; i++)
		if (spr_on(&sprs[i]))
			diag("%s %s: %s before 0x%llx after 0x%llx", what, step, sprs[i].name,
			     (unsigned long long)guest_u64(v, BEFORE_ADDR + 8 * i),
			     (unsigned long long)guest_u64(v, AFTER_ADDR + 8 * i));
}

/* The host_sprs test's verdict, and the test whose KVM_RUN it checks. */
static struct verdict *host_vd;
static const char *host_step_test;

/* KVM_RUN, with the host's SPRs checked after it. */
static int run_checked(struct vm *v, const char *step, unsigned int ms)
{
	char where[96];
	int r = run_for(v, ms);

	snprintf(where, sizeof(where), "%s %s", host_step_test, step);
	host_check(host_vd, where);
	return r;
}

static int set_gpr(struct vm *v, int n, uint64_t val)
{
	struct kvm_regs regs;

	if (ioctl(v->vcpu, KVM_GET_REGS, &regs))
		return -1;
	regs.gpr[n] = val;
	return ioctl(v->vcpu, KVM_SET_REGS, &regs);
}

/* Is this exit the guest's hcall `nr`? Says what it was otherwise. */
static int at_hcall(struct verdict *vd, struct vm *v, const char *step, int r, uint64_t nr)
{
	if (r) {
		fail(vd, "%s: KVM_RUN: %s (exit_reason %u)", step, strerror(-r), v->run->exit_reason);
		return 0;
	}
	if (v->run->exit_reason != KVM_EXIT_PAPR_HCALL) {
		fail(vd, "%s: exit_reason %u, want hcall 0x%llx", step, v->run->exit_reason,
		     (unsigned long long)nr);
		return 0;
	}
	if (v->run->papr_hcall.nr != nr) {
		uint64_t *a = v->run->papr_hcall.args;

		fail(vd, "%s: hcall 0x%llx (r4 0x%llx r5 0x%llx r6 0x%llx), want 0x%llx", step,
		     (unsigned long long)v->run->papr_hcall.nr, (unsigned long long)a[0],
		     (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)nr);
		return 0;
	}
	return 1;
}

/* One exit of kind `k` with pattern `pat`: runs to H_READY_SPRS and compares. */
static void one_kind(struct verdict *vd, struct vm *v, enum kind k, int pat)
{
	char step[64];
	unsigned int i;
	int r;

	snprintf(step, sizeof(step), "%s", pat_name[pat]);
	for (i = 0; i < NSPRS; i++)
		*(uint64_t *)((char *)v->mem + PAT_ADDR + 8 * i) = pattern(pat, i);
	memset((char *)v->mem + BEFORE_ADDR, 0, 8 * NSPRS);
	memset((char *)v->mem + AFTER_ADDR, 0, 8 * NSPRS);
	*(uint64_t *)((char *)v->mem + FLAG_ADDR) = 0;
	if (vcpu_place(v->vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR) ||
	    set_gpr(v, R_ACTION, action_addr[k]) || set_gpr(v, R_SKIP, 0) ||
	    set_gpr(v, R_ARG, k == K_PAGE_FAULT ? FAULT_ADDR + (uint64_t)pat * 0x10000 : FLAG_ADDR)) {
		fail(vd, "%s: KVM_SET_REGS: %s", step, strerror(errno));
		return;
	}
	/* tick_signal: the guest spins until SIGALRM ends this run. */
	r = run_checked(v, step, k == K_TICK_SIGNAL ? 50 : RUN_TIMEOUT_S * 1000);
	switch (k) {
	case K_HCALL_USER:
		if (!at_hcall(vd, v, step, r, H_USER))
			return;
		r = run_checked(v, step, RUN_TIMEOUT_S * 1000);
		break;
	case K_EXTERNAL: {
		struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };

		if (!at_hcall(vd, v, step, r, H_RAISE_EXT))
			return;
		if (ioctl(v->vcpu, KVM_INTERRUPT, &irq)) {
			fail(vd, "%s: KVM_INTERRUPT: %s", step, strerror(errno));
			return;
		}
		r = run_checked(v, step, RUN_TIMEOUT_S * 1000);
		/*
		 * Lower the line, as a VMM does once the guest took it: under
		 * the nested API v2 a one-shot interrupt stays pending until
		 * then (interrupts.c, ONESHOT_V2), and the next step would
		 * take it before its own H_RAISE_EXT.
		 */
		irq.irq = KVM_INTERRUPT_UNSET;
		if (ioctl(v->vcpu, KVM_INTERRUPT, &irq)) {
			fail(vd, "%s: KVM_INTERRUPT_UNSET: %s", step, strerror(errno));
			return;
		}
		break;
	}
	case K_TICK_SIGNAL:
		if (r != -EINTR || v->run->exit_reason != KVM_EXIT_INTR) {
			fail(vd, "%s: spinning, signalled: KVM_RUN %d, exit_reason %u; want EINTR",
			     step, r, v->run->exit_reason);
			return;
		}
		*(uint64_t *)((char *)v->mem + FLAG_ADDR) = 1;
		r = run_checked(v, step, RUN_TIMEOUT_S * 1000);
		break;
	default:
		break;
	}
	if (!at_hcall(vd, v, step, r, H_READY_SPRS))
		return;
	debug_dump(v, kind_name[k], step);
	for (i = 0; i < NSPRS; i++) {
		uint64_t before = guest_u64(v, BEFORE_ADDR + 8 * i);
		uint64_t after = guest_u64(v, AFTER_ADDR + 8 * i);

		if (!spr_on(&sprs[i]) || (sprs[i].srr && kind_sets_srr[k]))
			continue;
		if (before == UNREAD && pattern(pat, i) != UNREAD)
			fail(vd, "%s: %s: mfspr %d left the register as it was", step,
			     sprs[i].name, sprs[i].rd ? sprs[i].rd : sprs[i].wr);
		if (sprs[i].bits32) {
			before = (uint32_t)before;
			after = (uint32_t)after;
		}
		if (before != after)
			fail(vd, "%s: %s was 0x%llx (wrote 0x%llx), after the exit 0x%llx", step,
			     sprs[i].name, (unsigned long long)before,
			     (unsigned long long)pattern(pat, i), (unsigned long long)after);
	}
}

/* --- one_reg: values set by userspace reach the guest ------------------------ */

#ifndef KVM_REG_PPC_PSPB
#define KVM_REG_PPC_PSPB	(KVM_REG_PPC | KVM_REG_SIZE_U32 | 0xb3)
#endif

struct one_reg_spr {
	const char *name;
	uint64_t id;
	unsigned int idx;	/* index in sprs[] */
};

static const struct one_reg_spr one_regs[] = {
	{ "AMR", KVM_REG_PPC_AMR, 0 },
	{ "IAMR", KVM_REG_PPC_IAMR, 1 },
	{ "UAMOR", KVM_REG_PPC_UAMOR, 2 },
	{ "DSCR", KVM_REG_PPC_DSCR, 3 },
	{ "PSPB", KVM_REG_PPC_PSPB, 4 },
	{ "TAR", KVM_REG_PPC_TAR, 5 },
	{ "FSCR", KVM_REG_PPC_FSCR, 6 },
};
#define NONE_REGS	(sizeof(one_regs) / sizeof(one_regs[0]))

static int one_reg(int fd, unsigned long req, uint64_t id, uint64_t *val)
{
	uint32_t v32 = (uint32_t)*val;
	int is32 = (id & KVM_REG_SIZE_MASK) == KVM_REG_SIZE_U32;
	struct kvm_one_reg reg = { .id = id, .addr = is32 ? (uintptr_t)&v32 : (uintptr_t)val };
	int r = ioctl(fd, req, &reg);

	if (is32)
		*val = v32;
	return r;
}

/*
 * The guest's action K_NONE with the writes skipped: the vcpu starts at the
 * "before" reads, so what it reads is what KVM loaded at entry.
 */
static void one_reg_test(struct verdict *vd, struct vm *v, int pat)
{
	uint64_t val, got;
	unsigned int i;
	int r;

	for (i = 0; i < NONE_REGS; i++) {
		val = pattern(pat, one_regs[i].idx);
		if (one_reg(v->vcpu, KVM_SET_ONE_REG, one_regs[i].id, &val))
			fail(vd, "%s: KVM_SET_ONE_REG(%s): %s", pat_name[pat], one_regs[i].name,
			     strerror(errno));
	}
	memset((char *)v->mem + BEFORE_ADDR, 0, 8 * NSPRS);
	if (vcpu_place(v->vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR) ||
	    set_gpr(v, R_ACTION, action_addr[K_NONE]) || set_gpr(v, R_SKIP, 1)) {
		fail(vd, "KVM_SET_REGS: %s", strerror(errno));
		return;
	}
	r = run_checked(v, pat_name[pat], RUN_TIMEOUT_S * 1000);
	if (!at_hcall(vd, v, pat_name[pat], r, H_READY_SPRS))
		return;
	debug_dump(v, "one_reg", pat_name[pat]);
	for (i = 0; i < NONE_REGS; i++) {
		uint64_t in_guest = guest_u64(v, BEFORE_ADDR + 8 * one_regs[i].idx);

		if (one_reg(v->vcpu, KVM_GET_ONE_REG, one_regs[i].id, &got)) {
			fail(vd, "%s: KVM_GET_ONE_REG(%s): %s", pat_name[pat], one_regs[i].name,
			     strerror(errno));
			continue;
		}
		if (got != in_guest)
			fail(vd, "%s: %s: the guest read 0x%llx, KVM_GET_ONE_REG says 0x%llx",
			     pat_name[pat], one_regs[i].name, (unsigned long long)in_guest,
			     (unsigned long long)got);
	}
}

/* Per MMU: a test per exit, then one_reg, then host_sprs. */
#define T_ONE_REG	NKINDS
#define T_HOST		(NKINDS + 1)
#define NTESTS		(NKINDS + 2)

static const char *test_name(int k)
{
	return k < NKINDS ? kind_name[k] : k == T_ONE_REG ? "one_reg" : "host_sprs";
}

static void test_mmu(int kvm, enum mmu mmu, const char *skip)
{
	struct verdict vd[NTESTS] = { 0 };
	struct vm v = VM_INIT(kvm);
	char t[64];
	int k, pat;

	for (k = 0; skip && k < NTESTS; k++) {
		snprintf(t, sizeof(t), "%s_%s", mmu_name[mmu], test_name(k));
		result(1, t, skip);
	}
	if (skip)
		return;
	if (vm_create(&v, mmu, 1, write_guest)) {
		for (k = 0; k < NTESTS; k++)
			fail(&vd[k], "no VM");
		goto out;
	}
	host_vd = &vd[T_HOST];
	for (k = 0; k < T_HOST; k++) {
		struct timespec t0, t1;

		host_step_test = test_name(k);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (pat = 0; pat < NPATS; pat++) {
			if (k < NKINDS)
				one_kind(&vd[k], &v, k, pat);
			else
				one_reg_test(&vd[k], &v, pat);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (getenv("SPRS_DEBUG"))
			diag("%s_%s: %ld ms", mmu_name[mmu], test_name(k),
			     (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
out:
	for (k = 0; k < NTESTS; k++) {
		snprintf(t, sizeof(t), "%s_%s", mmu_name[mmu], test_name(k));
		report_known(&vd[k], t, NULL);
	}
	vm_close(&v);
}

static unsigned int host_cpu(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	unsigned int c = CPU_P9;

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "cpu", 3))
			continue;
		if (strstr(line, "POWER8"))
			c = CPU_P8;
		/* "POWER10 (raw)", "POWER10 (architected)", "Power11 (architected)" */
		else if (strcasestr(line, "POWER10") || strcasestr(line, "POWER11"))
			c = CPU_P10;
		break;
	}
	if (f)
		fclose(f);
	return c;
}

int main(int argc, char **argv)
{
	int kvm = ktap_begin(argc > 1 ? argv[1] : "sprs", 2 * NTESTS);
	cpu_set_t set;
	int here = sched_getcpu();

	if (kvm < 0)
		return 1;
	/* SPRG3 holds this CPU's number: stay on it. */
	CPU_ZERO(&set);
	CPU_SET(here, &set);
	sched_setaffinity(0, sizeof(set), &set);
	cpu = host_cpu();
	host_set();
	host_read(&host_want);
	test_mmu(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX));
	test_mmu(kvm, MMU_HPT, mmu_skip(kvm, MMU_HPT));
	close(kvm);
	return failed ? 1 : 0;
}

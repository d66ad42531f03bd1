// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz - a differential fuzzer of the guest side: random short guest
 * programs and register states, run the same under kvm-hv and kvm_hv_rs.
 *
 *   fuzz record FILE SEED CASES    run CASES cases from SEED (the module
 *                                  loaded now), one line each to FILE
 *   fuzz compare FILE SEED CASES   run them again and compare every line with
 *                                  FILE; KTAP (subtest "fuzz", whose second
 *                                  result ioctl_fuzz.c prints)
 *   fuzz show SEED CASE            one case: its program and its exits
 *   fuzz minimise SEED CASE LOAD_A LOAD_B
 *                                  the smallest case derived from it whose
 *                                  records still differ between the module
 *                                  LOAD_A loads and the one LOAD_B loads
 *                                  (shell commands); compare does this for
 *                                  its first divergence when FUZZ_LOAD_A
 *                                  and FUZZ_LOAD_B are set
 *
 * A case is derived from (SEED, case number) alone: the guest MMU (radix if
 * the host offers it, then HPT, alternating by case; always radix on a host
 * without HPT guests, such as a pseries host), the initial GPRs, CR, XER,
 * LR, CTR, SRR0/1 and MSR (problem state, external interrupts,
 * translation, sometimes big-endian), whether userspace queues an external
 * interrupt before the first entry, and a program of 1 to 8 pieces, each
 * one of:
 *
 *   an hcall            r3 from the hcalls KVM serves itself (H_PROD,
 *                       H_CONFER, H_SET_DABR, H_SET_MODE, H_RANDOM,
 *                       H_REGISTER_VPA, H_PAGE_INIT, H_LOGICAL_CI_LOAD,
 *                       the XICS ones, ...), ones it passes to userspace,
 *                       and numbers nobody serves; r4..r9 random
 *   sc 0, an illegal or privileged instruction, a trap, rfid, attn
 *   mfspr / mtspr       of registers a guest may touch and of hypervisor
 *                       ones (emulated or refused)
 *   a load or store     of 1, 4 or 8 bytes, inside memory, outside every
 *                       memslot (MMIO), across the end of memory, or at a
 *                       random address
 *   mtmsrd              of a random MSR
 *
 * followed by H_READY. The guest's memory holds the interrupt vectors of
 * tests/guest/vmtest.h, which report any interrupt with an hcall.
 *
 * The record of a case is its exits, up to 8: KVM_RUN's return value and
 * errno, the exit reason, the hcall number and arguments, the MMIO address,
 * length, direction and written data, and a hash of the registers after
 * the exit (GPRs, PC, MSR, CR, XER, LR, CTR, SRR0/1). Userspace answers an
 * hcall with a return derived from its number and an MMIO read with bytes
 * derived from its address. A case ends at H_READY, at a reported interrupt
 * (the vector then spins), at an error, after 8 exits, or when the guest
 * has not exited for 25 ms (a guest that spins: KVM_RUN gives EINTR).
 *
 * State a case leaves behind is reset where KVM lets userspace do so: the
 * completion of its last exit (a KVM_RUN with immediate_exit), a queued
 * interrupt, the GPRs and the SPRs mtspr may write, memory's scratch page.
 * What is left (a registered VPA, say) carries over the same way under
 * both modules, so `fuzz show` of a late case may differ from its line.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include "../guest/vmtest.h"

#define MAX_EXITS	8
#define WATCHDOG_MS	25		/* a guest that spins is stopped (EINTR) */
#define MAX_PIECES	8
#define SCRATCH		0x100000UL	/* a page the loads and stores use */
#define NOWHERE		0x10000000UL	/* no memslot: MMIO */

/* xorshift64*: a case's numbers from (seed, case). */
struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct rng *r, uint64_t n) { return next(r) % n; }

static uint64_t pick(struct rng *r, const uint64_t *v, size_t n) { return v[below(r, n)]; }
#define PICK(r, a) pick(r, a, sizeof(a) / sizeof(a[0]))

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

static const uint64_t values[] = {
	0, 1, 2, 3, 4, 7, 8, 0x10, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000,
	0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~1ULL, 0xcafefacec0debabeULL,
	SCRATCH, SCRATCH + 8, MEM_SIZE - 4, MEM_SIZE, NOWHERE, CODE_ADDR, 0x700, 0xc000000000000000ULL,
};

/* Hcalls: served in the kernel, passed to userspace, or unknown. */
static const uint64_t hcalls[] = {
	0x04 /* H_REMOVE */, 0x08 /* H_ENTER */, 0x0c /* H_READ */, 0x10 /* H_CLEAR_MOD */,
	0x14 /* H_CLEAR_REF */, 0x18 /* H_PROTECT */, 0x1c /* H_GET_TCE */, 0x20 /* H_PUT_TCE */,
	0x28 /* H_SET_DABR */, 0x2c /* H_PAGE_INIT */, 0x54 /* H_LOGICAL_CI_LOAD */,
	0x58 /* H_LOGICAL_CI_STORE */, 0x64 /* H_EOI */, 0x68 /* H_CPPR */, 0x6c /* H_IPI */,
	0x70 /* H_IPOLL */, 0x74 /* H_XIRR */, 0x98 /* H_PERFMON */, 0xb4 /* H_REGISTER_VPA */,
	0xdc /* H_REGISTER_VPA */, 0xe4 /* H_CONFER */, 0xe8 /* H_PROD */, 0xf0 /* H_GET_PPP */,
	0x104 /* H_SET_PPP */, 0x108 /* H_PURR */, 0x118 /* H_BULK_REMOVE */, 0x120 /* H_SEND_CRQ */,
	0x280 /* H_SET_XDABR */, 0x2bc /* H_XIRR_X */, 0x300 /* H_RANDOM */, 0x31c /* H_SET_MODE */,
	0x3f8 /* H_CLEAN_SLB */, 0x3fc /* H_INVALIDATE_PID */, 0x400 /* H_RPT_INVALIDATE */,
	0x448, 0x1000, 0x2, 0xf000, 0xf004 /* KVM_HC: H_RTAS */, 0x7000,
};

/* SPRs: a guest's own, and the hypervisor's (emulated or refused). */
static const uint64_t sprs[] = {
	1, 3, 8, 9, 17, 18, 19, 26, 27, 28, 29, 48, 61, 153, 256, 272, 273, 274, 275, 815, 896,
	157 /* UAMOR */, 780 /* BESCR */, 804 /* EBBHR */, 805 /* EBBRR */, 736 /* USIER2 */,
	304 /* HSPRG0 */, 314 /* HSRR0 */, 318 /* LPCR */, 319 /* LPIDR */, 313 /* HRMOR */,
	336 /* HMER */, 1008 /* HID0 */, 0, 2, 777,
};
/*
 * Not PIR (1023), which says which host thread the vcpu ran on, nor the
 * time base, decrementer or PMCs, which say when.
 *
 * USIER2 (736) reads SIER2. On a nested API v2 host, QEMU's L0 neither
 * loads nor saves an L2's SIER2, SIER3 or MMCR3 (hw/ppc/spapr_nested.c
 * lists them as elements it ignores): the L2 reads whatever the emulated
 * CPU it lands on last held, which earlier guests' PMU state left there
 * through the host's switch_pmu_to_guest(). The value then depends on
 * which CPU the fuzzer's thread ran on, not on the module, so on that host
 * the register the read fills is cleared right after it (the case's
 * random draws unchanged).
 */
#define SPR_USIER2 736
/* Those mtspr writes that userspace puts back before each case (ONE_REG). */
static const uint64_t reset_regs[] = {
	KVM_REG_PPC_DAR, KVM_REG_PPC_DSISR, KVM_REG_PPC_AMR, KVM_REG_PPC_IAMR,
	KVM_REG_PPC_UAMOR, KVM_REG_PPC_DSCR, KVM_REG_PPC_TAR, KVM_REG_PPC_FSCR,
	KVM_REG_PPC_PPR, KVM_REG_PPC_VRSAVE, KVM_REG_PPC_PID,
	KVM_REG_PPC_BESCR, KVM_REG_PPC_EBBHR, KVM_REG_PPC_EBBRR, KVM_REG_PPC_SIER,
	KVM_REG_PPC_VPA_ADDR,
};

static const uint64_t odd_insns[] = {
	0x00000000, 0xffffffff, 0x44000002 /* sc 0 */, 0x7fe00008 /* trap */,
	0x00000200 /* attn */, 0x4c000024 /* rfid */, 0x4c000224 /* hrfid */,
	0x7c000124 /* mtmsr r0 */, 0x7c0002e4 /* tlbia */, 0x7c000264 /* tlbie r0 */,
	0x4c000364 /* nap? (v2.06) */, 0x4c0002e4 /* stop */, 0x7c0004ac /* sync */,
	0x4c00012c /* isync */, 0x7c00036c /* eieio */, 0x7c0007a4 /* tlbsync */,
	0x7c2002a6 /* mfspr r1,0 */, 0x4c000064 /* rfscv? */, 0x7c0000a6 /* mfmsr r0 */,
};

/* A load or store: opcode, size in bytes, store? */
struct mem_op { uint32_t op; int size, store; };
static const struct mem_op mem_ops[] = {
	{ 0x88000000, 1, 0 } /* lbz */, { 0x98000000, 1, 1 } /* stb */,
	{ 0x80000000, 4, 0 } /* lwz */, { 0x90000000, 4, 1 } /* stw */,
	{ 0xe8000000, 8, 0 } /* ld */, { 0xf8000000, 8, 1 } /* std */,
};

struct fcase {
	enum mmu mmu;
	struct kvm_regs regs;
	int queue;		/* 0 nothing, 1 external interrupt */
	uint32_t code[MAX_PIECES * 3 + 3];
	int n;
};

static int have_radix, have_hpt, have_v3;
static const struct kvm_ppc_mmuv3_cfg mmu_cfg[2] = {
	[MMU_RADIX] = { .flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE, .process_table = PATB_GR },
};

/* How the runs of this process ended, for the summary. */
enum { END_NONE, END_WATCHDOG, END_ERROR, END_READY, END_VECTOR, END_MAX };
static uint64_t ends[END_MAX];

static void make_case(struct fcase *c, uint64_t seed, uint64_t idx)
{
	struct rng r = { .s = (seed * 0x9e3779b97f4a7c15ULL) ^ (idx + 1) * 0xbf58476d1ce4e5b9ULL };
	int i, pieces;

	if (!r.s)
		r.s = 1;
	memset(c, 0, sizeof(*c));
	c->mmu = have_radix && (!(idx & 1) || !have_hpt) ? MMU_RADIX : MMU_HPT;
	for (i = 0; i < 32; i++)
		c->regs.gpr[i] = below(&r, 4) ? PICK(&r, values) : next(&r);
	c->regs.gpr[1] = SCRATCH + 0x8000;
	c->regs.gpr[21] = SCRATCH + below(&r, 0x100) * 8;
	c->regs.gpr[22] = NOWHERE + below(&r, 0x100) * 8;
	c->regs.gpr[23] = MEM_SIZE - 4;
	c->regs.cr = next(&r) & 0xffffffff;
	c->regs.xer = below(&r, 2) ? 0 : next(&r) & 0xe000007f;
	c->regs.lr = below(&r, 2) ? CODE_ADDR : PICK(&r, values);
	c->regs.ctr = PICK(&r, values);
	c->regs.srr0 = below(&r, 2) ? CODE_ADDR : PICK(&r, values);
	c->regs.srr1 = GUEST_MSR | (below(&r, 2) ? MSR_EE : 0);
	c->regs.pc = CODE_ADDR;
	c->regs.msr = GUEST_MSR;
	if (!below(&r, 3))
		c->regs.msr |= MSR_EE;
	if (!below(&r, 8))
		c->regs.msr |= 1UL << 14;	/* PR */
	if (!below(&r, 8))
		c->regs.msr |= 3UL << 4;	/* IR, DR */
	if (!below(&r, 32))
		c->regs.msr &= ~MSR_LE;
	/*
	 * An external interrupt only for a guest that starts with MSR[EE]
	 * set: KVM then injects it before the first instruction. Were EE
	 * enabled later (or only forced by MSR[PR]), the interrupt would come
	 * through LPCR[MER] at whatever point the emulated CPU notices it, or
	 * be injected at the instruction a host timer interrupt happened to
	 * stop the guest at: the records of one module would not repeat.
	 */
	c->queue = (c->regs.msr & MSR_EE) && below(&r, 3) == 0;

	pieces = 1 + below(&r, MAX_PIECES);
	for (i = 0; i < pieces; i++) {
		int rt = 3 + below(&r, 10), ra = 20 + below(&r, 5);
		const struct mem_op *m;

		switch (below(&r, 6)) {
		case 0:
			c->code[c->n++] = li(3, 0);
			c->code[c->n++] = ori(3, 3, PICK(&r, hcalls));
			c->code[c->n++] = SC1;
			break;
		case 1:
			c->code[c->n++] = (uint32_t)PICK(&r, odd_insns);
			break;
		case 2:
			if (below(&r, 2)) {
				uint64_t spr = PICK(&r, sprs);

				c->code[c->n++] = mfspr(rt, spr);
				if (spr == SPR_USIER2 && host_nestedv2())
					c->code[c->n++] = li(rt, 0);
			} else {
				c->code[c->n++] = mtspr(PICK(&r, sprs), rt);
			}
			break;
		case 3:
		case 4:
			m = &mem_ops[below(&r, 6)];
			c->code[c->n++] = m->op | rt << 21 | ra << 16 |
					  (uint16_t)((below(&r, 4) - 1) * m->size);
			break;
		default:
			c->code[c->n++] = mtmsrd(rt) | (below(&r, 2) ? 1 << 16 : 0);
			break;
		}
	}
	c->code[c->n++] = li(3, H_READY);
	c->code[c->n++] = SC1;
	c->code[c->n++] = b(0);
}

/* One VM per MMU mode, reused: a case only rewrites code and state. */
static struct vm vms[2];

static int made[2];		/* per MMU: 0 not yet, 1 made, -1 failed */

/* The program of the VM's first run: H_READY. */
static void write_ready(uint32_t *mem)
{
	mem[0] = li(3, H_READY);
	mem[1] = SC1;
	mem[2] = b(0);
}

/* Closes the VM of MMU mode m; the next case of that mode makes a new one. */
static void drop_vm(int m)
{
	if (made[m] > 0)
		vm_close(&vms[m]);
	made[m] = 0;
}

/* Closes the VMs, so that the module that serves them can be unloaded. */
static void drop_vms(void)
{
	drop_vm(MMU_RADIX);
	drop_vm(MMU_HPT);
}

static int setup_vm(int kvm, enum mmu mmu)
{
	if (!made[mmu]) {
		uint64_t lpcr;
		struct kvm_one_reg one = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };

		vms[mmu] = (struct vm)VM_INIT(kvm);
		made[mmu] = vm_create(&vms[mmu], mmu, 1, write_ready) ? -1 : 1;
		/*
		 * Interrupts in real mode (LPCR[AIL] = 0): at the vectors, which
		 * report them, not at 0xc000000000004000 with the guest's
		 * (absent) translation, where they would fault forever.
		 */
		if (made[mmu] > 0 && !ioctl(vms[mmu].vcpu, KVM_GET_ONE_REG, &one)) {
			lpcr &= ~0x01800000ULL;
			ioctl(vms[mmu].vcpu, KVM_SET_ONE_REG, &one);
		}
		/*
		 * The first run sets up the guest's MMU (an HPT: tens of ms in
		 * the emulated host, more than a case's watchdog): do it here,
		 * outside every case.
		 */
		if (made[mmu] > 0 && run(&vms[mmu]))
			made[mmu] = -1;
	}
	return made[mmu] > 0 ? 0 : -1;
}

/* Runs case c; its record goes to out (a line without the newline). */
static int run_case(int kvm, struct fcase *c, char *out, size_t size, int verbose)
{
	struct vm *v = &vms[c->mmu];
	struct kvm_run *run;
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_UNSET };
	uint64_t zero = 0, expiry;
	struct kvm_one_reg one = { .addr = (uintptr_t)&zero };
	size_t len = 0, i;
	int e, r;

	if (setup_vm(kvm, c->mmu))
		return -1;
	run = v->run;
	/*
	 * State a previous case may have left. First the completion of its
	 * last exit, which the next KVM_RUN would do: an hcall's return in
	 * r3-r12, an MMIO load's data in its register. KVM_RUN with
	 * immediate_exit does it and returns EINTR.
	 */
	run->immediate_exit = 1;
	ioctl(v->vcpu, KVM_RUN, 0);
	run->immediate_exit = 0;
	ioctl(v->vcpu, KVM_INTERRUPT, &irq);
	for (i = 0; i < sizeof(reset_regs) / sizeof(reset_regs[0]); i++) {
		one.id = reset_regs[i];
		ioctl(v->vcpu, KVM_SET_ONE_REG, &one);
	}
	memset((char *)v->mem + SCRATCH, 0x5a, 0x10000);
	memcpy((char *)v->mem + CODE_ADDR, c->code, c->n * 4);
	/*
	 * The guest's translations cached by earlier cases: configuring the
	 * MMU again (ISA v3 hosts) sets the partition table entry, which
	 * flushes the LPID's TLB entries.
	 */
	if (have_v3)
		ioctl(v->vm, KVM_PPC_CONFIGURE_V3_MMU, &mmu_cfg[c->mmu]);
	expiry = __builtin_ppc_get_timebase() + DEC_FAR;
	one.id = KVM_REG_PPC_DEC_EXPIRY;
	one.addr = (uintptr_t)&expiry;
	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &one) || ioctl(v->vcpu, KVM_SET_REGS, &c->regs))
		return -1;
	if (c->queue == 1) {
		irq.irq = KVM_INTERRUPT_SET;
		ioctl(v->vcpu, KVM_INTERRUPT, &irq);
	}
	out[0] = 0;
	for (i = 0; i < MAX_EXITS; i++) {
		struct kvm_regs regs;
		uint64_t h;
		int n, done = 0;

		r = run_for(v, WATCHDOG_MS);
		e = r ? -r : 0;
		ends[e == EINTR ? END_WATCHDOG : r ? END_ERROR : END_NONE]++;
		n = snprintf(out + len, size - len, "%sr%d", i ? " | " : "", e);
		len += n > 0 ? (size_t)n : 0;
		if (r)
			break;
		n = snprintf(out + len, size - len, " x%u", run->exit_reason);
		len += n > 0 ? (size_t)n : 0;
		if (run->exit_reason == KVM_EXIT_PAPR_HCALL) {
			uint64_t *a = run->papr_hcall.args;

			n = snprintf(out + len, size - len, " h%llx(%llx,%llx,%llx,%llx,%llx,%llx)",
				     (unsigned long long)run->papr_hcall.nr, (unsigned long long)a[0],
				     (unsigned long long)a[1], (unsigned long long)a[2],
				     (unsigned long long)a[3], (unsigned long long)a[4],
				     (unsigned long long)a[5]);
			len += n > 0 ? (size_t)n : 0;
			run->papr_hcall.ret = run->papr_hcall.nr & 0xff;
			done = run->papr_hcall.nr == H_READY ||
			       (run->papr_hcall.nr & ~0xfffULL) == H_VECTOR;
			if (done)
				ends[run->papr_hcall.nr == H_READY ? END_READY : END_VECTOR]++;
		} else if (run->exit_reason == KVM_EXIT_MMIO) {
			uint64_t d = 0;

			memcpy(&d, run->mmio.data, sizeof(d));
			n = snprintf(out + len, size - len, " m%llx:%u:%u:%llx",
				     (unsigned long long)run->mmio.phys_addr, run->mmio.len,
				     run->mmio.is_write, run->mmio.is_write ? (unsigned long long)d : 0ULL);
			len += n > 0 ? (size_t)n : 0;
			if (!run->mmio.is_write) {
				h = fnv(0xcbf29ce484222325ULL, &run->mmio.phys_addr, 8);
				memcpy(run->mmio.data, &h, sizeof(run->mmio.data));
			}
		} else {
			done = 1;
		}
		if (ioctl(v->vcpu, KVM_GET_REGS, &regs)) {
			n = snprintf(out + len, size - len, " getregs-%d", errno);
			len += n > 0 ? (size_t)n : 0;
			break;
		}
		h = fnv(0xcbf29ce484222325ULL, &regs, sizeof(regs));
		n = snprintf(out + len, size - len, " g%016llx", (unsigned long long)h);
		len += n > 0 ? (size_t)n : 0;
		if (verbose) {
			printf("# exit %zu: pc %llx msr %llx r3 %llx r4 %llx lr %llx srr0 %llx srr1 %llx\n", i,
			       (unsigned long long)regs.pc, (unsigned long long)regs.msr,
			       (unsigned long long)regs.gpr[3], (unsigned long long)regs.gpr[4],
			       (unsigned long long)regs.lr, (unsigned long long)regs.srr0,
			       (unsigned long long)regs.srr1);
		}
		if (done || len >= size - 200)
			break;
	}
	return 0;
}

static void print_case(const struct fcase *c, uint64_t seed, uint64_t idx)
{
	int i;

	printf("# case %llu of seed %llu: %s guest, msr %llx, queued %s\n", (unsigned long long)idx,
	       (unsigned long long)seed, mmu_name[c->mmu], (unsigned long long)c->regs.msr,
	       c->queue ? "an external interrupt" : "nothing");
	printf("#   code:");
	for (i = 0; i < c->n; i++)
		printf(" %08x", c->code[i]);
	printf("\n#   r3-r9: %llx %llx %llx %llx %llx %llx %llx, r20-r24: %llx %llx %llx %llx %llx\n",
	       (unsigned long long)c->regs.gpr[3], (unsigned long long)c->regs.gpr[4],
	       (unsigned long long)c->regs.gpr[5], (unsigned long long)c->regs.gpr[6],
	       (unsigned long long)c->regs.gpr[7], (unsigned long long)c->regs.gpr[8],
	       (unsigned long long)c->regs.gpr[9], (unsigned long long)c->regs.gpr[20],
	       (unsigned long long)c->regs.gpr[21], (unsigned long long)c->regs.gpr[22],
	       (unsigned long long)c->regs.gpr[23], (unsigned long long)c->regs.gpr[24]);
}

/*
 * Minimising a divergence. A reduction makes one part of a case plainer:
 * an instruction of the program becomes a nop, the queued interrupt goes,
 * an MSR bit the generator may set is cleared, a register becomes zero. A
 * reduction is kept if the case still gives different records under the
 * two modules (each run in a fresh VM, LOAD_A and LOAD_B being the shell
 * commands that put one module in place of the other), and the passes
 * repeat until none is kept. What is printed is the smallest case found,
 * whole, with both records.
 */
#define NOP		0x60000000
#define N_REDUCTIONS	(MAX_PIECES * 3 + 1 + 4 + 32 + 6)

/* Applies reduction k to c; 0 if it changes nothing. */
static int reduce(struct fcase *c, int k)
{
	static const uint64_t msr_bits[4] = { MSR_EE, 1UL << 14, 3UL << 4, 0 };
	struct fcase old = *c;

	if (k < c->n - 3) {
		c->code[k] = NOP;	/* the H_READY sc 1 and b . stay */
	} else if ((k -= MAX_PIECES * 3) == 0) {
		c->queue = 0;
	} else if (k >= 1 && k < 5) {
		if (msr_bits[k - 1])
			c->regs.msr &= ~msr_bits[k - 1];
		else
			c->regs.msr |= MSR_LE;
	} else if (k >= 5 && k < 37) {
		int g = k - 5;

		if (g != 1 && (g < 21 || g > 23))	/* r1, r21-r23: addresses */
			c->regs.gpr[g] = 0;
	} else if (k >= 37 && k < 43) {
		uint64_t *f[] = { &c->regs.cr, &c->regs.xer, &c->regs.ctr, &c->regs.lr,
				  &c->regs.srr0, &c->regs.srr1 };
		uint64_t plain[] = { 0, 0, 0, CODE_ADDR, CODE_ADDR, GUEST_MSR };

		*f[k - 37] = plain[k - 37];
	}
	return memcmp(&old, c, sizeof(old)) != 0;
}

/* Runs c under both modules: 1 if the records differ, 0 if not, -1 on error. */
static int differs(const struct fcase *c, const char *load[2], char rec[2][8192])
{
	struct fcase cc;
	int m, kvm;

	for (m = 0; m < 2; m++) {
		drop_vms();
		if (system(load[m])) {
			printf("    # minimise: `%s` failed\n", load[m]);
			return -1;
		}
		kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		cc = *c;
		if (kvm < 0 || run_case(kvm, &cc, rec[m], sizeof(rec[m]), 0)) {
			printf("    # minimise: no VM under `%s`\n", load[m]);
			if (kvm >= 0)
				close(kvm);
			return -1;
		}
		drop_vms();
		close(kvm);
	}
	return strcmp(rec[0], rec[1]) != 0;
}

/*
 * A record that ends with the watchdog's EINTR: the run had not exited after
 * WATCHDOG_MS. That depends on time, and the emulated host's time is not
 * the module's: QEMU translates kernel code the first time it runs, so the
 * first module to take a path (the recording one) can be the slower, and
 * the host's vCPU threads share the real machine's two cores. Seen: case 8
 * of seed 20261206 on powernv8 after case 7, under kvm-hv only, every time;
 * with a 2 s watchdog kvm-hv gave kvm_hv_rs's record.
 */
static int ends_by_watchdog(const char *rec)
{
	size_t l = strlen(rec);

	return l >= 2 && !strcmp(rec + l - 2, "r4") && (l == 2 || rec[l - 3] == ' ');
}

/*
 * Minimises case idx of seed; leaves module B (load[1]) loaded. 0 if the
 * case does not diverge on its own.
 */
static int minimise(uint64_t seed, uint64_t idx, const char *load[2])
{
	static char rec[2][8192], best[2][8192];	/* the last run's, c's */
	struct fcase c, t;
	int k, kept, runs = 0, d;

	make_case(&c, seed, idx);
	d = differs(&c, load, rec);
	runs++;
	if (d <= 0) {
		if (!d)
			printf("    # minimise: case %llu alone, in a fresh VM, does not diverge: it needs what the cases before it left\n",
			       (unsigned long long)idx);
		if (system(load[1]))
			printf("    # minimise: `%s` failed\n", load[1]);
		return 0;
	}
	memcpy(best, rec, sizeof(best));
	do {
		kept = 0;
		for (k = 0; k < N_REDUCTIONS; k++) {
			t = c;
			if (!reduce(&t, k))
				continue;
			d = differs(&t, load, rec);
			runs++;
			if (d < 0)
				break;
			if (d) {
				c = t;
				memcpy(best, rec, sizeof(best));
				kept++;
			}
		}
	} while (kept && d >= 0);
	printf("    # minimised case %llu of seed %llu (%d runs under each module):\n",
	       (unsigned long long)idx, (unsigned long long)seed, runs);
	print_case(&c, seed, idx);
	printf("    #   gprs:");
	for (k = 0; k < 32; k++)
		if (c.regs.gpr[k])
			printf(" r%d=%llx", k, (unsigned long long)c.regs.gpr[k]);
	printf("\n    #   cr %llx xer %llx ctr %llx lr %llx srr0 %llx srr1 %llx\n",
	       (unsigned long long)c.regs.cr, (unsigned long long)c.regs.xer,
	       (unsigned long long)c.regs.ctr, (unsigned long long)c.regs.lr,
	       (unsigned long long)c.regs.srr0, (unsigned long long)c.regs.srr1);
	printf("    #   under A: %s\n    #   under B: %s\n", best[0], best[1]);
	return 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char line[8192], want[8192 + 64];
	struct fcase c;
	uint64_t seed, n, i, bad = 0, bad_idx[8], stalls = 0;
	int stall[8];
	/*
	 * Per MMU mode: since case after[mode] - 1, which the watchdog stopped
	 * in this run only, this run's VM is a new one and the record's is
	 * not (0: the two are in step).
	 */
	uint64_t after[2] = { 0, 0 }, follows[8];
	const char *rec;
	const char *load[2] = { getenv("FUZZ_LOAD_A"), getenv("FUZZ_LOAD_B") };
	int kvm, mode;
	double t0, tc, slowest = 0;	/* tc: a case's start, then its time */
	uint64_t slowest_i = 0;		/* the slowest case: a long run says where */
	FILE *f = NULL;

	if (argc == 4 && !strcmp(argv[1], "show")) {
		mode = 2;
	} else if (argc == 6 && !strcmp(argv[1], "minimise")) {
		mode = 3;
		load[0] = argv[4];
		load[1] = argv[5];
	} else if (argc == 5 && (!strcmp(argv[1], "record") || !strcmp(argv[1], "compare"))) {
		mode = !strcmp(argv[1], "compare");
	} else {
		fprintf(stderr, "usage: fuzz record|compare FILE SEED CASES | fuzz show SEED CASE |\n"
				"       fuzz minimise SEED CASE LOAD_A LOAD_B\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, NULL);	/* no SA_RESTART */
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("# open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	have_radix = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) > 0;
	have_v3 = have_radix || ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0;
	have_hpt = !mmu_skip(kvm, MMU_HPT);
	/*
	 * One host CPU: what the guest's translations leave cached, and which
	 * CPU's registers it reads, is then the same from run to run.
	 */
	{
		int cpu = sched_getcpu();
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (mode == 3) {
		close(kvm);
		return !minimise(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0), load);
	}
	if (mode == 2) {
		seed = strtoull(argv[2], NULL, 0);
		i = strtoull(argv[3], NULL, 0);
		make_case(&c, seed, i);
		print_case(&c, seed, i);
		if (run_case(kvm, &c, line, sizeof(line), 1))
			return 1;
		printf("# exits: %s\n", line);
		return 0;
	}
	seed = strtoull(argv[3], NULL, 0);
	n = strtoull(argv[4], NULL, 0);
	f = fopen(argv[2], mode ? "r" : "w");
	if (!f) {
		printf("# %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (mode)
		printf("    KTAP version 1\n    # Subtest: fuzz\n    1..2\n");	/* 2: ioctl_fuzz's */
	t0 = now();
	for (i = 0; i < n; i++) {
		make_case(&c, seed, i);
		tc = now();
		if (run_case(kvm, &c, line, sizeof(line), 0)) {
			printf("# case %llu: no %s VM\n", (unsigned long long)i, mmu_name[c.mmu]);
			bad++;
			break;
		}
		tc = now() - tc;	/* this case's time */
		if (tc > slowest) {
			slowest = tc;
			slowest_i = i;
		}
		if (!mode) {
			fprintf(f, "%llu %s\n", (unsigned long long)i, line);
			if (ends_by_watchdog(line))
				drop_vm(c.mmu);
			continue;
		}
		if (!fgets(want, sizeof(want), f)) {
			printf("    # %s ends before case %llu\n", argv[2], (unsigned long long)i);
			bad++;
			break;
		}
		want[strcspn(want, "\n")] = 0;
		rec = strchr(want, ' ') ? strchr(want, ' ') + 1 : want;	/* after "CASE " */
		/*
		 * A case the watchdog stopped leaves what it did in WATCHDOG_MS
		 * (hcalls the kernel served, H_ENTERs among them, and stores):
		 * how much depends on time. The next case of its MMU mode starts
		 * in a new VM, in both runs when either was stopped.
		 */
		if (ends_by_watchdog(rec) || ends_by_watchdog(line))
			drop_vm(c.mmu);
		if (strcmp(rec, line)) {
			if (bad < 8) {
				bad_idx[bad] = i;
				/*
				 * Only one of the two was stopped by the
				 * watchdog, or an earlier case was and the two
				 * VMs have not been in step since.
				 */
				stall[bad] = ends_by_watchdog(rec) != ends_by_watchdog(line) ||
					     after[c.mmu];
				follows[bad] = after[c.mmu];
			}
			if (bad++ < 3) {
				printf("    # divergence: replay with `make fuzz SEED=%llu CASE=%llu`\n",
				       (unsigned long long)seed, (unsigned long long)i);
				print_case(&c, seed, i);
				printf("    # recorded: %s\n    # now:      %s\n", want, line);
			} else if (bad < 40) {
				printf("    # also case %llu: recorded %.60s\n    #              now %.60s\n",
				       (unsigned long long)i, rec, line);
			}
		}
		/*
		 * The record run drops its VM only after its own watchdog stops:
		 * when this run alone was stopped, the next cases of the mode run
		 * in a new VM here and in the old one in the record, until the
		 * record's next stop starts both anew.
		 */
		if (ends_by_watchdog(rec))
			after[c.mmu] = 0;
		else if (ends_by_watchdog(line) && !after[c.mmu])
			after[c.mmu] = i + 1;
	}
	printf("# %llu cases in %.1f s (%.0f cases/s), seed %llu: %llu reached H_READY, %llu an interrupt vector, %llu stopped by the watchdog, %llu KVM_RUN errors\n",
	       (unsigned long long)i, now() - t0, i / (now() - t0 + 1e-9), (unsigned long long)seed,
	       (unsigned long long)ends[END_READY], (unsigned long long)ends[END_VECTOR],
	       (unsigned long long)ends[END_WATCHDOG], (unsigned long long)ends[END_ERROR]);
	printf("# the slowest case: %llu, %.3f s\n", (unsigned long long)slowest_i, slowest);
	if (mode && bad && load[0] && load[1]) {
		static char alone[2][8192];
		uint64_t k, real = bad;

		drop_vms();
		close(kvm);
		/*
		 * A divergence in which only one module's run was stopped by the
		 * watchdog, and which the case alone in a fresh VM does not repeat
		 * (both modules give the same record there), was the emulated
		 * host's time, not the module: said, and not counted. One that
		 * repeats alone is minimised below like any other.
		 */
		for (k = 0; k < bad && k < 8; k++) {
			if (!stall[k])
				continue;
			make_case(&c, seed, bad_idx[k]);
			if (differs(&c, load, alone))
				continue;
			if (follows[k])
				printf("    # case %llu: follows case %llu, which the %d ms watchdog stopped in this run only, so this run's VM was new and the record's was not; alone in a fresh VM both give \"%.60s\": the emulated host's time, not counted\n",
				       (unsigned long long)bad_idx[k], (unsigned long long)(follows[k] - 1),
				       WATCHDOG_MS, alone[0]);
			else
				printf("    # case %llu: only one module's run was stopped by the %d ms watchdog, and alone in a fresh VM both give \"%.60s\": a stall of the emulated host, not counted\n",
				       (unsigned long long)bad_idx[k], WATCHDOG_MS, alone[0]);
			stall[k] = -1;
			stalls++;
			real--;
		}
		if (stalls && system(load[1]))
			printf("    # `%s` failed\n", load[1]);
		for (k = 0; real && k < bad && k < 8; k++)
			if (stall[k] != -1 && minimise(seed, bad_idx[k], load))
				break;
		bad = real;
	}
	if (mode) {
		printf("    # %llu of %llu cases diverged (%llu more were the watchdog's timing)\n",
		       (unsigned long long)bad, (unsigned long long)i, (unsigned long long)stalls);
		printf("    %sok 1 same_exits\n", bad ? "not " : "");
	}
	fclose(f);
	return bad ? 1 : 0;
}

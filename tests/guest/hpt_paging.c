// SPDX-License-Identifier: GPL-2.0
/*
 * hpt_paging - an HPT guest that turns relocation on and touches memory
 * beyond its RMA.
 *
 * The VM has two memory slots: slot 0 (MEM_SIZE at guest physical 0), which
 * the VRMA maps for real mode, and slot 1 (SLOT1_SIZE at SLOT1_GPA, shared
 * anonymous memory), which only the guest's own HPTEs reach. Its HPT is
 * allocated with KVM_PPC_ALLOCATE_HTAB (order HPT_ORDER) so that the guest
 * can name HPTE groups. The guest runs in real mode from CODE_ADDR; it
 * reports each step to userspace with an hcall (H_STEP + n):
 *
 *   h_enter           H_ENTER maps four 4 KiB pages of one 256 MiB segment:
 *                     A (slot 1, written by the host), B (slot 1, never
 *                     touched: H_ENTER finds no host page and leaves the
 *                     HPTE absent), C (slot 1, code written by the host) and
 *                     M (a guest physical address in no slot: emulated
 *                     MMIO). Each returns H_SUCCESS with a slot of the
 *                     group asked for. Userspace then drops its mappings
 *                     of A and C (MADV_DONTNEED on shared memory: the MMU
 *                     notifier invalidates their HPTEs, the pages stay)
 *   fault_beyond_rma  the guest loads its SLB entry, sets MSR[DR], reads A
 *                     (the host's value) and B (zero), writes both; every
 *                     access is a hypervisor page fault the host serves.
 *                     B is then resident and holds the guest's value
 *   mmio_store        a store to M: KVM_EXIT_MMIO, a write of 8 bytes at
 *                     M's guest physical address with the guest's value
 *   mmio_load         a load from M + 8: KVM_EXIT_MMIO, a read; what
 *                     userspace puts in R->mmio.data reaches the guest's
 *                     register on the next KVM_RUN
 *   dsi_no_hpte       a load from an address of the segment with no HPTE:
 *                     the host reflects a data storage interrupt (0x300)
 *                     with DAR = the address, DSISR[NOHPTE], SRR0 = the
 *                     load, SRR1[DR]
 *   ifetch_beyond_rma the guest rfids to C with MSR[IR|DR]: the instruction
 *                     fetch is a page fault the host serves, and C's code
 *                     reports its MSR from relocated code
 *
 * On a host without HPT guests (radix only, as on a pseries host) every
 * test is skipped. Output is KTAP, indented as a subtest of the harness's
 * KTAP.
 *
 * Usage: hpt_paging NAME
 */
#include "vmtest.h"

#define HPT_ORDER	18
#define HPT_MASK	((1UL << (HPT_ORDER - 7)) - 1)	/* HPTE groups - 1 */
#define SLOT1_GPA	0x10000000UL
#define SLOT1_SIZE	(2UL << 20)
#define MMIO_GPA	0x20000000UL
#define VSID		0x1234UL
#define SEG_EA		0x40000000UL	/* ESID 4 */
#define H_ENTER		0x08
#define H_STEP		0x7020
#define GUEST_VAL	0x0badc0de600dcafeUL
#define HOST_VAL	0x1122334455667788UL
#define MMIO_VAL	0xfeedfacecafe0123UL
#define MSR_IR		(1UL << 5)
#define MSR_DR		(1UL << 4)
#define DSISR_NOHPTE	0x40000000UL
#define DSISR_ISSTORE	0x02000000UL
#define HPTE_V_VALID	1UL
#define HPTE_R_M	0x10UL
#define HPTE_R_I	0x20UL
#define HPTE_R_G	0x08UL
#define HPTE_R_PP_RW	0x2UL

/* The pages the guest maps, at SEG_EA + page * 4 KiB; N has no HPTE. */
enum page { PG_A, PG_B, PG_C, PG_M, PG_N, PAGES };
#define MAPPED		PG_N
/* Where in slot 1 (or for M, the guest physical address). */
static const uint64_t page_gpa[MAPPED] = {
	SLOT1_GPA, SLOT1_GPA + 0x10000, SLOT1_GPA + 0x20000, MMIO_GPA,
};

/* The guest reads its parameters from PARAMS in real mode (ld rt,d(0)). */
#define PARAMS		0x1800
#define P_PTEX(i)	(PARAMS + 0x00 + 8 * (i))
#define P_PTEH(i)	(PARAMS + 0x20 + 8 * (i))
#define P_PTEL(i)	(PARAMS + 0x40 + 8 * (i))
#define P_EA(i)		(PARAMS + 0x60 + 8 * (i))
#define P_SLB_RS	(PARAMS + 0x88)
#define P_SLB_RB	(PARAMS + 0x90)
#define P_VAL		(PARAMS + 0x98)
#define IFETCH_ADDR	(CODE_ADDR + 0x400)

enum { T_HENTER, T_FAULT, T_MMIO_ST, T_MMIO_LD, T_DSI, T_IFETCH, TESTS };
static const char *const names[TESTS] = {
	"hpt_h_enter", "hpt_fault_beyond_rma", "hpt_mmio_store", "hpt_mmio_load",
	"hpt_dsi_no_hpte", "hpt_ifetch_beyond_rma",
};

static uint64_t ea(enum page pg) { return SEG_EA + pg * 0x1000UL; }

/* The primary HPTE group of a 4 KiB page in a 256 MiB segment: its first slot. */
static uint64_t ptex(enum page pg)
{
	uint64_t hash = (VSID & 0x7fffffffffUL) ^ ((ea(pg) & 0x0fffffffUL) >> 12);

	return (hash & HPT_MASK) * 8;
}

static uint64_t *param(uint32_t *mem, unsigned int off) { return (uint64_t *)((char *)mem + off); }

/* Address of the load that takes the data storage interrupt. */
static uint64_t dsi_pc;

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;
	int i;

	for (i = 0; i < MAPPED; i++) {
		uint64_t va = VSID << 28 | (ea(i) & 0x0fffffffUL);

		*param(mem, P_PTEX(i)) = ptex(i);
		/* AVPN = VA >> 23 at bit 7, B = 0 (256 MiB segment), V */
		*param(mem, P_PTEH(i)) = (va >> 23) << 7 | HPTE_V_VALID;
		*param(mem, P_PTEL(i)) = page_gpa[i] | HPTE_R_PP_RW |
			(i == PG_M ? HPTE_R_I | HPTE_R_G : HPTE_R_M);
	}
	for (i = 0; i < PAGES; i++)
		*param(mem, P_EA(i)) = ea(i);
	*param(mem, P_SLB_RS) = VSID << 12;		/* B = 256 MiB, Ks = Kp = 0 */
	*param(mem, P_SLB_RB) = SEG_EA | 1UL << 27;	/* ESID, V, entry 0 */
	*param(mem, P_VAL) = GUEST_VAL;

	/* h_enter: H_ENTER(0, ptex, pteh, ptel) for A, B, C, M; r20.. keep r3, r4 */
	for (i = 0; i < MAPPED; i++) {
		*p++ = li(3, H_ENTER);
		*p++ = li(4, 0);
		*p++ = ld(5, P_PTEX(i), 0);
		*p++ = ld(6, P_PTEH(i), 0);
		*p++ = ld(7, P_PTEL(i), 0);
		*p++ = SC1;
		*p++ = mr(20 + 2 * i, 3);
		*p++ = mr(21 + 2 * i, 4);
	}
	*p++ = li(3, H_STEP + T_HENTER);
	for (i = 0; i < MAPPED; i++) {
		*p++ = mr(4 + i, 20 + 2 * i);		/* r4..r7: return codes */
		*p++ = mr(8 + i, 21 + 2 * i);		/* r8..r11: slots */
	}
	*p++ = SC1;

	/* fault_beyond_rma: r16 = real-mode MSR, r17 = with DR */
	*p++ = ld(8, P_SLB_RS, 0);
	*p++ = ld(9, P_SLB_RB, 0);
	*p++ = slbmte(8, 9);
	*p++ = ISYNC;
	*p++ = ld(10, P_EA(PG_A), 0);
	*p++ = ld(11, P_EA(PG_B), 0);
	*p++ = ld(12, P_EA(PG_M), 0);
	*p++ = ld(14, P_EA(PG_N), 0);
	*p++ = ld(15, P_VAL, 0);
	*p++ = mfmsr(16);
	*p++ = ori(17, 16, MSR_DR);
	*p++ = mtmsrd(17);
	*p++ = ISYNC;
	*p++ = ld(18, 0, 10);
	*p++ = ld(19, 0, 11);
	*p++ = std_(15, 8, 10);
	*p++ = std_(15, 8, 11);
	*p++ = mtmsrd(16);
	*p++ = ISYNC;
	*p++ = li(3, H_STEP + T_FAULT);
	*p++ = mr(4, 18);
	*p++ = mr(5, 19);
	*p++ = SC1;

	/* mmio_store, mmio_load */
	*p++ = mtmsrd(17);
	*p++ = ISYNC;
	*p++ = std_(15, 0, 12);
	*p++ = ld(18, 8, 12);
	*p++ = mtmsrd(16);
	*p++ = ISYNC;
	*p++ = li(3, H_STEP + T_MMIO_LD);
	*p++ = mr(4, 18);
	*p++ = SC1;

	/* dsi_no_hpte */
	*p++ = mtmsrd(17);
	*p++ = ISYNC;
	dsi_pc = (uint64_t)((char *)p - (char *)mem);
	*p++ = ld(18, 0, 14);
	*p++ = b(0);

	/* ifetch_beyond_rma, entered at IFETCH_ADDR in real mode */
	p = mem + IFETCH_ADDR / 4;
	*p++ = ld(9, P_EA(PG_C), 0);
	*p++ = mtspr(SPR_SRR0, 9);
	*p++ = mfmsr(10);
	*p++ = ori(10, 10, MSR_IR | MSR_DR);
	*p++ = mtspr(SPR_SRR1, 10);
	*p++ = RFID;

	/* 0x300 reports DAR, DSISR, SRR0, SRR1 in r4..r7 */
	p = mem + 0x300 / 4;
	*p++ = li(3, H_VECTOR + 0x300);
	*p++ = mfspr(4, SPR_DAR);
	*p++ = mfspr(5, SPR_DSISR);
	*p++ = mfspr(6, SPR_SRR0);
	*p++ = mfspr(7, SPR_SRR1);
	*p++ = SC1;
	*p = b(0);
}

/* Page C's code, run with relocation on: report the MSR. */
static void write_page_c(uint32_t *p)
{
	*p++ = li(3, H_STEP + T_IFETCH);
	*p++ = mfmsr(4);
	*p++ = SC1;
	*p = b(0);
}

/* Argument i of the last hcall exit (r4 + i). */
#define A(i)	((unsigned long long)R->papr_hcall.args[i])

/* KVM_RUN until an exit; 0 if it is the hcall `nr` (else says why in vd). */
static int run_to(struct verdict *vd, struct vm *v, uint64_t nr)
{
	struct kvm_run *R = v->run;
	int r = run(v);

	if (r) {
		fail(vd, "KVM_RUN: %s (exit_reason %u)", strerror(-r), R->exit_reason);
		return -1;
	}
	if (R->exit_reason != KVM_EXIT_PAPR_HCALL) {
		fail(vd, "exit_reason %u, want KVM_EXIT_PAPR_HCALL 0x%llx", R->exit_reason,
		     (unsigned long long)nr);
		return -1;
	}
	if (R->papr_hcall.nr != nr) {
		fail(vd, "hcall 0x%llx (r4..r7 0x%llx 0x%llx 0x%llx 0x%llx), want 0x%llx",
		     (unsigned long long)R->papr_hcall.nr, A(0), A(1), A(2), A(3),
		     (unsigned long long)nr);
		return -1;
	}
	return 0;
}

/* KVM_RUN to a KVM_EXIT_MMIO of `len` bytes at `gpa`; 0 if so. */
static int run_to_mmio(struct verdict *vd, struct vm *v, uint64_t gpa, int is_write)
{
	struct kvm_run *R = v->run;
	int r = run(v);

	if (r) {
		fail(vd, "KVM_RUN: %s (exit_reason %u)", strerror(-r), R->exit_reason);
		return -1;
	}
	if (R->exit_reason != KVM_EXIT_MMIO) {
		fail(vd, "exit_reason %u (hcall 0x%llx, r4 0x%llx), want KVM_EXIT_MMIO",
		     R->exit_reason, (unsigned long long)R->papr_hcall.nr, A(0));
		return -1;
	}
	if (R->mmio.phys_addr != gpa || R->mmio.len != 8 || R->mmio.is_write != is_write) {
		fail(vd, "MMIO at 0x%llx len %u write %u, want 0x%llx len 8 write %d",
		     (unsigned long long)R->mmio.phys_addr, R->mmio.len, R->mmio.is_write,
		     (unsigned long long)gpa, is_write);
		return -1;
	}
	return 0;
}

static int resident(const void *addr)
{
	unsigned char vec = 0;

	if (mincore((void *)((uintptr_t)addr & ~(uintptr_t)(getpagesize() - 1)), 1, &vec))
		return -1;
	return vec & 1;
}

static void test_hpt(int kvm)
{
	struct verdict vd[TESTS] = { 0 };
	struct vm v = VM_INIT(kvm);
	struct kvm_userspace_memory_region slot1 = {
		.slot = 1, .guest_phys_addr = SLOT1_GPA, .memory_size = SLOT1_SIZE,
	};
	uint32_t order = HPT_ORDER;
	uint64_t val, *a, *bp;
	char *s1 = MAP_FAILED;
	struct kvm_run *R;
	const char *skip = mmu_skip(kvm, MMU_HPT);
	int i, t = 0;

	if (skip) {
		for (i = 0; i < TESTS; i++)
			result(1, names[i], skip);
		return;
	}
	if (vm_create(&v, MMU_HPT, 1, write_guest))
		goto out;
	R = v.run;
	s1 = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s1 == MAP_FAILED) {
		fail(&vd[0], "mmap slot 1: %s", strerror(errno));
		goto out;
	}
	a = (uint64_t *)(s1 + (page_gpa[PG_A] - SLOT1_GPA));
	bp = (uint64_t *)(s1 + (page_gpa[PG_B] - SLOT1_GPA));
	a[0] = HOST_VAL;
	write_page_c((uint32_t *)(s1 + (page_gpa[PG_C] - SLOT1_GPA)));
	slot1.userspace_addr = (uintptr_t)s1;
	if (ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &slot1)) {
		fail(&vd[0], "KVM_SET_USER_MEMORY_REGION(slot 1): %s", strerror(errno));
		goto out;
	}
	if (ioctl(v.vm, KVM_PPC_ALLOCATE_HTAB, &order)) {
		fail(&vd[0], "KVM_PPC_ALLOCATE_HTAB(%u): %s", order, strerror(errno));
		goto out;
	}
	if (vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&vd[0], "placing the vcpu: %s", strerror(errno));
		goto out;
	}
	if (resident(bp) != 0)
		fail(&vd[0], "page B resident before the guest ran (mincore %d)", resident(bp));

	/* h_enter */
	if (run_to(&vd[t], &v, H_STEP + T_HENTER))
		goto out;
	for (i = 0; i < MAPPED; i++) {
		if (A(i) != 0)
			fail(&vd[t], "H_ENTER of page %c: 0x%llx, want H_SUCCESS", "ABCM"[i], A(i));
		else if ((A(4 + i) & ~7ULL) != ptex(i))
			fail(&vd[t], "H_ENTER of page %c: slot 0x%llx, not in group 0x%llx",
			     "ABCM"[i], A(4 + i), (unsigned long long)ptex(i) / 8);
	}
	if (madvise(s1, SLOT1_SIZE, MADV_DONTNEED))
		fail(&vd[t], "MADV_DONTNEED: %s", strerror(errno));
	if (vd[t].failed)
		goto out;

	/* fault_beyond_rma */
	t = T_FAULT;
	if (run_to(&vd[t], &v, H_STEP + T_FAULT))
		goto out;
	if (A(0) != HOST_VAL)
		fail(&vd[t], "guest read 0x%llx from A, want 0x%llx", A(0),
		     (unsigned long long)HOST_VAL);
	if (A(1) != 0)
		fail(&vd[t], "guest read 0x%llx from B, want 0", A(1));
	if (resident(bp) != 1)
		fail(&vd[t], "page B not resident after the guest wrote it (mincore %d)",
		     resident(bp));
	if (a[1] != GUEST_VAL || bp[1] != GUEST_VAL || bp[0] != 0)
		fail(&vd[t], "slot 1 holds A[1] 0x%llx, B[0] 0x%llx, B[1] 0x%llx; want 0x%llx, 0, 0x%llx",
		     (unsigned long long)a[1], (unsigned long long)bp[0], (unsigned long long)bp[1],
		     (unsigned long long)GUEST_VAL, (unsigned long long)GUEST_VAL);
	if (vd[t].failed)
		goto out;

	/* mmio_store */
	t = T_MMIO_ST;
	if (run_to_mmio(&vd[t], &v, MMIO_GPA, 1))
		goto out;
	memcpy(&val, R->mmio.data, 8);
	if (val != GUEST_VAL) {
		fail(&vd[t], "MMIO data 0x%llx, want 0x%llx", (unsigned long long)val,
		     (unsigned long long)GUEST_VAL);
		goto out;
	}

	/* mmio_load */
	t = T_MMIO_LD;
	if (run_to_mmio(&vd[t], &v, MMIO_GPA + 8, 0))
		goto out;
	val = MMIO_VAL;
	memcpy(R->mmio.data, &val, 8);
	if (run_to(&vd[t], &v, H_STEP + T_MMIO_LD))
		goto out;
	if (A(0) != MMIO_VAL) {
		fail(&vd[t], "guest loaded 0x%llx, want 0x%llx", A(0), (unsigned long long)MMIO_VAL);
		goto out;
	}

	/* dsi_no_hpte */
	t = T_DSI;
	if (run_to(&vd[t], &v, H_VECTOR + 0x300))
		goto out;
	if (A(0) != ea(PG_N))
		fail(&vd[t], "DAR 0x%llx, want 0x%llx", A(0), (unsigned long long)ea(PG_N));
	if ((A(1) & (DSISR_NOHPTE | DSISR_ISSTORE)) != DSISR_NOHPTE)
		fail(&vd[t], "DSISR 0x%llx, want NOHPTE and a load", A(1));
	if (A(2) != dsi_pc)
		fail(&vd[t], "SRR0 0x%llx, want 0x%llx", A(2), (unsigned long long)dsi_pc);
	if (!(A(3) & MSR_DR) || (A(3) & MSR_IR))
		fail(&vd[t], "SRR1 0x%llx, want DR on and IR off", A(3));
	if (vd[t].failed)
		goto out;

	/* ifetch_beyond_rma */
	t = T_IFETCH;
	if (vcpu_place(v.vcpu, IFETCH_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&vd[t], "placing the vcpu: %s", strerror(errno));
		goto out;
	}
	if (run_to(&vd[t], &v, H_STEP + T_IFETCH))
		goto out;
	if ((A(0) & (MSR_IR | MSR_DR)) != (MSR_IR | MSR_DR))
		fail(&vd[t], "MSR in page C 0x%llx, want IR and DR", A(0));
	t = TESTS;
out:
	for (i = 0; i < TESTS; i++) {
		if (i > t && !vd[i].failed)
			fail(&vd[i], "not run: an earlier step failed");
		else if (i == t && !vd[i].failed)
			fail(&vd[i], "no VM");
		report(&vd[i], names[i]);
	}
	if (s1 != MAP_FAILED)
		munmap(s1, SLOT1_SIZE);
	vm_close(&v);
}

int main(int argc, char **argv)
{
	int kvm = ktap_begin(argc > 1 ? argv[1] : "hpt_paging", TESTS);

	if (kvm < 0)
		return 1;
	test_hpt(kvm);
	close(kvm);
	return failed ? 1 : 0;
}

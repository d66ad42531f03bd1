// SPDX-License-Identifier: GPL-2.0-only
/*
 * powerpc64 guest set-up: a radix page table for the guest's mappings, the
 * interrupt vectors, and the vcpu's registers.
 *
 * Radix tables (Power ISA v3.0 Book III 6.7.10): 52-bit effective addresses
 * in four levels, 13/9/9/9 index bits with 4K pages and 13/9/9/5 with 64K
 * pages. Entries, and the process table KVM is told about, are big-endian
 * whatever the guest's endianness.
 */
#include <endian.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define RADIX_VALID	BIT_ULL(63)
#define RADIX_LEAF	BIT_ULL(62)
#define RADIX_NLB_MASK	0x0fffffffffffff00ULL
#define RADIX_RPN_MASK	0x01fffffffffff000ULL
#define RPTE_R		BIT_ULL(8)	/* referenced */
#define RPTE_C		BIT_ULL(7)	/* changed */
#define RPTE_PRIV	BIT_ULL(3)	/* privileged access only */
#define RPTE_READ	BIT_ULL(2)
#define RPTE_RW		BIT_ULL(1)
#define RPTE_EXEC	BIT_ULL(0)
#define RADIX_ROOT_SIZE	0x10000	/* 8192 entries: 13 index bits */
#define PATB_GR		BIT_ULL(63)

/* HPTEs as KVM takes them from userspace (the pre-ISA 3.0 format). */
#define HPTE_V_1TB_SEG	BIT_ULL(62)
#define HPTE_V_AVPN_SHIFT 7
#define HPTE_V_SECONDARY 0x2ULL
#define HPTE_V_VALID	0x1ULL
#define HPTE_R_RPN	0x0ffffffffffff000ULL
#define HPTE_R_M	0x10ULL		/* memory coherence */
#define HPTE_R_PP_RW	0x2ULL		/* read/write whatever the key */
#define HPTES_PER_GROUP	8
/* 16M: a million HPTEs, for up to 4 GiB of 4K mappings at a quarter full. */
#define HPT_ORDER	24

#define LPCR_ILE	BIT_ULL(25)
#define LPCR_AIL	(3ULL << 23)

/*
 * Guest physical layout below the first page the allocator hands out
 * (KVM_UTIL_MIN_PFN is 2): the vectors, the stub they all branch to, and
 * the address of the common handler the stub enters with relocation on.
 */
#define VECTORS_END	0x1000
#define COMMON_STUB	0x1000
#define HANDLER_PTR	0x1ff8

/* The Power ISA encodings the real-mode stubs are written in. */
#define PPC_SPR(spr)		(((spr) & 0x1f) << 16 | ((spr) >> 5) << 11)	/* split field */
#define PPC_MTSPR(spr, rs)	(0x7c0003a6 | (rs) << 21 | PPC_SPR(spr))
#define PPC_MFSPR(rt, spr)	(0x7c0002a6 | (rt) << 21 | PPC_SPR(spr))
#define PPC_LI(rt, si)		(0x38000000 | (rt) << 21 | ((si) & 0xffff))
#define PPC_BA(target)		(0x48000002 | ((target) & 0x3fffffc))
#define PPC_LD_ABS(rt, ea)	(0xe8000000 | (rt) << 21 | ((ea) & 0xfffc))
#define PPC_MFMSR(rt)		(0x7c0000a6 | (rt) << 21)
#define PPC_ORI(ra, rs, ui)	(0x60000000 | (rs) << 21 | (ra) << 16 | (ui))
#define PPC_RFID		0x4c000024

static gva_t exception_handlers;
/* Guest: the VM is a hash guest (segment interrupts load the SLB). */
static bool guest_hash_mmu;

bool kvm_ppc_radix_available(void)
{
	return kvm_check_cap(KVM_CAP_PPC_MMU_RADIX) > 0;
}

/*
 * Radix where KVM offers it, hash elsewhere (POWER8, a POWER9 host booted
 * with disable_radix). KVM_PPC_MMU=hash or =radix in the environment
 * chooses.
 */
static bool want_hash(void)
{
	const char *mmu = getenv("KVM_PPC_MMU");

	if (mmu && !strcmp(mmu, "hash"))
		return true;
	if (mmu && !strcmp(mmu, "radix")) {
		__TEST_REQUIRE(kvm_ppc_radix_available(),
			       "KVM_PPC_MMU=radix, but KVM offers no radix guests here");
		return false;
	}
	TEST_ASSERT(!mmu, "KVM_PPC_MMU is '%s': hash or radix", mmu);
	return !kvm_ppc_radix_available();
}

/* A hash guest's HPT, and the file descriptor its entries are written through. */
static void hpt_setup(struct kvm_vm *vm)
{
	struct kvm_ppc_mmuv3_cfg cfg = { 0 };
	struct kvm_get_htab_fd ghf = { .flags = KVM_GET_HTAB_WRITE };
	u32 order = HPT_ORDER;

	TEST_ASSERT(vm->page_shift == 12, "Hash guests have 4K pages here");
	__TEST_REQUIRE(kvm_has_cap(KVM_CAP_PPC_ALLOC_HTAB), "KVM offers no hash guests here");
	/* On a radix host a VM starts as radix: make it a hash guest. */
	if (kvm_has_cap(KVM_CAP_PPC_MMU_HASH_V3) || kvm_ppc_radix_available())
		vm_ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg);
	vm_ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order);
	vm->arch.hpt_order = order;
	vm->arch.hpt_v = calloc(1UL << (order - 4), sizeof(u64));
	TEST_ASSERT(vm->arch.hpt_v, "No memory for the HPT's mirror");
	vm->arch.htab_fd = __vm_ioctl(vm, KVM_PPC_GET_HTAB_FD, &ghf);
	TEST_ASSERT(vm->arch.htab_fd >= 0, __KVM_IOCTL_ERROR("KVM_PPC_GET_HTAB_FD",
							     vm->arch.htab_fd));
}

/*
 * Enter gva -> gpa into the HPT: replace the entry for gva if there is one,
 * else take a free slot of its primary group, else of its secondary group.
 * Slot 0 of each group stays free: KVM puts the VRMA's entries there when
 * the first vcpu runs. KVM refuses (EBUSY) while a vcpu of the VM is in
 * KVM_RUN: map from the thread that runs the vcpu, or before.
 */
static void hpte_enter(struct kvm_vm *vm, gva_t gva, gpa_t gpa)
{
	u64 offset = gva & (BIT_ULL(SID_SHIFT_1T) - 1);	/* in its segment */
	u64 vsid = ppc_hash_vsid(gva >> SID_SHIFT_1T);
	u64 va = vsid << SID_SHIFT_1T | offset;
	u64 v = (va >> 23) << HPTE_V_AVPN_SHIFT | HPTE_V_1TB_SEG | HPTE_V_VALID;
	u64 hash = vsid ^ (vsid << 25) ^ (offset >> 12);
	u64 mask = (1ULL << (vm->arch.hpt_order - 7)) - 1;
	u64 groups[2] = { hash & mask, ~hash & mask };
	u64 slot = 0, secondary = 0, i, g;
	struct {
		struct kvm_get_htab_header hdr;
		u64 hpte[2];
	} __packed buf;

	/* The entry already there for gva, else the first free slot. */
	for (g = 0; g < 2; g++)
		for (i = 1; i < HPTES_PER_GROUP; i++) {
			u64 n = groups[g] * HPTES_PER_GROUP + i;
			u64 e = vm->arch.hpt_v[n];

			if ((e & ~HPTE_V_SECONDARY) == v) {
				slot = n;
				secondary = e & HPTE_V_SECONDARY;
				goto found;
			}
			if (!e && !slot) {
				slot = n;
				secondary = g ? HPTE_V_SECONDARY : 0;
			}
		}
	TEST_ASSERT(slot, "Both HPT groups of gva 0x%lx are full", gva);
found:
	v |= secondary;
	buf.hdr.index = slot;
	buf.hdr.n_valid = 1;
	buf.hdr.n_invalid = 0;
	buf.hpte[0] = htobe64(v);
	buf.hpte[1] = htobe64((gpa & HPTE_R_RPN) | HPTE_R_M | HPTE_R_PP_RW);
	TEST_ASSERT(write(vm->arch.htab_fd, &buf, sizeof(buf)) == sizeof(buf),
		    "Writing the HPTE of gva 0x%lx (slot %lu): %s", gva, slot, strerror(errno));
	vm->arch.hpt_v[slot] = v;
}

static const unsigned int *index_bits(struct kvm_vm *vm)
{
	static const unsigned int bits_4k[4] = { 13, 9, 9, 9 };
	static const unsigned int bits_64k[4] = { 13, 9, 9, 5 };

	TEST_ASSERT(vm->page_shift == 12 || vm->page_shift == 16,
		    "Unsupported page size 0x%x", vm->page_size);
	return vm->page_shift == 12 ? bits_4k : bits_64k;
}

static u64 pte_index(struct kvm_vm *vm, gva_t gva, int level)
{
	const unsigned int *bits = index_bits(vm);
	unsigned int shift = vm->page_shift;
	int l;

	for (l = 3; l > level; l--)
		shift += bits[l];
	return (gva >> shift) & ((1ULL << bits[level]) - 1);
}

/* vm->mmu.pgd's level 0 entries cover the guest's 52-bit space. */
void vm_populate_gva_bitmap(struct kvm_vm *vm)
{
	sparsebit_set_num(vm->vpages_valid, 0, (1ULL << vm->va_bits) >> vm->page_shift);
}

void virt_arch_pgd_alloc(struct kvm_vm *vm)
{
	struct kvm_ppc_mmuv3_cfg cfg = { .flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE };
	/* RTS, the tree's size: 52 bits = 31 + 21, split 2 + 3 bits. */
	const u64 rts = ((21ULL >> 3) << 61) | ((21ULL & 7) << 5);
	u64 *prtb;

	if (vm->mmu.pgd_created)
		return;

	vm->arch.hash = want_hash();
	/* The root table must be aligned to its size; the PT region starts aligned. */
	vm->mmu.pgd = vm_phy_pages_alloc(vm, vm_page_align(vm, RADIX_ROOT_SIZE) / vm->page_size,
					 KVM_GUEST_PAGE_TABLE_MIN_PADDR,
					 vm->memslots[MEM_REGION_PT]);
	TEST_ASSERT(!(vm->mmu.pgd & (RADIX_ROOT_SIZE - 1)),
		    "Radix root table at 0x%lx is not 64K aligned", vm->mmu.pgd);

	if (vm->arch.hash) {
		hpt_setup(vm);
		vm->mmu.pgd_created = true;
		return;
	}

	/* A 4K process table (PRTS = 0); entry 0 is PID 0's, the only one used. */
	vm->arch.prtb = vm_alloc_page_table(vm);
	prtb = addr_gpa2hva(vm, vm->arch.prtb);
	prtb[0] = htobe64(rts | vm->mmu.pgd | index_bits(vm)[0]);
	prtb[1] = 0;

	cfg.process_table = PATB_GR | vm->arch.prtb;
	vm_ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg);
	vm->mmu.pgd_created = true;
}

void virt_arch_pg_map(struct kvm_vm *vm, gva_t gva, gpa_t gpa)
{
	const unsigned int *bits = index_bits(vm);
	u64 *table, *entry, e;
	int level;

	TEST_ASSERT(gva % vm->page_size == 0,
		    "Virtual address not on page boundary, gva: 0x%lx page size: 0x%x",
		    gva, vm->page_size);
	TEST_ASSERT(sparsebit_is_set(vm->vpages_valid, gva >> vm->page_shift),
		    "Invalid virtual address, gva: 0x%lx", gva);
	TEST_ASSERT(gpa % vm->page_size == 0,
		    "Physical address not on page boundary, gpa: 0x%lx page size: 0x%x",
		    gpa, vm->page_size);
	TEST_ASSERT((gpa >> vm->page_shift) <= vm->max_gfn,
		    "Physical address beyond maximum supported, gpa: 0x%lx max_gfn: 0x%lx",
		    gpa, vm->max_gfn);

	table = addr_gpa2hva(vm, vm->mmu.pgd);
	for (level = 0; level < 3; level++) {
		entry = &table[pte_index(vm, gva, level)];
		e = be64toh(*entry);
		if (!(e & RADIX_VALID)) {
			e = RADIX_VALID | vm_alloc_page_table(vm) | bits[level + 1];
			*entry = htobe64(e);
		}
		TEST_ASSERT(!(e & RADIX_LEAF), "gva 0x%lx is in a large page", gva);
		table = addr_gpa2hva(vm, e & RADIX_NLB_MASK);
	}
	entry = &table[pte_index(vm, gva, 3)];
	*entry = htobe64(RADIX_VALID | RADIX_LEAF | (gpa & RADIX_RPN_MASK) | RPTE_R | RPTE_C |
			 RPTE_PRIV | RPTE_READ | RPTE_RW | RPTE_EXEC);
	if (vm->arch.hash)
		hpte_enter(vm, gva, gpa);
}

gpa_t addr_arch_gva2gpa(struct kvm_vm *vm, gva_t gva)
{
	u64 *table, e = 0;
	int level;

	if (!vm->mmu.pgd_created)
		goto unmapped;

	table = addr_gpa2hva(vm, vm->mmu.pgd);
	for (level = 0; level < 4; level++) {
		e = be64toh(table[pte_index(vm, gva, level)]);
		if (!(e & RADIX_VALID))
			goto unmapped;
		if (level < 3)
			table = addr_gpa2hva(vm, e & RADIX_NLB_MASK);
	}
	return (e & RADIX_RPN_MASK) | (gva & (vm->page_size - 1));

unmapped:
	TEST_FAIL("No mapping for vm virtual address, gva: 0x%lx", gva);
	exit(EXIT_FAILURE);
}

static void table_dump(FILE *stream, struct kvm_vm *vm, u8 indent, gpa_t table_gpa,
		       int level, gva_t base)
{
	const unsigned int *bits = index_bits(vm);
	u64 *table = addr_gpa2hva(vm, table_gpa);
	unsigned int shift = vm->page_shift;
	u64 i, e;
	int l;

	for (l = 3; l > level; l--)
		shift += bits[l];
	for (i = 0; i < (1ULL << bits[level]); i++) {
		e = be64toh(table[i]);
		if (!(e & RADIX_VALID))
			continue;
		fprintf(stream, "%*slevel %d [%3lu] gva 0x%lx: 0x%016lx\n", indent, "", level,
			i, base | (i << shift), e);
		if (level < 3)
			table_dump(stream, vm, indent + 2, e & RADIX_NLB_MASK, level + 1,
				   base | (i << shift));
	}
}

void virt_arch_dump(FILE *stream, struct kvm_vm *vm, u8 indent)
{
	if (!vm->mmu.pgd_created)
		return;
	if (vm->arch.hash)
		fprintf(stream, "%*shash guest, HPT of 2^%u bytes; its mappings:\n", indent, "",
			vm->arch.hpt_order);
	else
		fprintf(stream, "%*sprocess table 0x%lx, radix root 0x%lx\n", indent, "",
			vm->arch.prtb, vm->mmu.pgd);
	table_dump(stream, vm, indent, vm->mmu.pgd, 0, 0);
}

/*
 * Every vector below 0x1000 gets the same four instructions: save r13 and
 * r12 in SPRG0/1, put the vector in r13, branch to the common stub. That
 * saves SRR0/1 in SPRG2/3 and returns to ppc_exception_entry (handlers.S)
 * with relocation on.
 */
static void write_vectors(struct kvm_vm *vm)
{
	u32 *mem = addr_gpa2hva(vm, 0);
	u32 common[] = {
		PPC_MFSPR(12, SPRN_SRR0), PPC_MTSPR(SPRN_SPRG2, 12),
		PPC_MFSPR(12, SPRN_SRR1), PPC_MTSPR(SPRN_SPRG3, 12),
		PPC_LD_ABS(12, HANDLER_PTR), PPC_MTSPR(SPRN_SRR0, 12),
		PPC_MFMSR(12), PPC_ORI(12, 12, MSR_IR | MSR_DR | MSR_RI),
		PPC_MTSPR(SPRN_SRR1, 12), PPC_RFID,
	};
	u32 vec;

	for (vec = 0x100; vec < VECTORS_END; vec += 0x20) {
		mem[vec / 4 + 0] = htole32(PPC_MTSPR(SPRN_SPRG0, 13));
		mem[vec / 4 + 1] = htole32(PPC_MTSPR(SPRN_SPRG1, 12));
		mem[vec / 4 + 2] = htole32(PPC_LI(13, vec));
		mem[vec / 4 + 3] = htole32(PPC_BA(COMMON_STUB));
	}
	memcpy(&mem[COMMON_STUB / 4], common, sizeof(common));
	*(u64 *)addr_gpa2hva(vm, HANDLER_PTR) = (u64)ppc_exception_entry;
}

void kvm_arch_vm_post_create(struct kvm_vm *vm, unsigned int nr_vcpus)
{
	/*
	 * Memslot 0 starts at guest physical 0, and its first two pages (8K
	 * or more) are never handed out: room for the vectors.
	 */
	write_vectors(vm);
	if (vm->arch.hash)
		*(bool *)addr_gva2hva(vm, (gva_t)&guest_hash_mmu) = true;
}

void kvm_arch_vm_release(struct kvm_vm *vm)
{
	if (vm->arch.hpt_v) {
		close(vm->arch.htab_fd);
		free(vm->arch.hpt_v);
		vm->arch.hpt_v = NULL;
	}
}

void vcpu_arch_dump(FILE *stream, struct kvm_vcpu *vcpu, u8 indent)
{
	struct kvm_regs regs;
	int i;

	vcpu_regs_get(vcpu, &regs);
	fprintf(stream, "%*spc: 0x%016llx msr: 0x%016llx lr: 0x%016llx ctr: 0x%016llx\n",
		indent, "", regs.pc, regs.msr, regs.lr, regs.ctr);
	fprintf(stream, "%*scr: 0x%08llx xer: 0x%016llx srr0: 0x%016llx srr1: 0x%016llx\n",
		indent, "", regs.cr, regs.xer, regs.srr0, regs.srr1);
	for (i = 0; i < 32; i += 4)
		fprintf(stream, "%*sr%-2d 0x%016llx 0x%016llx 0x%016llx 0x%016llx\n", indent, "",
			i, regs.gpr[i], regs.gpr[i + 1], regs.gpr[i + 2], regs.gpr[i + 3]);
}

void vcpu_arch_set_entry_point(struct kvm_vcpu *vcpu, void *guest_code)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	/* ELFv2: a function's global entry point finds the TOC from r12. */
	regs.pc = (u64)guest_code;
	regs.gpr[12] = (u64)guest_code;
	vcpu_regs_set(vcpu, &regs);
}

struct kvm_vcpu *vm_arch_vcpu_add(struct kvm_vm *vm, u32 vcpu_id)
{
	size_t stack_size = vm->page_size == 4096 ? DEFAULT_STACK_PGS * vm->page_size :
						    vm->page_size;
	gva_t stack = __vm_alloc(vm, stack_size, DEFAULT_GUEST_STACK_VADDR_MIN,
				 MEM_REGION_DATA);
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, vcpu_id);
	struct kvm_regs regs;
	unsigned long toc;
	u64 lpcr;

	/* Without PAPR the vcpu is not "sane" and KVM_RUN fails with EINVAL. */
	vcpu_enable_cap(vcpu, KVM_CAP_PPC_PAPR, 0);

	/* The guest runs this binary's code: same TOC. */
	asm("mr %0, 2" : "=r"(toc));
	vcpu_regs_get(vcpu, &regs);
	regs.msr = GUEST_MSR;
	/* 32 bytes for the first function's LR and CR saves, 16-byte aligned. */
	regs.gpr[1] = stack + stack_size - 64;
	regs.gpr[2] = toc;
	vcpu_regs_set(vcpu, &regs);

	/* A hash guest starts with segment 0's SLB entry (processor.h). */
	if (vm->arch.hash) {
		struct kvm_sregs sregs;

		vcpu_sregs_get(vcpu, &sregs);
		memset(sregs.u.s.ppc64.slb, 0, sizeof(sregs.u.s.ppc64.slb));
		sregs.u.s.ppc64.slb[0].slbe = ppc_slb_esid_data(0, 0);
		sregs.u.s.ppc64.slb[0].slbv = ppc_slb_vsid_data(0);
		vcpu_sregs_set(vcpu, &sregs);
	}

	/* Interrupts little-endian, at the vectors with relocation off. */
	lpcr = vcpu_get_reg(vcpu, KVM_REG_PPC_LPCR_64);
	vcpu_set_reg(vcpu, KVM_REG_PPC_LPCR_64, (lpcr & ~LPCR_AIL) | LPCR_ILE);

	return vcpu;
}

void vcpu_args_set(struct kvm_vcpu *vcpu, unsigned int num, ...)
{
	struct kvm_regs regs;
	va_list ap;
	unsigned int i;

	TEST_ASSERT(num >= 1 && num <= 8, "Unsupported number of args: %u", num);

	vcpu_regs_get(vcpu, &regs);
	va_start(ap, num);
	for (i = 0; i < num; i++)
		regs.gpr[3 + i] = va_arg(ap, u64);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

void assert_on_unhandled_exception(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	if (get_ucall(vcpu, &uc) == UCALL_UNHANDLED)
		TEST_FAIL("Unexpected exception (vector: 0x%lx, nia: 0x%lx, msr: 0x%lx)",
			  uc.args[0], uc.args[1], uc.args[2]);
}

/*
 * Guest: a hash guest's segment interrupt. Load the SLB entry of the
 * segment of ea, round robin over the entries after segment 0's.
 */
static void slb_load(u64 ea)
{
	static unsigned int next = 1;

	asm volatile("slbmte %0, %1; isync"
		     : : "r"(ppc_slb_vsid_data(ea)), "r"(ppc_slb_esid_data(ea, next)) : "memory");
	next = next + 1 < SLB_ENTRIES ? next + 1 : 1;
}

void route_exception(struct ex_regs *regs)
{
	exception_handler_fn *handlers = (exception_handler_fn *)exception_handlers;
	u64 slot = regs->vector / 0x20;

	if (guest_hash_mmu && regs->vector == EXC_DATA_SEGMENT) {
		slb_load(regs->dar);
		return;
	}
	if (guest_hash_mmu && regs->vector == EXC_INST_SEGMENT) {
		slb_load(regs->nia);
		return;
	}

	if (handlers && slot < NR_VECTORS && handlers[slot]) {
		handlers[slot](regs);
		return;
	}
	ucall(UCALL_UNHANDLED, 3, regs->vector, regs->nia, regs->msr);
}

void vm_init_vector_tables(struct kvm_vm *vm)
{
	vm->handlers = __vm_alloc(vm, NR_VECTORS * sizeof(exception_handler_fn),
				  vm->page_size, MEM_REGION_DATA);
	*(gva_t *)addr_gva2hva(vm, (gva_t)&exception_handlers) = vm->handlers;
}

/* The vectors are the VM's; a vcpu needs nothing more. */
void vcpu_init_vector_tables(struct kvm_vcpu *vcpu)
{
}

void vm_install_exception_handler(struct kvm_vm *vm, int vector, exception_handler_fn handler)
{
	exception_handler_fn *handlers = addr_gva2hva(vm, vm->handlers);

	TEST_ASSERT(vector > 0 && vector < VECTORS_END && !(vector & 0x1f),
		    "Invalid vector 0x%x", vector);
	handlers[vector / 0x20] = handler;
}

bool kvm_arch_has_default_irqchip(void)
{
	return false;
}

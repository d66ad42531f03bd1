/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmtest.h - what the KTAP guest tests share: KTAP output, an HV VM with one
 * PAPR vcpu running a little-endian real-mode guest, and the few Power ISA
 * instruction encodings the guests are written in.
 *
 * Guest memory is MEM_SIZE bytes at guest physical 0. The guest's code goes
 * at CODE_ADDR, where the vcpu starts with MSR = SF | ME | LE. Below it,
 * every interrupt vector (one each 0x20 bytes from 0x100) reports itself to
 * userspace with an hcall: r3 = H_VECTOR + vector, r4 = vector, r5 = SRR0,
 * r6 = SRR1, r7 = the MSR the interrupt put the guest in, so a test sees any
 * interrupt the guest takes, where from and how.
 */
#ifndef VMTEST_H
#define VMTEST_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#define MEM_SIZE	(64UL << 20)
#define CODE_ADDR	0x1000UL
#define H_VECTOR	0x6000	/* + vector: the guest took that interrupt */
#define H_READY		0x7010	/* no such hcall: KVM exits to userspace */
#define H_CEDE		0xe0
#define DEC_FAR		0x7fff0000UL	/* decrementer ticks: seconds away */
#define RUN_TIMEOUT_S	30

#define MSR_SF		(1UL << 63)
#define MSR_EE		(1UL << 15)
#define MSR_ME		(1UL << 12)
#define MSR_LE		(1UL << 0)
#define GUEST_MSR	(MSR_SF | MSR_ME | MSR_LE)
#define LPCR_ILE	(1UL << 25)
#define PATB_GR		(1UL << 63)

/* Power ISA encodings of the few instructions the guests use. */
static inline uint32_t li(int rt, int16_t si) { return 0x38000000 | rt << 21 | (uint16_t)si; }
static inline uint32_t addi(int rt, int ra, int16_t si) { return 0x38000000 | rt << 21 | ra << 16 | (uint16_t)si; }
static inline uint32_t mr(int ra, int rs) { return 0x7c000378 | rs << 21 | ra << 16 | rs << 11; }
static inline uint32_t cmpwi(int ra, int16_t si) { return 0x2c000000 | ra << 16 | (uint16_t)si; }
static inline uint32_t blt(int32_t disp) { return 0x41800000 | (disp & 0xfffc); }
static inline uint32_t beq(int32_t disp) { return 0x41820000 | (disp & 0xfffc); }
static inline uint32_t b(int32_t disp) { return 0x48000000 | (disp & 0x3fffffc); }
static inline uint32_t mfspr(int rt, int spr)
{
	return 0x7c0002a6 | rt << 21 | (spr & 0x1f) << 16 | (spr >> 5) << 11;
}
static inline uint32_t mtspr(int spr, int rs)
{
	return 0x7c0003a6 | rs << 21 | (spr & 0x1f) << 16 | (spr >> 5) << 11;
}
#define SPR_DSISR	18
#define SPR_DAR		19
#define SPR_SRR0	26
#define SPR_SRR1	27
#define SC1		0x44000022u
#define ISYNC		0x4c00012cu
#define RFID		0x4c000024u
static inline uint32_t mfmsr(int rt) { return 0x7c0000a6 | rt << 21; }
static inline uint32_t mtmsrd(int rs) { return 0x7c000164 | rs << 21; }
static inline uint32_t ori(int ra, int rs, uint16_t ui) { return 0x60000000 | rs << 21 | ra << 16 | ui; }
static inline uint32_t ld(int rt, int16_t ds, int ra) { return 0xe8000000 | rt << 21 | ra << 16 | ((uint16_t)ds & 0xfffc); }
static inline uint32_t std_(int rs, int16_t ds, int ra) { return 0xf8000000 | rs << 21 | ra << 16 | ((uint16_t)ds & 0xfffc); }
static inline uint32_t slbmte(int rs, int rb) { return 0x7c000324 | rs << 21 | rb << 11; }

static int tests, failed;

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("    # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline void result(int ok, const char *test, const char *skip)
{
	tests++;
	if (skip)
		printf("    ok %d %s # SKIP %s\n", tests, test, skip);
	else
		printf("    %sok %d %s\n", ok ? "" : "not ", tests, test);
	if (!ok && !skip)
		failed++;
	fflush(stdout);
}

#define CHECK(cond, ...) do { if (!(cond)) { diag(__VA_ARGS__); ok = 0; } } while (0)

/*
 * The outcome of one test whose evidence is gathered over several guest
 * exits: its reasons are printed just before its result line, where the
 * host's KTAP parser attaches them. report_known() reports a test with a
 * known failure as skipped, reasons still printed.
 */
struct verdict {
	int failed;
	char why[1024];
	size_t len;
};

static inline void fail(struct verdict *v, const char *fmt, ...)
{
	va_list ap;
	int n;

	v->failed = 1;
	if (v->len >= sizeof(v->why) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(v->why + v->len, sizeof(v->why) - v->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		v->len += (size_t)n;
	if (v->len >= sizeof(v->why))
		v->len = sizeof(v->why) - 1;
	if (v->len < sizeof(v->why) - 1)
		v->why[v->len++] = '\n';
	v->why[v->len] = 0;
}

static inline void report_known(struct verdict *v, const char *test, const char *known)
{
	char *line, *save = NULL;

	for (line = strtok_r(v->why, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		diag("%s", line);
	result(known ? 1 : !v->failed, test, known);
}

static inline void report(struct verdict *v, const char *test)
{
	report_known(v, test, NULL);
}

static inline void on_alarm(int sig) { (void)sig; }

/*
 * Starts the KTAP subtest NAME of N tests and opens /dev/kvm; a guest that
 * never exits is then stopped by SIGALRM (KVM_RUN gives EINTR).
 */
static inline int ktap_begin(const char *name, int n)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int kvm;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	printf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", name, n);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		diag("open /dev/kvm: %s", strerror(errno));
	return kvm;
}

struct vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint32_t *mem;
};

#define VM_INIT(fd) { .kvm = (fd), .vm = -1, .vcpu = -1 }

static inline void vm_close(struct vm *v)
{
	int kvm = v->kvm;

	if (v->run)
		munmap(v->run, v->run_size);
	if (v->mem)
		munmap(v->mem, MEM_SIZE);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	memset(v, 0, sizeof(*v));
	v->kvm = kvm;
	v->vcpu = v->vm = -1;
}

/* The interrupt vectors described at the top. */
static inline void write_vectors(uint32_t *mem)
{
	unsigned long vec;

	for (vec = 0x100; vec < CODE_ADDR; vec += 0x20) {
		uint32_t *p = mem + vec / 4;

		*p++ = li(3, H_VECTOR + vec);
		*p++ = li(4, vec);
		*p++ = mfspr(5, SPR_SRR0);
		*p++ = mfspr(6, SPR_SRR1);
		*p++ = mfmsr(7);
		*p++ = SC1;
		*p = b(0);
	}
}

enum mmu { MMU_RADIX, MMU_HPT };
static const char *const mmu_name[] = { "radix", "hpt" };

/*
 * Which guest MMU modes the host offers; NULL, or why not. A POWER8 host
 * has neither capability and runs HPT guests only; a POWER9 or later
 * powernv host offers ISA v3 HPT guests (KVM_CAP_PPC_MMU_HASH_V3), and
 * radix guests too when it runs radix. A host that is itself a guest (a
 * pseries host, nested) offers radix guests only.
 */
static inline const char *mmu_skip(int kvm, enum mmu mmu)
{
	int radix = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX);

	if (mmu == MMU_RADIX && radix <= 0)
		return "no radix guests on this host";
	if (mmu == MMU_HPT && radix > 0 &&
	    ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) <= 0)
		return "no HPT guests on this host (radix only, as on a pseries host)";
	return NULL;
}

/*
 * Is this host a pseries host on PAPR's nested API v2 (H_GUEST_*)? The boot
 * says so: run-qemu.sh's kvm_hv_rs_machine=pseries-nestedv2* reaches init,
 * and the tests, as an environment variable. Nothing KVM reports tells v2
 * from v1.
 */
static inline int host_nestedv2(void)
{
	const char *m = getenv("kvm_hv_rs_machine");

	return m && !strncmp(m, "pseries-nestedv2", 16);
}

/*
 * The MMU mode of a test that needs a guest but not a particular mode: HPT,
 * which every powernv host runs, or radix on a host without HPT guests.
 */
static inline enum mmu mmu_any(int kvm)
{
	return mmu_skip(kvm, MMU_HPT) ? MMU_RADIX : MMU_HPT;
}

/*
 * Creates vcpu `id` of v's VM into *fd and *run, with PAPR enabled if
 * `papr`, interrupts little-endian (LPCR[ILE]), at CODE_ADDR in GUEST_MSR.
 * On failure says why and returns -1.
 */
static inline int vcpu_create(struct vm *v, int id, int papr, int *fd, struct kvm_run **run)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_PAPR };
	struct kvm_regs regs;
	uint64_t lpcr;
	struct kvm_one_reg one = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };
	int r;

	*fd = ioctl(v->vm, KVM_CREATE_VCPU, id);
	if (*fd < 0) {
		diag("KVM_CREATE_VCPU(%d): %s", id, strerror(errno));
		return -1;
	}
	v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	*run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (*run == MAP_FAILED) {
		*run = NULL;
		diag("mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	if (papr && ioctl(*fd, KVM_ENABLE_CAP, &cap)) {
		diag("KVM_ENABLE_CAP(PAPR): %s", strerror(errno));
		return -1;
	}
	/* Interrupts in little-endian mode, so the vectors above decode. */
	if (ioctl(*fd, KVM_GET_ONE_REG, &one)) {
		diag("KVM_GET_ONE_REG(LPCR): %s", strerror(errno));
		return -1;
	}
	lpcr |= LPCR_ILE;
	if (ioctl(*fd, KVM_SET_ONE_REG, &one)) {
		diag("KVM_SET_ONE_REG(LPCR): %s", strerror(errno));
		return -1;
	}
	r = ioctl(*fd, KVM_GET_REGS, &regs);
	if (!r) {
		regs.pc = CODE_ADDR;
		regs.msr = GUEST_MSR;
		r = ioctl(*fd, KVM_SET_REGS, &regs);
	}
	if (r) {
		diag("KVM_GET/SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* At `p`, guest code that cedes, then reports H_CEDE's r3 in r4 with H_READY. */
static inline void write_cede(uint32_t *p)
{
	*p++ = li(3, H_CEDE);
	*p++ = SC1;
	*p++ = mr(4, 3);
	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(0);
}

/*
 * Puts vcpu `fd` at `pc` with `msr`, its decrementer `dec` ticks away. A
 * vcpu's decrementer starts expired: with EE on, the guest would take 0x900
 * first unless it is moved away.
 */
static inline int vcpu_place(int fd, uint64_t pc, uint64_t msr, uint64_t dec)
{
	uint64_t expiry = __builtin_ppc_get_timebase() + dec;
	struct kvm_one_reg reg = { .id = KVM_REG_PPC_DEC_EXPIRY, .addr = (uintptr_t)&expiry };
	struct kvm_regs regs;

	if (ioctl(fd, KVM_SET_ONE_REG, &reg) || ioctl(fd, KVM_GET_REGS, &regs))
		return -1;
	regs.pc = pc;
	regs.msr = msr;
	return ioctl(fd, KVM_SET_REGS, &regs);
}

/*
 * Creates the VM (of MMU mode `mmu`) and its vcpu, with PAPR enabled if
 * `papr`, and guest memory holding the vectors and what `write_guest` puts
 * at CODE_ADDR. On failure says why and returns -1.
 */
static inline int vm_create(struct vm *v, enum mmu mmu, int papr, void (*write_guest)(uint32_t *))
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
	};
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (v->vm < 0) {
		diag("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(v->vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0 ||
	    ioctl(v->vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) > 0) {
		struct kvm_ppc_mmuv3_cfg cfg = { 0 };

		if (mmu == MMU_RADIX) {
			cfg.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE;
			cfg.process_table = PATB_GR;
		}
		if (ioctl(v->vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg)) {
			diag("KVM_PPC_CONFIGURE_V3_MMU(%s): %s", mmu_name[mmu], strerror(errno));
			return -1;
		}
	}
	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED) {
		v->mem = NULL;
		diag("mmap guest memory: %s", strerror(errno));
		return -1;
	}
	write_vectors(v->mem);
	write_guest(v->mem);
	region.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region)) {
		diag("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	return vcpu_create(v, 0, papr, &v->vcpu, &v->run);
}

/* KVM_RUN, interrupted by SIGALRM after `ms` (KVM_RUN then gives EINTR). */
static inline int run_for(struct vm *v, unsigned int ms)
{
	struct itimerval t = { .it_value = { ms / 1000, ms % 1000 * 1000 } };
	struct itimerval off = { 0 };
	int r;

	setitimer(ITIMER_REAL, &t, NULL);
	r = ioctl(v->vcpu, KVM_RUN, 0);
	setitimer(ITIMER_REAL, &off, NULL);
	return r ? -errno : 0;
}

/* KVM_RUN with a watchdog: a guest that never exits gives -EINTR. */
static inline int run(struct vm *v)
{
	return run_for(v, RUN_TIMEOUT_S * 1000);
}

/* KVM_RUN must exit with the guest's H_READY; if not, says so in vd (`when`). */
static inline int run_to_ready(struct vm *v, struct verdict *vd, const char *when)
{
	int r = run(v);

	if (!r && v->run->exit_reason == KVM_EXIT_PAPR_HCALL && v->run->papr_hcall.nr == H_READY)
		return 0;
	fail(vd, "%s: KVM_RUN %d, exit_reason %u, hcall 0x%llx; want H_READY", when, r,
	     v->run->exit_reason, (unsigned long long)v->run->papr_hcall.nr);
	return -1;
}

#endif /* VMTEST_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * hcall_exit - hypercalls from a real-mode guest that exit to userspace.
 *
 * For each guest MMU mode the host offers (radix, HPT) this creates an HV VM
 * with one vcpu, enables PAPR on it, and runs a small little-endian
 * real-mode guest. The guest loops ROUNDS times over an hcall with a number
 * KVM does not implement (H_TEST), passing its loop counter, a constant and
 * the previous hcall's return value as arguments, then reports the last
 * return value with H_TEST_DONE. Each hcall must exit to userspace as
 * KVM_EXIT_PAPR_HCALL with the guest's number and arguments, and the value
 * userspace puts in run->papr_hcall.ret must come back to the guest in r3.
 *
 * It also checks that KVM_RUN on a vcpu without PAPR enabled fails with
 * -EINVAL and KVM_EXIT_INTERNAL_ERROR, and with a signal pending fails with
 * -EINTR and KVM_EXIT_INTR without entering the guest.
 *
 * Output is KTAP, indented as a subtest of the harness's KTAP; the exit
 * status is 0 when every test passed or was skipped.
 *
 * Usage: hcall_exit [-v] NAME
 *   NAME labels the subtest (e.g. "hcall_exit.kvm-hv"); -v also prints every
 *   hcall exit as it is served.
 */
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
#include <unistd.h>

#define MEM_SIZE	(64UL << 20)
#define CODE_ADDR	0x1000UL
#define ROUNDS		5
#define H_TEST		0x7000	/* no such hcall: KVM exits to userspace */
#define H_TEST_DONE	0x7001
#define H_VECTOR	0x6000	/* + vector: an unexpected interrupt */
#define ARG1		0x1234
#define R15_INIT	0x5a5aUL
#define RUN_TIMEOUT_S	30

#define MSR_SF		(1UL << 63)
#define MSR_ME		(1UL << 12)
#define MSR_LE		(1UL << 0)
#define LPCR_ILE	(1UL << 25)
#define PATB_GR		(1UL << 63)

/* Power ISA encodings of the few instructions the guest uses. */
static uint32_t li(int rt, int16_t si) { return 0x38000000 | rt << 21 | (uint16_t)si; }
static uint32_t addi(int rt, int ra, int16_t si) { return 0x38000000 | rt << 21 | ra << 16 | (uint16_t)si; }
static uint32_t mr(int ra, int rs) { return 0x7c000378 | rs << 21 | ra << 16 | rs << 11; }
static uint32_t cmpwi(int ra, int16_t si) { return 0x2c000000 | ra << 16 | (uint16_t)si; }
static uint32_t blt(int32_t disp) { return 0x41800000 | (disp & 0xfffc); }
static uint32_t b(int32_t disp) { return 0x48000000 | (disp & 0x3fffffc); }
#define SC1 0x44000022u

static const char *name;
static int tests, failed, verbose;

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("    # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void result(int ok, const char *test, const char *skip)
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
 * host's KTAP parser attaches them.
 */
struct verdict {
	int failed;
	char why[1024];
	size_t len;
};

static void fail(struct verdict *v, const char *fmt, ...)
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
	if (v->len < sizeof(v->why) - 1)
		v->why[v->len++] = '\n';
	v->why[v->len] = 0;
}

static void report(struct verdict *v, const char *test)
{
	char *line, *save = NULL;

	for (line = strtok_r(v->why, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		diag("%s", line);
	result(!v->failed, test, NULL);
}

static void on_alarm(int sig) { (void)sig; }

struct vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint32_t *mem;
};

static void vm_close(struct vm *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->mem)
		munmap(v->mem, MEM_SIZE);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	memset(v, 0, sizeof(*v));
	v->vcpu = v->vm = -1;
}

/* The guest program: see the comment at the top. */
static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;
	uint32_t *loop;
	unsigned long vec;

	/* Every interrupt vector reports itself: r3 = H_VECTOR + vector. */
	for (vec = 0x100; vec < CODE_ADDR; vec += 0x80) {
		uint32_t *v = mem + vec / 4;

		v[0] = li(3, H_VECTOR + vec);
		v[1] = li(4, vec);
		v[2] = SC1;
		v[3] = b(0);
	}

	*p++ = li(14, 0);
	loop = p;
	*p++ = li(3, H_TEST);
	*p++ = mr(4, 14);
	*p++ = li(5, ARG1);
	*p++ = mr(6, 15);
	*p++ = SC1;
	*p++ = mr(15, 3);
	*p++ = addi(14, 14, 1);
	*p++ = cmpwi(14, ROUNDS);
	*p = blt((int32_t)((loop - p) * 4)); p++;
	*p++ = li(3, H_TEST_DONE);
	*p++ = mr(4, 15);
	*p++ = SC1;
	*p++ = b(0);
}

static uint64_t ret_for(unsigned int round)
{
	return 0x8000000000000000UL | (uint64_t)(round + 1) << 32 | 0xabcd0000UL | round;
}

enum mmu { MMU_RADIX, MMU_HPT };
static const char *const mmu_name[] = { "radix", "hpt" };

/* Creates the VM and its vcpu; on failure says why and returns -1. */
static int vm_create(struct vm *v, enum mmu mmu, int papr)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
	};
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_PAPR };
	struct kvm_regs regs;
	uint64_t lpcr;
	struct kvm_one_reg one = { .id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr };
	int r;

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
	write_guest(v->mem);
	region.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region)) {
		diag("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0) {
		diag("KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		diag("mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	if (papr && ioctl(v->vcpu, KVM_ENABLE_CAP, &cap)) {
		diag("KVM_ENABLE_CAP(PAPR): %s", strerror(errno));
		return -1;
	}
	/* Interrupts in little-endian mode, so the vectors above decode. */
	if (ioctl(v->vcpu, KVM_GET_ONE_REG, &one)) {
		diag("KVM_GET_ONE_REG(LPCR): %s", strerror(errno));
		return -1;
	}
	lpcr |= LPCR_ILE;
	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &one)) {
		diag("KVM_SET_ONE_REG(LPCR): %s", strerror(errno));
		return -1;
	}
	r = ioctl(v->vcpu, KVM_GET_REGS, &regs);
	if (!r) {
		regs.pc = CODE_ADDR;
		regs.msr = MSR_SF | MSR_ME | MSR_LE;
		regs.gpr[15] = R15_INIT;
		r = ioctl(v->vcpu, KVM_SET_REGS, &regs);
	}
	if (r) {
		diag("KVM_GET/SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* KVM_RUN with a watchdog: a guest that never exits gives -EINTR. */
static int run(struct vm *v)
{
	int r;

	alarm(RUN_TIMEOUT_S);
	r = ioctl(v->vcpu, KVM_RUN, 0);
	alarm(0);
	return r ? -errno : 0;
}

static void test_mmu(int kvm, enum mmu mmu, const char *skip)
{
	static const char *const tests[] = { "vm_setup", "hcall_exit", "hcall_return", "hcall_regs" };
	struct vm v = { .kvm = kvm, .vm = -1, .vcpu = -1 };
	struct verdict exits = { 0 }, ret = { 0 }, regs_v = { 0 };
	uint64_t prev = R15_INIT;
	unsigned int i;
	char t[64];

#define NAME(n) (snprintf(t, sizeof(t), "%s_%s", mmu_name[mmu], n), t)
	if (skip) {
		for (i = 0; i < 4; i++)
			result(1, NAME(tests[i]), skip);
		return;
	}
	if (vm_create(&v, mmu, 1)) {
		result(0, NAME("vm_setup"), NULL);
		fail(&exits, "no VM");
		fail(&ret, "no VM");
		fail(&regs_v, "no VM");
		goto out;
	}
	result(1, NAME("vm_setup"), NULL);

	for (i = 0; i <= ROUNDS; i++) {
		struct kvm_regs regs;
		int r = run(&v);
		uint64_t nr = v.run->papr_hcall.nr, *a = v.run->papr_hcall.args;
		const char *fatal = NULL;
		char why[128];

		if (r) {
			snprintf(why, sizeof(why), "round %u: KVM_RUN: %s (exit_reason %u)", i,
				 strerror(-r), v.run->exit_reason);
			fatal = why;
		} else if (v.run->exit_reason != KVM_EXIT_PAPR_HCALL) {
			snprintf(why, sizeof(why), "round %u: exit_reason %u, want KVM_EXIT_PAPR_HCALL (%u)",
				 i, v.run->exit_reason, KVM_EXIT_PAPR_HCALL);
			fatal = why;
		} else if (nr >= H_VECTOR && nr < H_VECTOR + 0x1000) {
			snprintf(why, sizeof(why), "round %u: unexpected guest interrupt at vector 0x%llx",
				 i, (unsigned long long)(nr - H_VECTOR));
			fatal = why;
		}
		if (fatal) {
			fail(&exits, "%s", fatal);
			fail(&ret, "%s", fatal);
			fail(&regs_v, "%s", fatal);
			break;
		}
		if (i < ROUNDS) {
			if (nr != H_TEST || a[0] != i || a[1] != ARG1)
				fail(&exits, "round %u: hcall 0x%llx (%llu, 0x%llx), want 0x%x (%u, 0x%x)",
				     i, (unsigned long long)nr, (unsigned long long)a[0],
				     (unsigned long long)a[1], H_TEST, i, ARG1);
			/* The guest passes the previous round's r3 on. */
			if (a[2] != prev)
				fail(&ret, "round %u: guest saw r3 = 0x%llx, want 0x%llx", i,
				     (unsigned long long)a[2], (unsigned long long)prev);
		} else {
			if (nr != H_TEST_DONE)
				fail(&exits, "last exit: hcall 0x%llx, want 0x%x",
				     (unsigned long long)nr, H_TEST_DONE);
			if (a[0] != prev)
				fail(&ret, "last exit: guest saw r3 = 0x%llx, want 0x%llx",
				     (unsigned long long)a[0], (unsigned long long)prev);
		}
		if (ioctl(v.vcpu, KVM_GET_REGS, &regs))
			fail(&regs_v, "KVM_GET_REGS: %s", strerror(errno));
		else if (regs.gpr[3] != nr || regs.gpr[4] != a[0] ||
			 regs.pc < CODE_ADDR || regs.pc >= CODE_ADDR + 0x100 ||
			 regs.gpr[14] != (i < ROUNDS ? i : ROUNDS))
			fail(&regs_v, "round %u: regs pc 0x%llx r3 0x%llx r4 0x%llx r14 %llu", i,
			     (unsigned long long)regs.pc, (unsigned long long)regs.gpr[3],
			     (unsigned long long)regs.gpr[4], (unsigned long long)regs.gpr[14]);
		prev = ret_for(i);
		v.run->papr_hcall.ret = prev;
		if (verbose)
			diag("%s guest: hcall 0x%llx (0x%llx, 0x%llx, 0x%llx) served, r3 <- 0x%llx",
			     mmu_name[mmu], (unsigned long long)nr, (unsigned long long)a[0],
			     (unsigned long long)a[1], (unsigned long long)a[2],
			     (unsigned long long)prev);
	}
out:
	report(&exits, NAME("hcall_exit"));
	report(&ret, NAME("hcall_return"));
	report(&regs_v, NAME("hcall_regs"));
	vm_close(&v);
#undef NAME
}

/* Without KVM_CAP_PPC_PAPR the vcpu is not "sane": KVM_RUN must refuse it. */
static void test_insane(int kvm)
{
	struct vm v = { .kvm = kvm, .vm = -1, .vcpu = -1 };
	int ok = vm_create(&v, MMU_HPT, 0) == 0;

	if (ok) {
		int r = run(&v);

		CHECK(r == -EINVAL, "KVM_RUN: %s, want EINVAL", r ? strerror(-r) : "success");
		CHECK(v.run->exit_reason == KVM_EXIT_INTERNAL_ERROR, "exit_reason %u, want %u",
		      v.run->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	}
	result(ok, "insane_vcpu_einval", NULL);
	vm_close(&v);
}

static void on_usr1(int sig) { (void)sig; }

/*
 * A signal pending at KVM_RUN: EINTR and KVM_EXIT_INTR, and the guest does
 * not run. SIGUSR1 is blocked and raised, so it stays pending; the vcpu's
 * signal mask (KVM_SET_SIGNAL_MASK) unblocks it for the duration of KVM_RUN.
 */
static void test_signal(int kvm)
{
	struct vm v = { .kvm = kvm, .vm = -1, .vcpu = -1 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct { struct kvm_signal_mask m; uint8_t set[8]; } mask = { .m.len = 8 };
	struct kvm_regs regs;
	sigset_t usr1, old;
	int ok = vm_create(&v, MMU_HPT, 1) == 0;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	raise(SIGUSR1);
	if (ok && ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, &mask)) {
		diag("KVM_SET_SIGNAL_MASK: %s", strerror(errno));
		ok = 0;
	}
	if (ok) {
		int r = run(&v);

		CHECK(r == -EINTR, "KVM_RUN: %s, want EINTR", r ? strerror(-r) : "success");
		CHECK(v.run->exit_reason == KVM_EXIT_INTR, "exit_reason %u, want %u",
		      v.run->exit_reason, KVM_EXIT_INTR);
		CHECK(!ioctl(v.vcpu, KVM_GET_REGS, &regs) && regs.pc == CODE_ADDR,
		      "the guest ran: pc 0x%llx", (unsigned long long)regs.pc);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);	/* the handler runs here */
	result(ok, "signal_pending_eintr", NULL);
	vm_close(&v);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int kvm, has_v3, has_radix;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	name = argc > 1 ? argv[1] : "hcall_exit";
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	printf("    KTAP version 1\n    # Subtest: %s\n    1..10\n", name);

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		diag("open /dev/kvm: %s", strerror(errno));
		return 1;
	}
	has_v3 = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0;
	has_radix = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) > 0;
	diag("host: radix guests %s, ISA v3 HPT guests %s", has_radix ? "yes" : "no",
	     has_v3 ? "yes" : "no");

	test_mmu(kvm, MMU_RADIX, has_radix ? NULL : "no radix guests on this host");
	test_mmu(kvm, MMU_HPT, NULL);
	test_insane(kvm);
	test_signal(kvm);
	close(kvm);
	return failed ? 1 : 0;
}

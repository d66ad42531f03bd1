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
 * With the exit timing of CONFIG_KVM_BOOK3S_HV_P9_TIMING, the vcpu's debugfs
 * "timings" must then count one vcpu_entry, hypercall and vcpu_exit per
 * KVM_RUN, and at least one guest_entry per KVM_RUN and page fault.
 *
 * It also checks that KVM_RUN on a vcpu without PAPR enabled fails with
 * -EINVAL and KVM_EXIT_INTERNAL_ERROR, and with a signal pending fails with
 * -EINTR and KVM_EXIT_INTR without entering the guest (these two run an HPT
 * guest, or a radix one on a host without HPT guests), and that a host
 * offering radix guests only refuses an HPT guest (hpt_refused).
 *
 * Output is KTAP, indented as a subtest of the harness's KTAP; the exit
 * status is 0 when every test passed or was skipped.
 *
 * Usage: hcall_exit [-v] NAME
 *   NAME labels the subtest (e.g. "hcall_exit.kvm-hv"); -v also prints every
 *   hcall exit as it is served.
 */
#include "vmtest.h"

#define ROUNDS		5
#define H_TEST		0x7000	/* no such hcall: KVM exits to userspace */
#define H_TEST_DONE	0x7001
#define ARG1		0x1234
#define R15_INIT	0x5a5aUL

static int verbose;

/* The guest program: see the comment at the top. */
static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;
	uint32_t *loop;

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

/* The hcall guest, with r15 (the "previous return value") preset. */
static int hcall_vm_create(struct vm *v, enum mmu mmu, int papr)
{
	struct kvm_regs regs;

	if (vm_create(v, mmu, papr, write_guest))
		return -1;
	if (ioctl(v->vcpu, KVM_GET_REGS, &regs))
		goto err;
	regs.gpr[15] = R15_INIT;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		goto err;
	return 0;
err:
	diag("KVM_GET/SET_REGS: %s", strerror(errno));
	return -1;
}

/* Reads the count of `name` from a vcpu's debugfs timings. */
static long timing_count(const char *text, const char *name)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "%s: ", name);
	p = strstr(text, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The exit timing of the VM's vcpu 0 after `runs` KVM_RUNs. */
static void check_timings(struct vm *v, unsigned int runs, const char *name)
{
	long entry, guest_entry, hcall, fault, vexit;
	struct verdict vd = { 0 };
	char path[96], text[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/vcpu0/timings", getpid(), v->vm);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		result(1, name, errno == ENOENT ? "no vcpu timings (exit timing off, or POWER8 with P9 timing)" : strerror(errno));
		return;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = 0;
	entry = timing_count(text, "vcpu_entry");
	guest_entry = timing_count(text, "guest_entry");
	hcall = timing_count(text, "hypercall");
	fault = timing_count(text, "page_fault");
	vexit = timing_count(text, "vcpu_exit");
	if (entry != (long)runs || hcall != (long)runs || vexit != (long)runs ||
	    fault < 0 || guest_entry < (long)runs + fault)
		fail(&vd, "vcpu_entry %ld hypercall %ld vcpu_exit %ld (want %u each), "
		     "guest_entry %ld (want >= %u + page_fault %ld)", entry, hcall, vexit, runs,
		     guest_entry, runs, fault);
	if (verbose || vd.failed)
		diag("%s", text);
	report(&vd, name);
}

static void test_mmu(int kvm, enum mmu mmu, const char *skip)
{
	static const char *const tests[] = {
		"vm_setup", "hcall_exit", "hcall_return", "hcall_regs", "exit_timings"
	};
	struct vm v = VM_INIT(kvm);
	struct verdict exits = { 0 }, ret = { 0 }, regs_v = { 0 };
	uint64_t prev = R15_INIT;
	unsigned int i, runs = 0;
	char t[64];

#define NAME(n) (snprintf(t, sizeof(t), "%s_%s", mmu_name[mmu], n), t)
	if (skip) {
		for (i = 0; i < 5; i++)
			result(1, NAME(tests[i]), skip);
		return;
	}
	if (hcall_vm_create(&v, mmu, 1)) {
		result(0, NAME("vm_setup"), NULL);
		fail(&exits, "no VM");
		fail(&ret, "no VM");
		fail(&regs_v, "no VM");
		report(&exits, NAME("hcall_exit"));
		report(&ret, NAME("hcall_return"));
		report(&regs_v, NAME("hcall_regs"));
		result(0, NAME("exit_timings"), NULL);
		goto close;
	}
	result(1, NAME("vm_setup"), NULL);

	for (i = 0; i <= ROUNDS; i++) {
		struct kvm_regs regs;
		int r = run(&v);
		uint64_t nr = v.run->papr_hcall.nr, *a = v.run->papr_hcall.args;
		const char *fatal = NULL;
		char why[128];

		runs++;
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
	report(&exits, NAME("hcall_exit"));
	report(&ret, NAME("hcall_return"));
	report(&regs_v, NAME("hcall_regs"));
	check_timings(&v, runs, NAME("exit_timings"));
close:
	vm_close(&v);
#undef NAME
}

/* Without KVM_CAP_PPC_PAPR the vcpu is not "sane": KVM_RUN must refuse it. */
static void test_insane(int kvm)
{
	struct vm v = VM_INIT(kvm);
	int ok = hcall_vm_create(&v, mmu_any(kvm), 0) == 0;

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
	struct vm v = VM_INIT(kvm);
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct { struct kvm_signal_mask m; uint8_t set[8]; } mask = { .m.len = 8 };
	struct kvm_regs regs;
	sigset_t usr1, old;
	int ok = hcall_vm_create(&v, mmu_any(kvm), 1) == 0;

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

/*
 * A host that offers radix guests only (a pseries host) must refuse an HPT
 * guest: KVM_PPC_CONFIGURE_V3_MMU without RADIX with EINVAL, and
 * KVM_PPC_ALLOCATE_HTAB with EOPNOTSUPP. The errnos are printed either way,
 * so that two modules' outputs compare.
 */
static void test_hpt_refused(int kvm)
{
	struct kvm_ppc_mmuv3_cfg cfg = { .flags = 0 };
	uint32_t order = 18;
	int vm, ok = 1, e_cfg = 0, e_htab = 0;

	if (!mmu_skip(kvm, MMU_HPT)) {
		result(1, "hpt_refused", "HPT guests supported on this host");
		return;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (vm < 0) {
		diag("KVM_CREATE_VM: %s", strerror(errno));
		result(0, "hpt_refused", NULL);
		return;
	}
	if (ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg))
		e_cfg = errno;
	if (ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order))
		e_htab = errno;
	diag("KVM_PPC_CONFIGURE_V3_MMU(hpt): %s, KVM_PPC_ALLOCATE_HTAB(18): %s",
	     e_cfg ? strerror(e_cfg) : "success", e_htab ? strerror(e_htab) : "success");
	CHECK(e_cfg == EINVAL, "KVM_PPC_CONFIGURE_V3_MMU(hpt): want EINVAL");
	CHECK(e_htab == EOPNOTSUPP, "KVM_PPC_ALLOCATE_HTAB(18): want EOPNOTSUPP");
	result(ok, "hpt_refused", NULL);
	close(vm);
}

int main(int argc, char **argv)
{
	int kvm;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	kvm = ktap_begin(argc > 1 ? argv[1] : "hcall_exit", 13);
	if (kvm < 0)
		return 1;
	diag("host: radix guests %s, ISA v3 HPT guests %s",
	     ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) > 0 ? "yes" : "no",
	     ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0 ? "yes" : "no");

	test_mmu(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX));
	test_mmu(kvm, MMU_HPT, mmu_skip(kvm, MMU_HPT));
	test_insane(kvm);
	test_signal(kvm);
	test_hpt_refused(kvm);
	close(kvm);
	return failed ? 1 : 0;
}

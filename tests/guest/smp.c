// SPDX-License-Identifier: GPL-2.0
/*
 * smp - two vcpus of one VM: H_CEDE ended by another vcpu's H_PROD.
 *
 * For each guest MMU mode the host offers, the ceding vcpu runs, on its own
 * thread, a real-mode guest that cedes (H_CEDE) and then reports H_CEDE's
 * return value with H_READY; both decrementers are far away, so nothing but
 * a prod can wake it. A moment later the other vcpu prods it (H_PROD) and
 * reports H_PROD's return value with H_DONE. Both must exit to userspace
 * with H_SUCCESS: the host wakes a vcpu sleeping in H_CEDE when another
 * prods it. The prodder runs only once the ceder's thread sleeps (state S
 * in /proc), so the wake-up is what is tested, not a prod that comes first
 * and makes the cede return at once.
 *
 * Which vcpus take part decides what the host does. On POWER9 and later
 * every vcpu runs on its own (the ceder's rcuwait is woken). On POWER8 a
 * VM's vcpus 0..T-1 share a virtual core (T: the host's threads per core,
 * KVM's default SMT mode) that runs on a whole physical core; its runner
 * sleeps when every runnable vcpu of it has ceded:
 *
 *   cede_prod          vcpu 1 cedes, vcpu 0 prods: on POWER8 one vcore,
 *                      the ceder on thread 1, the prodder joining it
 *   cede_prod_thread0  vcpu 0 cedes, vcpu 1 prods: one vcore, the ceder
 *                      on thread 0
 *   cede_prod_apart    vcpu 2 cedes, vcpu 0 prods: on a 2-thread POWER8
 *                      two vcores, each on the core's first thread
 *
 *   teardown_mid_run   a child process's vcpu sleeps in H_CEDE (on POWER8:
 *                      its vcore's runner sleeps); the child is killed.
 *                      Its VM must go, and a new VM run an hcall exit
 *                      (dmesg is checked by the harness)
 *
 *   second_vcpu_le_interrupt
 *                      vcpu 1 is created after vcpu 0 set LPCR[ILE] (as
 *                      QEMU creates and sets them) and meets an illegal
 *                      instruction; the program interrupt the host gives
 *                      it must be little-endian (MSR[LE] in the vector),
 *                      like vcpu 0's. On POWER8 the two share a vcore, and
 *                      before patch 0020 vcpu 1 took it big-endian and
 *                      looped at 0x700 for ever
 *
 * The ceder's decrementer is DEC_FAR away, about 4 s of the emulated
 * timebase: a first run that sets up the HPT on a slow host can take
 * longer. H_CEDE turns MSR[EE] on, so an expired decrementer wakes the
 * ceder and interrupts it at 0x900; there the guest moves its decrementer
 * away again and cedes again. (Before 0020 that decrementer interrupt
 * reached vcpu 1 big-endian: the hpt_cede_prod failures seen now and then
 * on powernv8.)
 *
 * H_CEDE may also return with nothing to report, as Linux's idle loop
 * expects. On POWER8, under both modules: a vcore runs whenever one of its
 * vcpus is runnable, and its ceded vcpus re-enter the guest with it after
 * their sc, r3 = H_SUCCESS (book3s_hv_rmhandlers.S, fast_guest_return:
 * "cancel cede"), so the ceder usually comes back when the prodder joins
 * its vcore; and a vcpu that cedes before its vcore's other thread has
 * napped naps in real mode, its decrementer lowered to the end of the
 * timeslice, and re-enters the guest if that wakes it first
 * (kvmppc_check_wake_reason() 0). Under TCG the order of the threads
 * varies: once in CI (powernv8, kvm-hv) the ceder came back before the
 * prodder ran and its thread was never seen asleep. So the ceder, as a
 * guest does, cedes again until a flag in guest memory says it was
 * prodded: the prodder sets the flag, then prods. The ceder reports the
 * number of H_CEDE calls in r5.
 *
 * Known: on QEMU's emulated POWER8 a vcore's second thread cannot run
 * guest code, under kvm-hv as under kvm_hv_rs: QEMU keeps SDR1 and LPIDR
 * per thread (helper_store_sdr1/_lpidr write only the calling thread),
 * while on POWER8 they are per core and KVM's entry code has only the
 * primary thread switch them. Thread 1 enters the guest with the host's
 * HPT and LPID and takes HISI at its first instruction forever (the ceder
 * never cedes; with the prodder there, the host hangs). Copying thread
 * 0's SDR1 and LPIDR into thread 1 through QEMU's gdbstub at guest entry
 * made both variants pass under kvm-hv. scripts/build-qemu.sh builds QEMU
 * with qemu/patches/0001, which shares them between a POWER8 core's
 * threads, and scripts/run-qemu.sh then boots powernv8 with
 * kvm_hv_rs_p8_smt=shared (an environment variable here). Without it the
 * variants that share a vcore (KVM_CAP_PPC_SMT above 1) are skipped.
 *
 * A vcpu that does not exit within 10 s is interrupted and fails.
 * Output is KTAP, indented as a subtest of the harness's KTAP.
 *
 * Usage: smp NAME
 */
#define _GNU_SOURCE	/* pthread_timedjoin_np, gettid */
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

#include "vmtest.h"

#define H_PROD		0xe8
#define H_DONE		0x7011
#define CEDER_ADDR	(CODE_ADDR + 0x100)
#define ILLEGAL_ADDR	(CODE_ADDR + 0x200)
#define PRODDED_ADDR	(CODE_ADDR + 0x400)	/* the prodder's flag, a doubleword */
#define SPR_DEC		22
#define SRR1_PROGILL	(1UL << 19)

/* lis rt,si (addis rt,0,si) */
static inline uint32_t lis(int rt, uint16_t si) { return 0x3c000000 | rt << 21 | si; }
#define SYNC		0x7c0004acu

struct variant {
	const char *name;
	int ceder, prodder;	/* vcpu ids */
};

static const struct variant variants[] = {
	{ "cede_prod", 1, 0 },
	{ "cede_prod_thread0", 0, 1 },
	{ "cede_prod_apart", 2, 0 },
};

/* The vcpu id the prodder's guest code prods. */
static int prod_target;

/*
 * The ceder, at CEDER_ADDR: cedes until the word at PRODDED_ADDR is set,
 * then reports the last H_CEDE's return value (r4) and how many times it
 * ceded (r5) with H_READY. The decrementer interrupt (0x900) moves the
 * decrementer DEC_FAR away and goes back to the cede (CEDER_LOOP).
 */
#define CEDER_LOOP	(CEDER_ADDR + 4)
static void write_ceder(uint32_t *mem)
{
	uint32_t *p = mem + CEDER_ADDR / 4;

	*p++ = li(6, 0);
	*p++ = li(3, H_CEDE);		/* CEDER_LOOP */
	*p++ = SC1;
	*p++ = addi(6, 6, 1);
	*p++ = mr(4, 3);
	*p++ = ld(5, PRODDED_ADDR, 0);	/* ra 0: the absolute address */
	*p++ = cmpwi(5, 0);
	*p++ = beq(-6 * 4);
	*p++ = mr(5, 6);
	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(0);

	p = mem + 0x900 / 4;
	*p++ = lis(3, DEC_FAR >> 16);
	*p++ = mtspr(SPR_DEC, 3);
	*p = b(CEDER_LOOP - 0x908);
}

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	/* The prodder: set the ceder's flag, prod it, report the result. */
	*p++ = li(5, 1);
	*p++ = std_(5, PRODDED_ADDR, 0);
	*p++ = SYNC;
	*p++ = li(3, H_PROD);
	*p++ = li(4, prod_target);
	*p++ = SC1;
	*p++ = mr(4, 3);
	*p++ = li(3, H_DONE);
	*p++ = SC1;
	*p++ = b(0);

	write_ceder(mem);
}

struct ceder {
	int fd;
	struct kvm_run *run;
	int r;
	volatile pid_t tid;
};

/* Reads /proc/TID/WHAT into buf (NUL-terminated); its length, or -1. */
static ssize_t read_proc(pid_t tid, const char *what, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", tid, what);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* Thread tid's state letter (R, S, D, ...), or '?'. */
static char thread_state(pid_t tid)
{
	char stat[512], *p = read_proc(tid, "stat", stat, sizeof(stat)) > 0 ? strrchr(stat, ')') : NULL;

	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * Waits up to 30 s until thread `tid` sleeps (state S); 0 when it does. (An
 * emulated four-CPU POWER8 on a loaded machine took over 10 s once.) If it
 * does not, says where it is: its state, /proc/TID/stat (field 39: the CPU
 * it last ran on), its wchan, and its kernel stack where the kernel has
 * /proc/TID/stack.
 */
static int wait_asleep(pid_t tid)
{
	char stack[1024], *line, *save = NULL;
	int i;

	for (i = 0; i < 3000; i++) {
		if (thread_state(tid) == 'S')
			return 0;
		if (i == 500)
			diag("thread %d: not asleep after 5 s", tid);
		usleep(10 * 1000);
	}
	diag("thread %d: state %c", tid, thread_state(tid));
	if (read_proc(tid, "stat", stack, sizeof(stack)) > 0)
		diag("  stat: %s", stack);
	if (read_proc(tid, "wchan", stack, sizeof(stack)) > 0)
		diag("  wchan: %s", stack);
	if (read_proc(tid, "stack", stack, sizeof(stack)) > 0)
		for (line = strtok_r(stack, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			diag("  %s", line);
	return -1;
}

static void on_usr1(int sig) { (void)sig; }

/* Closes v's VM and its second vcpu (fd, or -1; run, or NULL). */
static void vm_close_two(struct vm *v, int fd, struct kvm_run *run)
{
	if (run)
		munmap(run, v->run_size);
	if (fd >= 0)
		close(fd);
	vm_close(v);
}

static void *ceder_thread(void *arg)
{
	struct ceder *c = arg;
	sigset_t alrm;

	/* The main thread's watchdog (SIGALRM) is not for this thread. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	c->tid = gettid();
	c->r = ioctl(c->fd, KVM_RUN, 0) ? -errno : 0;
	return NULL;
}

static void check_exit(struct verdict *vd, const char *who, int r, struct kvm_run *run,
		       uint64_t nr)
{
	uint64_t *a = run->papr_hcall.args;

	if (r || run->exit_reason != KVM_EXIT_PAPR_HCALL || run->papr_hcall.nr != nr)
		fail(vd, "%s: KVM_RUN %d (%s), exit_reason %u, hcall 0x%llx (0x%llx 0x%llx 0x%llx "
		     "0x%llx); want hcall 0x%llx", who, r, r ? strerror(-r) : "ok", run->exit_reason,
		     (unsigned long long)run->papr_hcall.nr, (unsigned long long)a[0],
		     (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)a[3],
		     (unsigned long long)nr);
	else if (run->papr_hcall.args[0] != 0)
		fail(vd, "%s: returned 0x%llx, want H_SUCCESS", who,
		     (unsigned long long)run->papr_hcall.args[0]);
}

static void test_one(int kvm, enum mmu mmu, const char *skip, const struct variant *var)
{
	struct vm v = VM_INIT(kvm);
	struct ceder c = { .fd = -1 };
	struct verdict vd = { 0 };
	struct timespec until;
	struct kvm_run *other_run = NULL;
	int other = -1, prodder, vcpu0, smt;
	char name[64], who[32];
	pthread_t t;
	int r;

	snprintf(name, sizeof(name), "%s_%s", mmu_name[mmu], var->name);
	if (skip) {
		result(1, name, skip);
		return;
	}
	prod_target = var->ceder;
	/* vm_create makes vcpu 0; the other vcpu is the ceder or the prodder. */
	if (vm_create(&v, mmu, 1, write_guest)) {
		fail(&vd, "no VM: %s", strerror(errno));
		goto out;
	}
	smt = ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_SMT);
	if (smt > 1 && var->ceder < smt && var->prodder < smt &&
	    !getenv("kvm_hv_rs_p8_smt")) {
		vm_close(&v);
		result(1, name, "known: this QEMU keeps POWER8's SDR1/LPIDR per thread, so a vcore's thread 1 cannot enter a guest (qemu/patches/0001)");
		return;
	}
	if (
	    vcpu_create(&v, var->ceder ? var->ceder : var->prodder, 1, &other, &other_run)) {
		fail(&vd, "no VM with two vcpus: %s", strerror(errno));
		goto out;
	}
	vcpu0 = v.vcpu;
	c.fd = var->ceder ? other : vcpu0;
	c.run = var->ceder ? other_run : v.run;
	prodder = var->ceder ? vcpu0 : other;
	if (vcpu_place(prodder, CODE_ADDR, GUEST_MSR, DEC_FAR) ||
	    vcpu_place(c.fd, CEDER_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&vd, "placing the vcpus: %s", strerror(errno));
		goto out;
	}
	if (pthread_create(&t, NULL, ceder_thread, &c)) {
		fail(&vd, "pthread_create failed");
		goto out;
	}
	/* Prod only once the ceder sleeps in its H_CEDE. */
	while (!c.tid)
		usleep(1000);
	if (wait_asleep(c.tid))
		fail(&vd, "vcpu %d never went to sleep", var->ceder);
	v.vcpu = prodder;
	r = run(&v);
	v.vcpu = vcpu0;
	snprintf(who, sizeof(who), "vcpu %d (H_PROD)", var->prodder);
	check_exit(&vd, who, r, var->ceder ? v.run : other_run, H_DONE);

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	if (pthread_timedjoin_np(t, NULL, &until)) {
		pthread_kill(t, SIGUSR1);	/* KVM_RUN returns EINTR */
		pthread_join(t, NULL);
	}
	snprintf(who, sizeof(who), "vcpu %d (H_CEDE)", var->ceder);
	check_exit(&vd, who, c.r, c.run, H_READY);
	if (!c.r && c.run->papr_hcall.nr == H_READY && c.run->papr_hcall.args[1] != 1)
		diag("vcpu %d ceded %llu times (woken before the prod: by its decrementer, or H_CEDE came back early)",
		     var->ceder, (unsigned long long)c.run->papr_hcall.args[1]);
out:
	report(&vd, name);
	vm_close_two(&v, other, other_run);
}

/* Puts the ceder code in a fresh VM's memory: nothing sets its flag. */
static void write_ceder_only(uint32_t *mem)
{
	write_ceder(mem);
	mem[CODE_ADDR / 4] = li(3, H_READY);
	mem[CODE_ADDR / 4 + 1] = SC1;
	mem[CODE_ADDR / 4 + 2] = b(0);
}

static void test_teardown(int kvm, enum mmu mmu, const char *skip)
{
	struct vm v = VM_INIT(kvm);
	struct verdict vd = { 0 };
	char name[64];
	int status = 0;
	pid_t child;

	snprintf(name, sizeof(name), "%s_teardown_mid_run", mmu_name[mmu]);
	if (skip) {
		result(1, name, skip);
		return;
	}
	child = fork();
	if (child == 0) {
		struct vm cv = VM_INIT(kvm);

		alarm(0);
		if (vm_create(&cv, mmu, 1, write_ceder_only) ||
		    vcpu_place(cv.vcpu, CEDER_ADDR, GUEST_MSR, DEC_FAR))
			_exit(2);
		ioctl(cv.vcpu, KVM_RUN, 0);	/* sleeps in H_CEDE until killed */
		_exit(3);
	}
	if (child < 0) {
		fail(&vd, "fork: %s", strerror(errno));
		goto out;
	}
	if (wait_asleep(child))
		fail(&vd, "the child's vcpu never went to sleep");
	kill(child, SIGKILL);
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL)
		fail(&vd, "child: status 0x%x, want killed by SIGKILL", status);
	/* The host still runs guests. */
	if (vm_create(&v, mmu, 1, write_ceder_only)) {
		fail(&vd, "no VM after the teardown");
		goto out;
	}
	run_to_ready(&v, &vd, "after the teardown");
out:
	report(&vd, name);
	vm_close(&v);
}

/* vcpu 0 reports ready; ILLEGAL_ADDR holds an illegal instruction (0). */
static void write_illegal(uint32_t *mem)
{
	mem[CODE_ADDR / 4] = li(3, H_READY);
	mem[CODE_ADDR / 4 + 1] = SC1;
	mem[CODE_ADDR / 4 + 2] = b(0);
	mem[ILLEGAL_ADDR / 4] = 0;
}

static void test_second_vcpu_le(int kvm, enum mmu mmu, const char *skip)
{
	struct vm v = VM_INIT(kvm);
	struct verdict vd = { 0 };
	struct kvm_run *run1 = NULL;
	struct kvm_regs regs;
	uint64_t *a;
	int vcpu0, vcpu1 = -1, smt, r;
	char name[64];

	snprintf(name, sizeof(name), "%s_second_vcpu_le_interrupt", mmu_name[mmu]);
	if (skip) {
		result(1, name, skip);
		return;
	}
	/* vm_create makes vcpu 0 and sets its LPCR[ILE]; vcpu 1 comes after. */
	if (vm_create(&v, mmu, 1, write_illegal)) {
		fail(&vd, "no VM: %s", strerror(errno));
		goto out;
	}
	smt = ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_SMT);
	if (smt > 1 && !getenv("kvm_hv_rs_p8_smt")) {
		vm_close(&v);
		result(1, name, "known: this QEMU keeps POWER8's SDR1/LPIDR per thread, so a vcore's thread 1 cannot enter a guest (qemu/patches/0001)");
		return;
	}
	if (vcpu_create(&v, 1, 1, &vcpu1, &run1) ||
	    vcpu_place(vcpu1, ILLEGAL_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&vd, "vcpu 1: %s", strerror(errno));
		goto out;
	}
	vcpu0 = v.vcpu;
	v.vcpu = vcpu1;
	r = run(&v);
	v.vcpu = vcpu0;
	a = run1->papr_hcall.args;
	if (r || run1->exit_reason != KVM_EXIT_PAPR_HCALL ||
	    run1->papr_hcall.nr != H_VECTOR + 0x700) {
		fail(&vd, "vcpu 1: KVM_RUN %d (%s), exit_reason %u, hcall 0x%llx; want hcall 0x%x "
		     "(the program interrupt's vector)", r, r ? strerror(-r) : "ok",
		     run1->exit_reason, (unsigned long long)run1->papr_hcall.nr, H_VECTOR + 0x700);
		if (!ioctl(vcpu1, KVM_GET_REGS, &regs))
			diag("vcpu 1: pc 0x%llx msr 0x%llx srr0 0x%llx srr1 0x%llx",
			     (unsigned long long)regs.pc, (unsigned long long)regs.msr,
			     (unsigned long long)regs.srr0, (unsigned long long)regs.srr1);
	} else {
		/* The vector's hcall: r5 = SRR0, r6 = SRR1, r7 = its MSR. */
		if (a[1] != ILLEGAL_ADDR || !(a[2] & SRR1_PROGILL))
			fail(&vd, "SRR0 0x%llx SRR1 0x%llx, want 0x%lx and an illegal instruction",
			     (unsigned long long)a[1], (unsigned long long)a[2], ILLEGAL_ADDR);
		if (!(a[3] & MSR_LE))
			fail(&vd, "the vector ran with MSR 0x%llx: big-endian",
			     (unsigned long long)a[3]);
	}
out:
	report(&vd, name);
	vm_close_two(&v, vcpu1, run1);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	int n = sizeof(variants) / sizeof(variants[0]);
	int kvm = ktap_begin(argc > 1 ? argv[1] : "smp", 2 * (n + 2));
	int i;

	if (kvm < 0)
		return 1;
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < n; i++)
		test_one(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX), &variants[i]);
	for (i = 0; i < n; i++)
		test_one(kvm, MMU_HPT, mmu_skip(kvm, MMU_HPT), &variants[i]);
	test_teardown(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX));
	test_teardown(kvm, MMU_HPT, mmu_skip(kvm, MMU_HPT));
	test_second_vcpu_le(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX));
	test_second_vcpu_le(kvm, MMU_HPT, mmu_skip(kvm, MMU_HPT));
	close(kvm);
	return failed ? 1 : 0;
}

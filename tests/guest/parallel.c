// SPDX-License-Identifier: GPL-2.0
/*
 * parallel - vcpus and VMs running at the same time on different host CPUs.
 *
 * Every vcpu runs the same real-mode guest loop, with its registers set by
 * userspace: r20 the vcpu it prods, r21 the address it loads, r22 how long
 * it spins between exits:
 *
 *   loop: H_PROD(r20)            served in the kernel; the target may be in
 *                                the guest on another host CPU (a kick)
 *         r5 = H_PROD's return
 *         r6 = *(u64 *)r21       the first load of a page faults in the host
 *         spin r22 times
 *         H_READY                exit to userspace, which checks r5 and r6
 *         b loop
 *
 * Each vcpu thread is pinned to its own online host CPU and all start
 * together (a barrier), so their first loads fault on the same guest page at
 * once. Per guest MMU mode the host offers:
 *
 *   vcpus_parallel       one VM, one vcpu per host CPU (on POWER8 one per
 *                        vcore, KVM_CAP_PPC_SMT apart, so two vcores run at
 *                        once); each prods the next: cross-CPU H_PROD
 *   migrate              the same with long spins, while another thread
 *                        moves the vcpu threads between host CPUs
 *                        (sched_setaffinity) as they run
 *   several_vms          one VM per host CPU, all running at once
 *   allocate_htab_race   (HPT) KVM_PPC_ALLOCATE_HTAB again and again while
 *                        the vcpus run: 0 (no vcpu in KVM_RUN: the HPT is
 *                        reset, the next entry sets it up again) or EBUSY
 *   memslot_race         (radix) the vcpus load from memslot 1 while it is
 *                        deleted and added back again and again: a load is
 *                        the memory's value, or an MMIO exit that userspace
 *                        answers with the same value
 *   kill_running         a child process's two vcpus spin in the guest on
 *                        two host CPUs; the child is killed. A new VM runs.
 *
 * Every exit must be H_READY with H_PROD's return H_SUCCESS and the loaded
 * value right (or the MMIO exit described). With one online host CPU the
 * tests are skipped. A vcpu that does not exit within 20 s fails.
 * Output is KTAP, indented as a subtest of the harness's KTAP.
 *
 * Usage: parallel NAME
 */
#define _GNU_SOURCE	/* sched_setaffinity, CPU_*, pthread_timedjoin_np, gettid */
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>

#include "vmtest.h"

#define H_PROD		0xe8
#define SHARED_ADDR	(32UL << 20)	/* the page every vcpu loads */
#define SLOT1_ADDR	MEM_SIZE	/* memslot 1, which memslot_race removes */
#define SLOT1_SIZE	(1UL << 20)
#define PATTERN		0x0123456789abcdefULL
#define ITERS		200
#define SPIN_LONG	2000000		/* guest loop turns: tens of ms under TCG */
#define RACE_MS		1500
#define MAXV		8

static inline uint32_t cmpw(int ra, int rb) { return 0x7c000000 | ra << 16 | rb << 11; }

static void write_loop(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	*p++ = li(3, H_PROD);		/* loop: */
	*p++ = mr(4, 20);
	*p++ = SC1;
	*p++ = mr(5, 3);
	*p++ = ld(6, 0, 21);
	*p++ = li(7, 0);
	*p++ = addi(7, 7, 1);		/* spin: */
	*p++ = cmpw(7, 22);
	*p++ = blt(-8);
	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(-44);
	*(uint64_t *)((char *)mem + SHARED_ADDR) = PATTERN;
}

/* One vcpu and the thread that runs it. */
struct vcpu {
	int fd, id, cpu;
	struct kvm_run *run;
	size_t run_size;
	uint64_t prod, addr, spin;
	int iters;		/* exits to take; 0: until `stop` */
	pthread_t thread;
	volatile pid_t tid;
	int exits, mmio;
	struct verdict vd;
};

static pthread_barrier_t start;
static volatile int stop;

static void on_usr1(int sig) { (void)sig; }

/* The host CPUs this process may run on, in cpus[]; their number. */
static int online_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int c, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	for (c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static int pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

static int set_loop_regs(struct vcpu *c)
{
	struct kvm_regs regs;

	if (vcpu_place(c->fd, CODE_ADDR, GUEST_MSR, DEC_FAR) || ioctl(c->fd, KVM_GET_REGS, &regs))
		return -1;
	regs.gpr[20] = c->prod;
	regs.gpr[21] = c->addr;
	regs.gpr[22] = c->spin;
	return ioctl(c->fd, KVM_SET_REGS, &regs);
}

/* An MMIO read of memslot 1's range: answered with its value. */
static int answer_mmio(struct vcpu *c)
{
	struct kvm_run *r = c->run;
	uint64_t value = PATTERN;

	if (r->mmio.is_write || r->mmio.len != 8 || r->mmio.phys_addr != SLOT1_ADDR) {
		fail(&c->vd, "vcpu %d: MMIO %s of %u bytes at 0x%llx; want a read of 8 at 0x%lx",
		     c->id, r->mmio.is_write ? "write" : "read", r->mmio.len,
		     (unsigned long long)r->mmio.phys_addr, SLOT1_ADDR);
		return -1;
	}
	memcpy(r->mmio.data, &value, 8);
	c->mmio++;
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct kvm_run *r = c->run;
	uint64_t *a = r->papr_hcall.args;
	sigset_t alrm;
	int ret;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	c->tid = gettid();
	if (c->cpu >= 0 && pin(0, c->cpu))
		fail(&c->vd, "vcpu %d: pinning to CPU %d: %s", c->id, c->cpu, strerror(errno));
	pthread_barrier_wait(&start);
	while (c->iters ? c->exits < c->iters : !stop) {
		ret = ioctl(c->fd, KVM_RUN, 0) ? -errno : 0;
		if (!ret && r->exit_reason == KVM_EXIT_MMIO) {
			if (answer_mmio(c))
				break;
			continue;
		}
		if (ret || r->exit_reason != KVM_EXIT_PAPR_HCALL || r->papr_hcall.nr != H_READY) {
			fail(&c->vd, "vcpu %d, exit %d: KVM_RUN %d (%s), exit_reason %u, hcall 0x%llx; want H_READY",
			     c->id, c->exits, ret, ret ? strerror(-ret) : "ok", r->exit_reason,
			     (unsigned long long)r->papr_hcall.nr);
			break;
		}
		if (a[1] != 0 || a[2] != PATTERN) {
			fail(&c->vd, "vcpu %d, exit %d: H_PROD(%llu) returned 0x%llx, load gave 0x%llx; want 0 and 0x%llx",
			     c->id, c->exits, (unsigned long long)a[0], (unsigned long long)a[1],
			     (unsigned long long)a[2], PATTERN);
			break;
		}
		c->exits++;
	}
	return NULL;
}

/* c describes vcpu `id` (fd, run), to run ITERS loops on host CPU `cpu`. */
static void vcpu_init(struct vcpu *c, int fd, struct kvm_run *run, int id, int cpu)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->run = run;
	c->id = id;
	c->cpu = cpu;
	c->addr = SHARED_ADDR;
	c->iters = ITERS;
}

/* Creates vcpu `id` of v's VM into c, to run on host CPU `cpu`. */
static int vcpu_add(struct vm *v, struct vcpu *c, int id, int cpu)
{
	vcpu_init(c, -1, NULL, id, cpu);
	if (vcpu_create(v, id, 1, &c->fd, &c->run))
		return -1;
	c->run_size = v->run_size;
	return 0;
}

static void vcpu_free(struct vcpu *c)
{
	if (c->run)
		munmap(c->run, c->run_size);
	if (c->fd >= 0)
		close(c->fd);
	c->run = NULL;
	c->fd = -1;
}

/*
 * Starts the n vcpus' threads (regs set from c[i]), waits up to 20 s for
 * them, and collects their verdicts into vd. 0 once all have run.
 */
static int run_all(struct vcpu *c, int n, struct verdict *vd, void (*during)(struct vcpu *, int))
{
	struct timespec until;
	int i, started = 0;

	stop = 0;
	pthread_barrier_init(&start, NULL, n + 1);
	for (i = 0; i < n; i++) {
		if (set_loop_regs(&c[i])) {
			fail(vd, "vcpu %d: setting its registers: %s", c[i].id, strerror(errno));
			break;
		}
		if (pthread_create(&c[i].thread, NULL, vcpu_thread, &c[i])) {
			fail(vd, "pthread_create failed");
			break;
		}
		started++;
	}
	if (started < n) {
		/* The barrier is never reached: stop the threads at it. */
		for (i = 0; i < started; i++)
			pthread_cancel(c[i].thread);
		for (i = 0; i < started; i++)
			pthread_join(c[i].thread, NULL);
		pthread_barrier_destroy(&start);
		return -1;
	}
	pthread_barrier_wait(&start);
	if (during)
		during(c, n);
	stop = 1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	for (i = 0; i < n; i++) {
		if (pthread_timedjoin_np(c[i].thread, NULL, &until)) {
			fail(vd, "vcpu %d: no exit for 20 s (%d exits so far)", c[i].id, c[i].exits);
			pthread_kill(c[i].thread, SIGUSR1);	/* KVM_RUN returns EINTR */
			pthread_join(c[i].thread, NULL);
		}
		if (c[i].vd.failed)
			fail(vd, "%s", c[i].vd.why);
	}
	pthread_barrier_destroy(&start);
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec t = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&t, NULL);
}

/* migrate: moves each vcpu thread to the next CPU every 5 ms. */
static int ncpus, cpus[MAXV];
static int moves;

static void mover(struct vcpu *c, int n)
{
	int k, i, done;

	for (k = 1; ; k++) {
		done = 1;
		for (i = 0; i < n; i++)
			done &= c[i].exits >= c[i].iters;
		if (done || k > 4000)
			break;
		for (i = 0; i < n; i++)
			if (!pin(c[i].tid, cpus[(i + k) % ncpus]))
				moves++;
		sleep_ms(5);
	}
}

/* allocate_htab_race: KVM_PPC_ALLOCATE_HTAB while the vcpus run. */
static struct vm *race_vm;
static int htab_ok, htab_busy;
static struct verdict *race_vd;

static void htab_racer(struct vcpu *c, int n)
{
	struct timespec t0, t;
	uint32_t order;

	(void)c;
	(void)n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		order = 18;
		if (!ioctl(race_vm->vm, KVM_PPC_ALLOCATE_HTAB, &order))
			htab_ok++;
		else if (errno == EBUSY)
			htab_busy++;
		else
			fail(race_vd, "KVM_PPC_ALLOCATE_HTAB(18): %s; want success or EBUSY",
			     strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < RACE_MS);
	for (n--; n >= 0; n--)
		c[n].iters = c[n].exits + 1;	/* then stop */
}

/* memslot_race: memslot 1 deleted and added back while the vcpus load from it. */
static uint64_t *slot1;
static int slot_changes;

static int set_slot1(struct vm *v, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 1, .guest_phys_addr = SLOT1_ADDR, .memory_size = size,
		.userspace_addr = (uintptr_t)slot1,
	};
	return ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void slot_racer(struct vcpu *c, int n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (set_slot1(race_vm, 0) || set_slot1(race_vm, SLOT1_SIZE))
			fail(race_vd, "KVM_SET_USER_MEMORY_REGION(1): %s", strerror(errno));
		else
			slot_changes++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < RACE_MS);
	for (n--; n >= 0; n--)
		c[n].iters = c[n].exits + 1;
}

enum kind { VCPUS_PARALLEL, MIGRATE, SEVERAL_VMS, HTAB_RACE, SLOT_RACE };
static const char *const kind_name[] = {
	"vcpus_parallel", "migrate", "several_vms", "allocate_htab_race", "memslot_race",
};

static void test_one(int kvm, enum mmu mmu, enum kind kind, const char *skip)
{
	struct vm vms[MAXV];
	struct vcpu c[MAXV];
	struct verdict vd = { 0 };
	int i, n = ncpus, nvms = kind == SEVERAL_VMS ? ncpus : 1, stride = 1, total = 0, mmio = 0;
	void (*during)(struct vcpu *, int) = NULL;
	char name[64];

	snprintf(name, sizeof(name), "%s_%s", mmu_name[mmu], kind_name[kind]);
	if (!skip && ncpus < 2)
		skip = "one online host CPU";
	if (skip) {
		result(1, name, skip);
		return;
	}
	for (i = 0; i < MAXV; i++) {
		vms[i] = (struct vm)VM_INIT(kvm);
		vcpu_init(&c[i], -1, NULL, 0, -1);
	}
	for (i = 0; i < nvms; i++)
		if (vm_create(&vms[i], mmu, 1, write_loop)) {
			fail(&vd, "no VM %d", i);
			goto out;
		}
	/* On POWER8 a vcore holds KVM_CAP_PPC_SMT vcpus: one vcpu per vcore. */
	if (nvms == 1)
		stride = ioctl(vms[0].vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_SMT);
	if (stride < 1)
		stride = 1;
	if (kind == HTAB_RACE && n > 2)
		n--;	/* a CPU for the ioctls */
	for (i = 0; i < n; i++) {
		/* vm_create made vcpu 0 of each VM; several VMs' vcpus prod themselves. */
		if (nvms > 1 || i == 0) {
			vcpu_init(&c[i], vms[i].vcpu, vms[i].run, 0, cpus[i]);
		} else if (vcpu_add(&vms[0], &c[i], i * stride, cpus[i])) {
			fail(&vd, "no vcpu %d", i * stride);
			goto out;
		}
	}
	for (i = 0; nvms == 1 && i < n; i++)
		c[i].prod = c[(i + 1) % n].id;
	race_vm = &vms[0];
	race_vd = &vd;
	switch (kind) {
	case MIGRATE:
		for (i = 0; i < n; i++) {
			c[i].spin = SPIN_LONG;
			c[i].iters = 20;
		}
		moves = 0;
		during = mover;
		break;
	case HTAB_RACE:
		htab_ok = htab_busy = 0;
		for (i = 0; i < n; i++)
			c[i].iters = 1000000;
		during = htab_racer;
		break;
	case SLOT_RACE:
		if (set_slot1(&vms[0], SLOT1_SIZE)) {
			fail(&vd, "KVM_SET_USER_MEMORY_REGION(1): %s", strerror(errno));
			goto out;
		}
		slot_changes = 0;
		for (i = 0; i < n; i++) {
			c[i].addr = SLOT1_ADDR;
			c[i].iters = 1000000;
		}
		during = slot_racer;
		break;
	default:
		break;
	}
	if (run_all(c, n, &vd, during))
		goto out;
	for (i = 0; i < n; i++) {
		total += c[i].exits;
		mmio += c[i].mmio;
	}
	switch (kind) {
	case MIGRATE:
		diag("%d exits on %d vcpus, %d moves", total, n, moves);
		if (!moves)
			fail(&vd, "no vcpu thread was moved");
		break;
	case HTAB_RACE:
		diag("%d exits on %d vcpus; KVM_PPC_ALLOCATE_HTAB: %d done, %d EBUSY", total, n,
		     htab_ok, htab_busy);
		break;
	case SLOT_RACE:
		diag("%d exits (%d MMIO) on %d vcpus, memslot 1 re-added %d times", total, mmio, n,
		     slot_changes);
		break;
	default:
		diag("%d exits on %d vcpus of %d VM(s), host CPUs %d..%d", total, n, nvms, cpus[0],
		     cpus[n - 1]);
		break;
	}
out:
	report(&vd, name);
	for (i = 0; i < n; i++)
		if (nvms == 1 && i > 0)
			vcpu_free(&c[i]);
	for (i = 0; i < nvms; i++)
		vm_close(&vms[i]);
}

/* Waits up to 10 s for `fd` to be readable; 0 when it is. */
static int wait_readable(int fd)
{
	char b;
	int i;

	for (i = 0; i < 1000; i++) {
		if (read(fd, &b, 1) == 1)
			return 0;
		usleep(10 * 1000);
	}
	return -1;
}

static void test_kill(int kvm, enum mmu mmu, const char *skip)
{
	struct vm v = VM_INIT(kvm);
	struct verdict vd = { 0 };
	int status = 0, pfd[2];
	char name[64];
	pid_t child;

	snprintf(name, sizeof(name), "%s_kill_running", mmu_name[mmu]);
	if (!skip && ncpus < 2)
		skip = "one online host CPU";
	if (skip) {
		result(1, name, skip);
		return;
	}
	if (pipe2(pfd, O_NONBLOCK)) {
		fail(&vd, "pipe: %s", strerror(errno));
		goto out;
	}
	child = fork();
	if (child == 0) {
		struct vm cv = VM_INIT(kvm);
		struct vcpu c[2];
		int stride, i;

		close(pfd[0]);
		if (vm_create(&cv, mmu, 1, write_loop))
			_exit(2);
		stride = ioctl(cv.vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_SMT);
		vcpu_init(&c[0], cv.vcpu, cv.run, 0, cpus[0]);
		if (vcpu_add(&cv, &c[1], stride > 1 ? stride : 1, cpus[1]))
			_exit(2);
		pthread_barrier_init(&start, NULL, 3);
		for (i = 0; i < 2; i++) {
			c[i].prod = c[1 - i].id;
			c[i].spin = 0x7fffffff;	/* no exit before the kill */
			if (set_loop_regs(&c[i]) ||
			    pthread_create(&c[i].thread, NULL, vcpu_thread, &c[i]))
				_exit(2);
		}
		pthread_barrier_wait(&start);
		sleep_ms(300);	/* both in KVM_RUN */
		if (write(pfd[1], "r", 1) != 1)
			_exit(2);
		pthread_join(c[0].thread, NULL);
		_exit(3);
	}
	close(pfd[1]);
	if (child < 0) {
		fail(&vd, "fork: %s", strerror(errno));
		close(pfd[0]);
		goto out;
	}
	if (wait_readable(pfd[0]))
		fail(&vd, "the child's vcpus never started");
	close(pfd[0]);
	kill(child, SIGKILL);
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL)
		fail(&vd, "child: status 0x%x, want killed by SIGKILL", status);
	/* The host still runs guests. */
	if (vm_create(&v, mmu, 1, write_loop)) {
		fail(&vd, "no VM after the kill");
		goto out;
	}
	if (vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&vd, "placing the vcpu: %s", strerror(errno));
		goto out;
	}
	run_to_ready(&v, &vd, "after the kill");
out:
	report(&vd, name);
	vm_close(&v);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	int kvm = ktap_begin(argc > 1 ? argv[1] : "parallel", 10);
	const char *radix_skip, *hpt_skip;

	if (kvm < 0)
		return 1;
	sigaction(SIGUSR1, &sa, NULL);
	ncpus = online_cpus(cpus, 4);
	slot1 = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slot1 == MAP_FAILED)
		return 1;
	*slot1 = PATTERN;
	radix_skip = mmu_skip(kvm, MMU_RADIX);
	hpt_skip = mmu_skip(kvm, MMU_HPT);
	test_one(kvm, MMU_RADIX, VCPUS_PARALLEL, radix_skip);
	test_one(kvm, MMU_RADIX, MIGRATE, radix_skip);
	test_one(kvm, MMU_RADIX, SEVERAL_VMS, radix_skip);
	test_one(kvm, MMU_RADIX, SLOT_RACE, radix_skip);
	test_kill(kvm, MMU_RADIX, radix_skip);
	test_one(kvm, MMU_HPT, VCPUS_PARALLEL, hpt_skip);
	test_one(kvm, MMU_HPT, MIGRATE, hpt_skip);
	test_one(kvm, MMU_HPT, SEVERAL_VMS, hpt_skip);
	test_one(kvm, MMU_HPT, HTAB_RACE, hpt_skip);
	test_kill(kvm, MMU_HPT, hpt_skip);
	close(kvm);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * smp - two vcpus of one VM: H_CEDE ended by another vcpu's H_PROD.
 *
 * For each guest MMU mode the host offers, vcpu 1 runs, on its own thread,
 * a real-mode guest that cedes (H_CEDE) and then reports H_CEDE's return
 * value with H_READY; both decrementers are far away, so nothing but a prod
 * can wake it. A moment later vcpu 0 prods vcpu 1 (H_PROD) and reports
 * H_PROD's return value with H_DONE. Both must exit to userspace with
 * H_SUCCESS: the host wakes a vcpu sleeping in H_CEDE when another prods
 * it (kvmppc_fast_vcpu_kick_hv waking the vcpu's rcuwait). vcpu 0 runs only
 * once vcpu 1's thread sleeps (state S in /proc), so the wake-up is what is
 * tested, not a prod that comes first and makes the cede return at once.
 *
 *   cede_prod   as above; a vcpu that does not exit within 10 s is
 *               interrupted and fails
 *
 * Output is KTAP, indented as a subtest of the harness's KTAP.
 *
 * Usage: smp NAME
 */
#define _GNU_SOURCE	/* pthread_timedjoin_np, gettid */
#include <pthread.h>
#include <time.h>

#include "vmtest.h"

#define H_PROD		0xe8
#define H_DONE		0x7011
#define CEDER_ADDR	(CODE_ADDR + 0x100)

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	/* vcpu 0: prod vcpu 1, report the result. */
	*p++ = li(3, H_PROD);
	*p++ = li(4, 1);
	*p++ = SC1;
	*p++ = mr(4, 3);
	*p++ = li(3, H_DONE);
	*p++ = SC1;
	*p++ = b(0);

	/* vcpu 1: cede, report the result. */
	write_cede(mem + CEDER_ADDR / 4);
}

struct ceder {
	int fd;
	struct kvm_run *run;
	int r;
	volatile pid_t tid;
};

/* Waits up to 10 s until thread `tid` sleeps (state S); 0 when it does. */
static int wait_asleep(pid_t tid)
{
	char path[64], stat[256], *state;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			stat[n] = 0;
			state = strrchr(stat, ')');
			if (state && state[1] == ' ' && state[2] == 'S')
				return 0;
		}
		usleep(10 * 1000);
	}
	return -1;
}

static void on_usr1(int sig) { (void)sig; }

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

static void test_mmu(int kvm, enum mmu mmu, const char *skip)
{
	struct vm v = VM_INIT(kvm);
	struct ceder c = { .fd = -1 };
	struct verdict vd = { 0 };
	struct timespec until;
	pthread_t t;
	char name[64];
	int r;

	snprintf(name, sizeof(name), "%s_cede_prod", mmu_name[mmu]);
	if (skip) {
		result(1, name, skip);
		return;
	}
	if (vm_create(&v, mmu, 1, write_guest) || vcpu_create(&v, 1, 1, &c.fd, &c.run) ||
	    vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR) ||
	    vcpu_place(c.fd, CEDER_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&vd, "no VM with two vcpus: %s", strerror(errno));
		goto out;
	}
	if (pthread_create(&t, NULL, ceder_thread, &c)) {
		fail(&vd, "pthread_create failed");
		goto out;
	}
	/* Prod only once vcpu 1 sleeps in its H_CEDE. */
	while (!c.tid)
		usleep(1000);
	if (wait_asleep(c.tid))
		fail(&vd, "vcpu 1 never went to sleep");
	r = run(&v);
	check_exit(&vd, "vcpu 0 (H_PROD)", r, v.run, H_DONE);

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	if (pthread_timedjoin_np(t, NULL, &until)) {
		pthread_kill(t, SIGUSR1);	/* KVM_RUN returns EINTR */
		pthread_join(t, NULL);
	}
	check_exit(&vd, "vcpu 1 (H_CEDE)", c.r, c.run, H_READY);
out:
	report(&vd, name);
	if (c.run)
		munmap(c.run, v.run_size);
	if (c.fd >= 0)
		close(c.fd);
	vm_close(&v);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	int kvm = ktap_begin(argc > 1 ? argv[1] : "smp", 2);

	if (kvm < 0)
		return 1;
	sigaction(SIGUSR1, &sa, NULL);
	test_mmu(kvm, MMU_RADIX, mmu_skip(kvm, MMU_RADIX));
	test_mmu(kvm, MMU_HPT, NULL);
	close(kvm);
	return failed ? 1 : 0;
}

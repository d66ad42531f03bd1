// SPDX-License-Identifier: GPL-2.0
/*
 * kvmctl - small KVM actions for the harness's shell scenarios.
 *
 *   kvmctl hold      create an HV VM with one vcpu, print "held" and keep
 *                    them until killed (SIGTERM), then destroy them
 *   kvmctl hold-hpt  the same with an HPT guest that has run up to its first
 *                    hcall exit (so its HPT and VRMA are set up) first
 *   kvmctl alloc-htab-busy
 *                    KVM_PPC_ALLOCATE_HTAB while another thread runs a vcpu
 *                    of the VM (a guest spinning in real mode); prints
 *                    "busy: ERRNO-NAME" (or "busy: 0")
 *   kvmctl alloc-htab ORDER...
 *                    on a new HV VM, KVM_PPC_ALLOCATE_HTAB with each ORDER
 *                    in turn; prints "ORDER: 0" or "ORDER: ERRNO-NAME" each
 *   kvmctl cma-free  the KVM CMA area's free kB with every CPU's free-page
 *                    lists drained: a 256 KiB HPT is taken from the area
 *                    (cma_alloc() drains them all), /proc/meminfo's CmaFree
 *                    read while it is held, and the HPT's 256 added back.
 *                    Pages freed to a CPU's list are not counted as free
 *                    until it is drained; a 16 MiB HPT on a hash host
 *                    (the PMD size there, a THP order) goes to one.
 *   kvmctl vcpu-ids-refused
 *                    on a new HV VM, KVM_CREATE_VCPU with the 8 highest
 *                    ids kvm.ko accepts (below KVM_CAP_MAX_VCPU_ID):
 *                    prints "ID: ERRNO-NAME" (or "ID: 0") for each
 *   kvmctl compat-caps
 *                    KVM_CHECK_EXTENSION(KVM_CAP_PPC_COMPAT_CAPS) and, on a
 *                    new HV VM, KVM_PPC_GET_COMPAT_CAPS (the op
 *                    get_compat_caps): prints "cap: N" and "caps: 0xBITS"
 *                    or "caps: ERRNO-NAME"
 *
 * Exit status 0 on success; on failure the reason goes to stderr. hold-hpt
 * and alloc-htab-busy exit with 4 (kselftest's skip) on a host that offers
 * radix guests only (a pseries host): there is no HPT guest to run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig; stop = 1; }

#define MEM_SIZE	(64UL << 20)
#define CODE_ADDR	0x1000

static const uint32_t hcall_guest[] = {
	0x38607000,	/* li r3,0x7000 */
	0x44000022,	/* sc 1 */
	0x48000000,	/* b . */
};
static const uint32_t spin_guest[] = { 0x48000000 };	/* b . */

/* 1, said on stderr, if the host offers radix guests only (a pseries host). */
static int no_hpt_guests(int kvm)
{
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_RADIX) <= 0 ||
	    ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0)
		return 0;
	fprintf(stderr, "kvmctl: no HPT guests on this host (radix only, as on a pseries host)\n");
	return 1;
}

/* Makes the VM an HPT guest running `code` (at 0x1000, real mode, LE). */
static struct kvm_run *setup_hpt_guest(int kvm, int vm, int vcpu, const uint32_t *code, int n)
{
	struct kvm_ppc_mmuv3_cfg hpt = { 0 };
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE };
	struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };
	struct kvm_regs regs;
	struct kvm_run *run;
	uint32_t *mem;
	long size;

	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0 &&
	    ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &hpt))
		return fprintf(stderr, "kvmctl: KVM_PPC_CONFIGURE_V3_MMU: %s\n", strerror(errno)), NULL;
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fprintf(stderr, "kvmctl: mmap: %s\n", strerror(errno)), NULL;
	memcpy(mem + CODE_ADDR / 4, code, n * sizeof(*code));
	region.userspace_addr = (uintptr_t)mem;
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) ||
	    ioctl(vcpu, KVM_ENABLE_CAP, &papr) || ioctl(vcpu, KVM_GET_REGS, &regs))
		return fprintf(stderr, "kvmctl: VM set-up: %s\n", strerror(errno)), NULL;
	regs.pc = CODE_ADDR;
	regs.msr = 1UL << 63 | 1UL << 12 | 1;	/* SF, ME, LE */
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return fprintf(stderr, "kvmctl: KVM_SET_REGS: %s\n", strerror(errno)), NULL;
	return run;
}

/* Runs the vcpu of an HPT guest up to its first exit, an hcall. */
static int run_hpt_guest(int kvm, int vm, int vcpu)
{
	struct kvm_run *run = setup_hpt_guest(kvm, vm, vcpu, hcall_guest, 3);

	if (!run)
		return 1;
	if (ioctl(vcpu, KVM_RUN, 0))
		return fprintf(stderr, "kvmctl: KVM_RUN: %s\n", strerror(errno)), 1;
	if (run->exit_reason != KVM_EXIT_PAPR_HCALL || run->papr_hcall.nr != 0x7000)
		return fprintf(stderr, "kvmctl: exit %u, hcall 0x%llx\n", run->exit_reason,
			       (unsigned long long)run->papr_hcall.nr), 1;
	return 0;
}

static void on_usr1(int sig) { (void)sig; }

static void *spin(void *vcpu)
{
	ioctl(*(int *)vcpu, KVM_RUN, 0);	/* until SIGUSR1: EINTR */
	return NULL;
}

static int alloc_htab_busy(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	uint32_t order = 24;
	pthread_t thread;
	int kvm, vm, vcpu, r;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm >= 0 && no_hpt_guests(kvm))
		return 4;
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || !setup_hpt_guest(kvm, vm, vcpu, spin_guest, 1))
		return fprintf(stderr, "kvmctl: VM: %s\n", strerror(errno)), 1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&thread, NULL, spin, &vcpu);
	sleep(2);
	r = ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order);
	printf("busy: %s\n", r ? strerrorname_np(errno) : "0");
	pthread_kill(thread, SIGUSR1);
	pthread_join(thread, NULL);
	return 0;
}

static int hold(int hpt)
{
	struct sigaction sa = { .sa_handler = on_term };
	int kvm, vm, vcpu;

	sigaction(SIGTERM, &sa, NULL);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvmctl: open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	if (hpt && no_hpt_guests(kvm))
		return 4;
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	if (vm < 0) {
		fprintf(stderr, "kvmctl: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fprintf(stderr, "kvmctl: KVM_CREATE_VCPU: %s\n", strerror(errno));
		return 1;
	}
	if (hpt && run_hpt_guest(kvm, vm, vcpu))
		return 1;
	printf("held\n");
	fflush(stdout);
	while (!stop)
		pause();
	close(vcpu);
	close(vm);
	close(kvm);
	return 0;
}

static int alloc_htab(int n, char **orders)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	int i;

	if (vm < 0) {
		fprintf(stderr, "kvmctl: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint32_t order = strtoul(orders[i], NULL, 0);

		if (ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order))
			printf("%s: %s\n", orders[i], strerrorname_np(errno));
		else
			printf("%s: 0\n", orders[i]);
	}
	return 0;
}

static int cma_free(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	uint32_t order = 18;
	char line[128];
	long kb = -1;
	FILE *f;

	if (vm < 0 || ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order)) {
		fprintf(stderr, "kvmctl: %s: %s\n", vm < 0 ? "KVM_CREATE_VM" : "KVM_PPC_ALLOCATE_HTAB",
			strerror(errno));
		return 1;
	}
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CmaFree:", 8))
			kb = strtol(line + 8, NULL, 10);
	if (f)
		fclose(f);
	if (kb < 0) {
		fprintf(stderr, "kvmctl: no CmaFree in /proc/meminfo\n");
		return 1;
	}
	printf("%ld\n", kb + (1L << order) / 1024);
	return 0;
}

static int vcpu_ids_refused(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	int max, id, fd;

	if (vm < 0) {
		fprintf(stderr, "kvmctl: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	max = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	if (max < 8) {
		fprintf(stderr, "kvmctl: KVM_CAP_MAX_VCPU_ID %d\n", max);
		return 1;
	}
	for (id = max - 8; id < max; id++) {
		fd = ioctl(vm, KVM_CREATE_VCPU, id);
		if (fd < 0) {
			printf("%d: %s\n", id, strerrorname_np(errno));
		} else {
			printf("%d: 0\n", id);
			close(fd);
		}
	}
	return 0;
}

static int compat_caps(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	struct kvm_ppc_compat_caps caps = { .size = sizeof(caps) };

	if (vm < 0) {
		fprintf(stderr, "kvmctl: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	printf("cap: %d\n", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_COMPAT_CAPS));
	if (ioctl(vm, KVM_PPC_GET_COMPAT_CAPS, &caps))
		printf("caps: %s\n", strerrorname_np(errno));
	else
		printf("caps: %#llx\n", (unsigned long long)caps.compat_capabilities);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "hold"))
		return hold(0);
	if (argc == 2 && !strcmp(argv[1], "hold-hpt"))
		return hold(1);
	if (argc == 2 && !strcmp(argv[1], "alloc-htab-busy"))
		return alloc_htab_busy();
	if (argc >= 3 && !strcmp(argv[1], "alloc-htab"))
		return alloc_htab(argc - 2, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "cma-free"))
		return cma_free();
	if (argc == 2 && !strcmp(argv[1], "compat-caps"))
		return compat_caps();
	if (argc == 2 && !strcmp(argv[1], "vcpu-ids-refused"))
		return vcpu_ids_refused();
	fprintf(stderr, "usage: kvmctl hold|hold-hpt|alloc-htab-busy|alloc-htab ORDER...|cma-free|compat-caps|vcpu-ids-refused\n");
	return 2;
}

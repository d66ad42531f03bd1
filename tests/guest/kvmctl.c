// SPDX-License-Identifier: GPL-2.0
/*
 * kvmctl - small KVM actions for the harness's shell scenarios.
 *
 *   kvmctl hold      create an HV VM with one vcpu, print "held" and keep
 *                    them until killed (SIGTERM), then destroy them
 *   kvmctl hold-hpt  the same with an HPT guest that has run up to its first
 *                    hcall exit (so its HPT and VRMA are set up) first
 *
 * Exit status 0 on success; on failure the reason goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig; stop = 1; }

#define MEM_SIZE	(64UL << 20)
#define CODE_ADDR	0x1000

/* Runs the vcpu of an HPT guest up to its first exit, an hcall. */
static int run_hpt_guest(int kvm, int vm, int vcpu)
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
		return fprintf(stderr, "kvmctl: KVM_PPC_CONFIGURE_V3_MMU: %s\n", strerror(errno)), 1;
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fprintf(stderr, "kvmctl: mmap: %s\n", strerror(errno)), 1;
	mem[CODE_ADDR / 4] = 0x38607000;	/* li r3,0x7000 */
	mem[CODE_ADDR / 4 + 1] = 0x44000022;	/* sc 1 */
	mem[CODE_ADDR / 4 + 2] = 0x48000000;	/* b . */
	region.userspace_addr = (uintptr_t)mem;
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) ||
	    ioctl(vcpu, KVM_ENABLE_CAP, &papr) || ioctl(vcpu, KVM_GET_REGS, &regs))
		return fprintf(stderr, "kvmctl: VM set-up: %s\n", strerror(errno)), 1;
	regs.pc = CODE_ADDR;
	regs.msr = 1UL << 63 | 1UL << 12 | 1;	/* SF, ME, LE */
	if (ioctl(vcpu, KVM_SET_REGS, &regs) || ioctl(vcpu, KVM_RUN, 0))
		return fprintf(stderr, "kvmctl: KVM_RUN: %s\n", strerror(errno)), 1;
	if (run->exit_reason != KVM_EXIT_PAPR_HCALL || run->papr_hcall.nr != 0x7000)
		return fprintf(stderr, "kvmctl: exit %u, hcall 0x%llx\n", run->exit_reason,
			       (unsigned long long)run->papr_hcall.nr), 1;
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

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "hold"))
		return hold(0);
	if (argc == 2 && !strcmp(argv[1], "hold-hpt"))
		return hold(1);
	fprintf(stderr, "usage: kvmctl hold|hold-hpt\n");
	return 2;
}

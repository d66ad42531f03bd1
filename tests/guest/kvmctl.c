// SPDX-License-Identifier: GPL-2.0
/*
 * kvmctl - small KVM actions for the harness's shell scenarios.
 *
 *   kvmctl hold    create an HV VM with one vcpu, print "held" and keep
 *                  them until killed (SIGTERM), then destroy them
 *
 * Exit status 0 on success; on failure the reason goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig; stop = 1; }

static int hold(void)
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
		return hold();
	fprintf(stderr, "usage: kvmctl hold\n");
	return 2;
}

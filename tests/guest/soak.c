// SPDX-License-Identifier: GPL-2.0
/*
 * soak - many VM lives: create, first run, destroy.
 *
 * For each guest MMU mode the host offers, COUNT times: a new VM with one
 * vcpu and 64 MiB, its first KVM_RUN (for HPT: the HPT and VRMA set-up) to
 * the guest's H_READY, and the VM closed. Every run must reach H_READY.
 * tests/init.sh checks around it that kmemleak finds nothing and that the
 * KVM CMA area and free memory come back once the VMs' teardown is done.
 *
 * Usage: soak NAME [COUNT]   (default 50)
 */
#include <time.h>

#include "vmtest.h"

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(-8);
}

static void soak(int kvm, enum mmu mmu, int count)
{
	struct verdict vd = { 0 };
	struct timespec t0, t1;
	char name[32], when[32];
	int i;

	snprintf(name, sizeof(name), "%s_cycles", mmu_name[mmu]);
	if (mmu_skip(kvm, mmu)) {
		result(1, name, mmu_skip(kvm, mmu));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count && !vd.failed; i++) {
		struct vm v = VM_INIT(kvm);

		snprintf(when, sizeof(when), "cycle %d", i);
		if (vm_create(&v, mmu, 1, write_guest))
			fail(&vd, "%s: no VM", when);
		else
			run_to_ready(&v, &vd, when);
		vm_close(&v);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("%d VM lives in %ld ms", i,
	     (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	report(&vd, name);
}

int main(int argc, char **argv)
{
	int kvm = ktap_begin(argc > 1 ? argv[1] : "soak", 2);
	int count = argc > 2 ? atoi(argv[2]) : 50;

	if (kvm < 0)
		return 1;
	soak(kvm, MMU_RADIX, count);
	soak(kvm, MMU_HPT, count);
	close(kvm);
	return failed ? 1 : 0;
}

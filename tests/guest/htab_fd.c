// SPDX-License-Identifier: GPL-2.0
/*
 * htab_fd - the HTAB fd (KVM_PPC_GET_HTAB_FD) of an HPT guest that has no
 * HPT yet, and once it has one.
 *
 *   read_before_htab   read() gives 0 bytes: there is nothing to read.
 *                      kvm-hv walked 2^60 entries from NULL and oopsed
 *                      (patch 0016; the ioctl fuzzer found it)
 *   write_before_htab  write() of one HPTE fails with EINVAL; kvm-hv
 *                      stored it at NULL + index * 16
 *   read_after_alloc   after KVM_PPC_ALLOCATE_HTAB(18), read() gives the
 *                      HPT's (invalid) entries: more than 0 bytes
 *
 * The VM is an HPT guest: KVM_PPC_CONFIGURE_V3_MMU without RADIX on ISA
 * v3 hosts, a new VM on POWER8. On a host without HPT guests (radix only,
 * as on a pseries host) the tests are skipped.
 *
 * Usage: htab_fd NAME
 */
#include "vmtest.h"

static int hpt_vm(int kvm)
{
	struct kvm_ppc_mmuv3_cfg cfg = { 0 };
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);

	if (vm >= 0 && ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_MMU_HASH_V3) > 0 &&
	    ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, &cfg)) {
		diag("KVM_PPC_CONFIGURE_V3_MMU(hpt): %s", strerror(errno));
		close(vm);
		return -1;
	}
	return vm;
}

static int htab_fd(int vm, uint64_t flags)
{
	struct kvm_get_htab_fd g = { .flags = flags };
	int fd = ioctl(vm, KVM_PPC_GET_HTAB_FD, &g);

	if (fd < 0)
		diag("KVM_PPC_GET_HTAB_FD(%llu): %s", (unsigned long long)flags, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	int kvm = ktap_begin(argc > 1 ? argv[1] : "htab_fd", 3);
	struct {
		struct kvm_get_htab_header h;
		uint64_t hpte[2];
	} w = { .h = { .index = 0, .n_valid = 1 }, .hpte = { 1, 0 } };
	static char buf[65536];
	static const char *const names[] = {
		"read_before_htab", "write_before_htab", "read_after_alloc"
	};
	uint32_t order = 18;
	const char *skip;
	int vm, fd, ok, i;
	ssize_t n;

	if (kvm < 0)
		return 1;
	skip = mmu_skip(kvm, MMU_HPT);
	if (skip) {
		for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
			result(1, names[i], skip);
		close(kvm);
		return 0;
	}
	vm = hpt_vm(kvm);
	if (vm < 0)
		return 1;

	fd = htab_fd(vm, 0);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	ok = n == 0;
	if (!ok)
		diag("read: %zd (%s), want 0 bytes", n, n < 0 ? strerror(errno) : "data");
	result(ok, names[0], NULL);
	if (fd >= 0)
		close(fd);

	fd = htab_fd(vm, KVM_GET_HTAB_WRITE);
	n = fd < 0 ? 0 : write(fd, &w, sizeof(w));
	ok = n < 0 && errno == EINVAL;
	if (!ok)
		diag("write: %zd (%s), want EINVAL", n, n < 0 ? strerror(errno) : "written");
	result(ok, names[1], NULL);
	if (fd >= 0)
		close(fd);

	ok = !ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order);
	if (!ok)
		diag("KVM_PPC_ALLOCATE_HTAB(18): %s", strerror(errno));
	fd = htab_fd(vm, 0);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (n <= 0) {
		diag("read: %zd (%s), want the HPT's entries", n, n < 0 ? strerror(errno) : "nothing");
		ok = 0;
	}
	result(ok, names[2], NULL);
	if (fd >= 0)
		close(fd);
	close(vm);
	close(kvm);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * htab_test: KVM_PPC_ALLOCATE_HTAB on a hash VM with valid and invalid
 * orders (log2 of the hashed page table's size in bytes). KVM takes 18
 * (256K) to 46; an HPT it cannot get is ENOMEM; allocating again resets
 * or resizes.
 */
#include <errno.h>

#include "kvm_util.h"
#include "test_util.h"

static int alloc_htab(struct kvm_vm *vm, u32 order)
{
	return __vm_ioctl(vm, KVM_PPC_ALLOCATE_HTAB, &order);
}

static void expect(struct kvm_vm *vm, u32 order, int err)
{
	int r = alloc_htab(vm, order);

	if (!err)
		TEST_ASSERT(!r, "KVM_PPC_ALLOCATE_HTAB(%u): %s", order, strerror(errno));
	else
		TEST_ASSERT(r == -1 && errno == err,
			    "KVM_PPC_ALLOCATE_HTAB(%u): got %d (%s), want %s", order, r,
			    r ? strerror(errno) : "success", strerror(err));
	pr_info("order %u: %s\n", order, err ? strerror(err) : "ok");
}

int main(int argc, char *argv[])
{
	struct kvm_vm *vm;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_PPC_ALLOC_HTAB));
	/*
	 * A host with radix guests only (a pseries host, nested) refuses
	 * every order with EOPNOTSUPP; tests/guest/hcall_exit.c checks that.
	 */
	TEST_REQUIRE(!kvm_has_cap(KVM_CAP_PPC_MMU_RADIX) ||
		     kvm_has_cap(KVM_CAP_PPC_MMU_HASH_V3));

	vm = vm_create_barebones();
	expect(vm, 17, EINVAL);		/* below PPC_MIN_HPT_ORDER */
	expect(vm, 47, EINVAL);		/* above PPC_MAX_HPT_ORDER */
	expect(vm, 0, EINVAL);
	expect(vm, 46, ENOMEM);		/* 64 TiB */
	expect(vm, 18, 0);
	expect(vm, 18, 0);		/* the same order again: a reset */
	expect(vm, 19, 0);		/* another order: a new HPT */
	expect(vm, 24, 0);
	kvm_vm_free(vm);

	/* A fresh VM, and the HPT freed with it: no leak (dmesg is checked). */
	vm = vm_create_barebones();
	expect(vm, 20, 0);
	kvm_vm_free(vm);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmio_test: guest loads and stores of 1, 2, 4 and 8 bytes to a page that
 * the guest maps but no memslot backs exit as KVM_EXIT_MMIO with the
 * address, size and data; the data userspace puts in for a load is what
 * the guest's register receives.
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define MMIO_GPA	0x80000000000UL	/* 8 TiB: far beyond any memslot */
#define MMIO_GVA	0x40000000000UL

static const u64 pattern = 0x1122334455667788UL;

static void guest_code(void)
{
	u8 *b = (void *)MMIO_GVA;
	u16 *h = (void *)(MMIO_GVA + 0x10);
	u32 *w = (void *)(MMIO_GVA + 0x20);
	u64 *d = (void *)(MMIO_GVA + 0x30);

	WRITE_ONCE(*b, 0x88);
	WRITE_ONCE(*h, 0x7788);
	WRITE_ONCE(*w, 0x55667788);
	WRITE_ONCE(*d, pattern);
	GUEST_ASSERT_EQ(READ_ONCE(*b), 0x88);
	GUEST_ASSERT_EQ(READ_ONCE(*h), 0x7788);
	GUEST_ASSERT_EQ(READ_ONCE(*w), 0x55667788);
	GUEST_ASSERT_EQ(READ_ONCE(*d), pattern);
	GUEST_DONE();
}

struct access {
	u64 offset;
	u32 len;
	bool write;
};

static const struct access expected[] = {
	{ 0x00, 1, true }, { 0x10, 2, true }, { 0x20, 4, true }, { 0x30, 8, true },
	{ 0x00, 1, false }, { 0x10, 2, false }, { 0x20, 4, false }, { 0x30, 8, false },
};

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int n = 0;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	virt_map(vm, MMIO_GVA, MMIO_GPA, 1);

	for (;;) {
		struct kvm_run *run = vcpu->run;

		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO) {
			const struct access *a = &expected[n];

			TEST_ASSERT(n < ARRAY_SIZE(expected), "Too many MMIO exits");
			TEST_ASSERT_EQ(run->mmio.phys_addr, MMIO_GPA + a->offset);
			TEST_ASSERT_EQ(run->mmio.len, a->len);
			TEST_ASSERT_EQ(run->mmio.is_write, a->write);
			if (a->write)
				TEST_ASSERT(!memcmp(run->mmio.data, &pattern, a->len),
					    "MMIO store %u: data is not the low %u bytes of 0x%lx",
					    n, a->len, pattern);
			else
				memcpy(run->mmio.data, &pattern, a->len);
			n++;
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			TEST_ASSERT_EQ(n, ARRAY_SIZE(expected));
			kvm_vm_free(vm);
			return 0;
		default:
			TEST_FAIL("Unexpected exit: %s", exit_reason_str(run->exit_reason));
		}
	}
}

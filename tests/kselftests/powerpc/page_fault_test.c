// SPDX-License-Identifier: GPL-2.0-only
/*
 * page_fault_test: guest page faults.
 *
 * 1. Memory the guest maps whose host pages do not exist yet: the first
 *    touch of each page faults into KVM, which resolves it without the
 *    guest noticing; the host then sees the guest's data and the pages
 *    resident (mincore).
 * 2. An address the guest does not map: a data storage interrupt in the
 *    guest; its handler asks userspace to map the page and the access
 *    then completes, with the data in the page userspace chose.
 */
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define TEST_SLOT	1
#define TEST_GPA	0x40000000UL	/* 1 GiB */
#define TEST_GVA	0x50000000UL
#define TEST_PAGES	64
#define LATE_GVA	0x60000000UL	/* mapped by the DSI handler's request */
#define SYNC_TOUCHED	1
#define SYNC_MAP	2

static u64 page_size;

static void dsi_handler(struct ex_regs *regs)
{
	GUEST_ASSERT(regs->dsisr & DSISR_NOPTE);
	GUEST_SYNC3(SYNC_MAP, regs->dar, regs->dsisr);
	/* Return to the access, which now finds its translation. */
}

static void guest_code(void)
{
	u64 *late = (void *)(LATE_GVA + 8);
	u64 i;

	for (i = 0; i < TEST_PAGES; i++)
		WRITE_ONCE(*(u64 *)(TEST_GVA + i * page_size), 0xabcd0000 + i);
	GUEST_SYNC1(SYNC_TOUCHED);
	for (i = 0; i < TEST_PAGES; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(TEST_GVA + i * page_size)), 0x5a5a0000 + i);

	WRITE_ONCE(*late, 0x1234);
	GUEST_ASSERT_EQ(READ_ONCE(*late), 0x1234);
	GUEST_DONE();
}

static unsigned int resident(void *hva, size_t pages)
{
	long host_page = getpagesize();
	size_t n = pages * page_size / host_page, i;
	unsigned char vec[n];
	unsigned int r = 0;

	TEST_ASSERT(!mincore(hva, n * host_page, vec), "mincore: %s", strerror(errno));
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	gpa_t late_gpa = 0;
	u64 *hva, i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	page_size = vm->page_size;
	sync_global_to_guest(vm, page_size);
	vm_init_vector_tables(vm);
	vm_install_exception_handler(vm, EXC_DATA_STORAGE, dsi_handler);

	/* One page more for the DSI's; a whole number of host pages. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT,
				    vm_adjust_num_guest_pages(vm->mode, TEST_PAGES + 1), 0);
	virt_map(vm, TEST_GVA, TEST_GPA, TEST_PAGES);
	hva = addr_gpa2hva(vm, TEST_GPA);
	TEST_ASSERT_EQ(resident(hva, TEST_PAGES), 0);
	TEST_ASSERT(TEST_PAGES * page_size % getpagesize() == 0, "Host pages over 256K?");

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] == SYNC_TOUCHED) {
				TEST_ASSERT_EQ(resident(hva, TEST_PAGES),
					       TEST_PAGES * page_size / getpagesize());
				for (i = 0; i < TEST_PAGES; i++) {
					u64 *p = (void *)hva + i * page_size;

					TEST_ASSERT_EQ(*p, 0xabcd0000 + i);
					*p = 0x5a5a0000 + i;
				}
			} else {
				TEST_ASSERT_EQ(uc.args[0], SYNC_MAP);
				TEST_ASSERT_EQ(uc.args[1], LATE_GVA + 8);
				TEST_ASSERT(uc.args[2] & DSISR_ISSTORE, "DSISR 0x%lx: not a store",
					    uc.args[2]);
				TEST_ASSERT(!late_gpa, "A second DSI at 0x%lx", uc.args[1]);
				late_gpa = TEST_GPA + TEST_PAGES * page_size;
				virt_pg_map(vm, LATE_GVA, late_gpa);
			}
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			TEST_ASSERT(late_gpa, "No DSI for the unmapped page");
			TEST_ASSERT_EQ(*(u64 *)(addr_gpa2hva(vm, late_gpa) + 8), 0x1234);
			kvm_vm_free(vm);
			return 0;
		default:
			TEST_FAIL("Unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

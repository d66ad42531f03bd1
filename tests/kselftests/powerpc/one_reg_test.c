// SPDX-License-Identifier: GPL-2.0-only
/*
 * one_reg_test: SPRs through KVM_GET_ONE_REG/KVM_SET_ONE_REG and
 * KVM_GET_REGS/KVM_SET_REGS. Values userspace sets are what the guest reads
 * with mfspr; values the guest sets with mtspr are what userspace reads
 * after the next exit. Both directions cross KVM's save and restore of the
 * guest's state around each entry.
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define SPRN_DSCR	17
#define SPRN_TAR	815
#define SPRN_VRSAVE	256

struct spr {
	const char *name;
	u64 reg;	/* ONE_REG id */
	u64 mask;	/* the bits that are kept */
	u64 from_host;
	u64 from_guest;
};

static struct spr sprs[] = {
	{ "DSCR", KVM_REG_PPC_DSCR, 0x1ffffff, 0x7, 0x10 },
	{ "TAR", KVM_REG_PPC_TAR, ~3UL, 0x1234567800, 0xabcdef00 },
	{ "VRSAVE", KVM_REG_PPC_VRSAVE, 0xffffffff, 0x80000001, 0x12345678 },
	{ "DAR", KVM_REG_PPC_DAR, ~0UL, 0xdead0000beef0000, 0x1122334455667788 },
	{ "DSISR", KVM_REG_PPC_DSISR, 0xffffffff, 0x42000000, 0x02000000 },
};

#define NR_SPRS		ARRAY_SIZE(sprs)
#define SPRG_GUEST	0x6ec0000000000000UL

static void guest_code(void)
{
	/* What userspace set: SPRG0..3 scratch the vectors, not read here. */
	GUEST_SYNC_ARGS(1, mfspr(SPRN_DSCR), mfspr(SPRN_TAR), mfspr(SPRN_VRSAVE), 0);
	GUEST_SYNC_ARGS(2, mfspr(SPRN_DAR), mfspr(SPRN_DSISR), 0, 0);

	mtspr(SPRN_DSCR, 0x10);
	mtspr(SPRN_TAR, 0xabcdef00);
	mtspr(SPRN_VRSAVE, 0x12345678);
	mtspr(SPRN_DAR, 0x1122334455667788);
	mtspr(SPRN_DSISR, 0x02000000);
	mtspr(SPRN_SPRG2, SPRG_GUEST + 2);
	mtspr(SPRN_SPRG3, SPRG_GUEST + 3);
	GUEST_SYNC(3);
	GUEST_DONE();
}

static u64 get(struct kvm_vcpu *vcpu, const struct spr *s)
{
	u64 v = 0;

	TEST_ASSERT(!__vcpu_get_reg(vcpu, s->reg, &v), "KVM_GET_ONE_REG(%s)", s->name);
	return v & (KVM_REG_SIZE(s->reg) == 4 ? 0xffffffff : ~0UL);
}

/* Stage 1 reports sprs[0..2] in args[2..4], stage 2 sprs[3..4] in args[2..3]. */
static void check_guest_view(const struct ucall *uc)
{
	unsigned int first = uc->args[1] == 1 ? 0 : 3;
	unsigned int last = uc->args[1] == 1 ? 3 : NR_SPRS;
	unsigned int i;

	for (i = first; i < last; i++) {
		u64 want = sprs[i].from_host & sprs[i].mask;

		TEST_ASSERT(uc->args[2 + i - first] == want, "guest's %s: 0x%lx, want 0x%lx",
			    sprs[i].name, uc->args[2 + i - first], want);
	}
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	for (i = 0; i < NR_SPRS; i++) {
		vcpu_set_reg(vcpu, sprs[i].reg, sprs[i].from_host);
		TEST_ASSERT_EQ(get(vcpu, &sprs[i]), sprs[i].from_host);
	}

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == 1 || uc.args[1] == 2) {
				check_guest_view(&uc);
			} else {
				TEST_ASSERT_EQ(uc.args[1], 3);
				for (i = 0; i < NR_SPRS; i++)
					TEST_ASSERT(get(vcpu, &sprs[i]) == sprs[i].from_guest,
						    "%s after the exit: 0x%lx, want 0x%lx",
						    sprs[i].name, get(vcpu, &sprs[i]),
						    sprs[i].from_guest);
				vcpu_regs_get(vcpu, &regs);
				TEST_ASSERT_EQ(regs.sprg2, SPRG_GUEST + 2);
				TEST_ASSERT_EQ(regs.sprg3, SPRG_GUEST + 3);
			}
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			kvm_vm_free(vm);
			return 0;
		default:
			TEST_FAIL("Unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

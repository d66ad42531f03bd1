// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz - a differential fuzzer of the ioctl side: random sequences of
 * VM and vcpu ioctls with random arguments, run the same under kvm-hv and
 * kvm_hv_rs.
 *
 *   ioctl_fuzz record FILE SEED CASES
 *   ioctl_fuzz compare FILE SEED CASES    KTAP: result 2 of fuzz.c's subtest
 *
 * A case is a new VM and 12 operations drawn from (SEED, case number):
 * KVM_CREATE_VCPU (ids inside and outside what the SMT mode allows),
 * KVM_GET/SET_ONE_REG (ids valid, of another size, unknown; good, NULL and
 * unmapped pointers), KVM_PPC_ALLOCATE_HTAB (orders from 0 to 46, a bad
 * pointer), KVM_SET_USER_MEMORY_REGION (memory, odd sizes and addresses,
 * deleting), KVM_RUN (before any memory, after; with immediate_exit, as a
 * signal would leave it), KVM_PPC_GET_HTAB_FD and a read of it, KVM_PPC_
 * CONFIGURE_V3_MMU (flags valid and not), KVM_ENABLE_CAP, KVM_INTERRUPT,
 * KVM_GET/SET_REGS with bad pointers, KVM_PPC_GET_SMMU_INFO /
 * GET_RMMU_INFO, KVM_CHECK_EXTENSION. The record of a case is each
 * operation's return value and errno (never a register's value: some count
 * time). Guest code, when a vcpu runs, is "li r3,H_READY; sc 1".
 *
 * Usage as fuzz.c's; tests/init.sh runs it after fuzz.c.
 */
#include "../guest/vmtest.h"

#define OPS	12
#define BAD_PTR	((void *)0x10)

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545f4914f6cdd1dULL;
}
static uint64_t below(uint64_t n) { return rnd() % n; }

static const uint64_t reg_ids[] = {
	KVM_REG_PPC_HIOR, KVM_REG_PPC_DAR, KVM_REG_PPC_DSISR, KVM_REG_PPC_AMR,
	KVM_REG_PPC_IAMR, KVM_REG_PPC_UAMOR, KVM_REG_PPC_DSCR, KVM_REG_PPC_TAR,
	KVM_REG_PPC_FSCR, KVM_REG_PPC_PPR, KVM_REG_PPC_VRSAVE, KVM_REG_PPC_PID,
	KVM_REG_PPC_LPCR, KVM_REG_PPC_LPCR_64, KVM_REG_PPC_DEC_EXPIRY,
	KVM_REG_PPC_TB_OFFSET, KVM_REG_PPC_ARCH_COMPAT, KVM_REG_PPC_VPA_ADDR,
	KVM_REG_PPC_VPA_SLB, KVM_REG_PPC_VPA_DTL, KVM_REG_PPC_PSSCR, KVM_REG_PPC_PTCR,
	KVM_REG_PPC_MMCR0, KVM_REG_PPC_PMC1, KVM_REG_PPC_SIAR, KVM_REG_PPC_SPRG9,
	KVM_REG_PPC_DBSR, KVM_REG_PPC_FPR(3), KVM_REG_PPC_VR(1), KVM_REG_PPC_VSR(5),
	KVM_REG_PPC_TM_GPR(0), KVM_REG_PPC_DEC_EXPIRY ^ KVM_REG_SIZE_U64 ^ KVM_REG_SIZE_U32,
	KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xfff, 0, KVM_REG_PPC_ICP_STATE, KVM_REG_PPC_VTB,
	KVM_REG_PPC_DPDES, KVM_REG_PPC_DAWR, KVM_REG_PPC_DAWRX, KVM_REG_PPC_CIABR,
};

static void *mem;
static char line[4096];
static size_t len;

static void note(const char *op, long r)
{
	int n = snprintf(line + len, sizeof(line) - len, " %s=%ld/%d", op, r, r < 0 ? errno : 0);

	if (n > 0 && len + n < sizeof(line))
		len += n;
}

static void one_case(int kvm)
{
	int vm, vcpu = -1, i, fd;
	struct kvm_run *run = NULL;
	size_t run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	len = 0;
	line[0] = 0;
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
	note("vm", vm < 0 ? -1 : 0);
	if (vm < 0)
		return;
	for (i = 0; i < OPS; i++) {
		switch (below(12)) {
		case 0: {
			static const int ids[] = { 0, 1, 3, 8, 15, 16, 127, 128, 2047, 2048, -1 };
			int id = ids[below(sizeof(ids) / sizeof(ids[0]))];
			int r = ioctl(vm, KVM_CREATE_VCPU, id);

			note("vcpu", r < 0 ? -1 : 0);
			if (r >= 0 && vcpu < 0) {
				vcpu = r;
				run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
				if (run == MAP_FAILED)
					run = NULL;
			} else if (r >= 0) {
				close(r);
			}
			break;
		}
		case 1:
		case 2: {
			uint64_t val[4] = { rnd(), rnd(), rnd(), rnd() };
			struct kvm_one_reg one = {
				.id = below(8) ? reg_ids[below(sizeof(reg_ids) / sizeof(reg_ids[0]))] : rnd(),
				.addr = below(8) ? (uintptr_t)val : below(2) ? 0 : (uintptr_t)BAD_PTR,
			};
			int set = below(2);

			if (vcpu < 0)
				break;
			note(set ? "set" : "get", ioctl(vcpu, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &one));
			break;
		}
		case 3: {
			static const uint32_t orders[] = { 0, 1, 17, 18, 19, 24, 29, 30, 31, 46, 100 };
			uint32_t order = orders[below(sizeof(orders) / sizeof(orders[0]))];

			note("htab", ioctl(vm, KVM_PPC_ALLOCATE_HTAB, below(10) ? (void *)&order : BAD_PTR));
			break;
		}
		case 4: {
			struct kvm_userspace_memory_region reg = {
				.slot = below(4), .guest_phys_addr = below(4) * 0x1000000,
				.memory_size = below(4) ? MEM_SIZE / (1 + below(4)) : below(2) ? 0 : 0x1234,
				.userspace_addr = below(8) ? (uintptr_t)mem : (uintptr_t)mem + 8,
			};
			note("mem", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg));
			break;
		}
		case 5:
			if (vcpu < 0 || !run)
				break;
			run->immediate_exit = below(4) == 0;
			/* A guest that spins is stopped after 50 ms (EINTR). */
			setitimer(ITIMER_REAL, &(struct itimerval){ .it_value = { 0, 50000 } }, NULL);
			note("run", ioctl(vcpu, KVM_RUN, 0) ? -1 : (long)run->exit_reason);
			setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
			run->immediate_exit = 0;
			break;
		case 6: {
			struct kvm_get_htab_fd h = { .flags = below(4), .start_index = below(3) * 1000 };
			char buf[256];

			fd = ioctl(vm, KVM_PPC_GET_HTAB_FD, &h);
			note("htabfd", fd < 0 ? -1 : 0);
			if (fd >= 0) {
				note("read", read(fd, buf, below(2) ? sizeof(buf) : 8));
				close(fd);
			}
			break;
		}
		case 7: {
			struct kvm_ppc_mmuv3_cfg cfg = {
				.flags = below(5), .process_table = below(2) ? PATB_GR : rnd() & ~0xfffULL,
			};
			note("mmu", ioctl(vm, KVM_PPC_CONFIGURE_V3_MMU, below(10) ? (void *)&cfg : BAD_PTR));
			break;
		}
		case 8: {
			static const uint32_t caps[] = { KVM_CAP_PPC_PAPR, KVM_CAP_PPC_SMT, KVM_CAP_PPC_NESTED_HV,
							 KVM_CAP_PPC_FWNMI, KVM_CAP_PPC_RPT_INVALIDATE, 9999 };
			struct kvm_enable_cap cap = { .cap = caps[below(6)], .args = { below(4), below(2) } };

			note("cap", ioctl(below(2) || vcpu < 0 ? vm : vcpu, KVM_ENABLE_CAP, &cap));
			break;
		}
		case 9: {
			struct kvm_interrupt irq = { .irq = below(4) ? KVM_INTERRUPT_SET : rnd() };

			if (vcpu >= 0)
				note("irq", ioctl(vcpu, KVM_INTERRUPT, &irq));
			break;
		}
		case 10: {
			struct kvm_regs regs;

			if (vcpu < 0)
				break;
			if (below(2))
				note("getregs", ioctl(vcpu, KVM_GET_REGS, below(4) ? (void *)&regs : BAD_PTR));
			else
				note("setregs", ioctl(vcpu, KVM_SET_REGS, BAD_PTR));
			break;
		}
		default: {
			struct kvm_ppc_smmu_info smmu;
			struct kvm_ppc_rmmu_info rmmu;

			note("smmu", ioctl(vm, KVM_PPC_GET_SMMU_INFO, below(4) ? (void *)&smmu : BAD_PTR));
			note("rmmu", ioctl(vm, KVM_PPC_GET_RMMU_INFO, below(4) ? (void *)&rmmu : BAD_PTR));
			note("ext", ioctl(vm, KVM_CHECK_EXTENSION, (long)below(300)));
			break;
		}
		}
	}
	if (run)
		munmap(run, run_size);
	if (vcpu >= 0)
		close(vcpu);
	close(vm);
}

int main(int argc, char **argv)
{
	static char want[8192];
	uint64_t seed, n, i, bad = 0;
	int kvm, compare;
	FILE *f;

	if (argc != 5 || (strcmp(argv[1], "record") && strcmp(argv[1], "compare"))) {
		fprintf(stderr, "usage: ioctl_fuzz record|compare FILE SEED CASES\n");
		return 2;
	}
	compare = !strcmp(argv[1], "compare");
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, NULL);	/* no SA_RESTART */
	seed = strtoull(argv[3], NULL, 0);
	n = strtoull(argv[4], NULL, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	f = fopen(argv[2], compare ? "r" : "w");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kvm < 0 || !f || mem == MAP_FAILED) {
		printf("# /dev/kvm, %s or memory: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* Guest code at 0: li r3,H_READY; sc 1; b . (an HPT guest's VRMA starts there). */
	((uint32_t *)mem)[0] = li(3, H_READY);
	((uint32_t *)mem)[1] = SC1;
	((uint32_t *)mem)[2] = b(0);
	for (i = 0; i < n; i++) {
		rs = (seed * 0x9e3779b97f4a7c15ULL) ^ (i + 1) * 0xd1b54a32d192ed03ULL;
		if (!rs)
			rs = 1;
		one_case(kvm);
		if (!compare) {
			fprintf(f, "%s\n", line);
			continue;
		}
		if (!fgets(want, sizeof(want), f))
			want[0] = 0;
		want[strcspn(want, "\n")] = 0;
		if (strcmp(want, line) && bad++ < 5)
			printf("    # case %llu of seed %llu:\n    # recorded:%s\n    # now:     %s\n",
			       (unsigned long long)i, (unsigned long long)seed, want, line);
	}
	printf("    # %llu of %llu ioctl cases diverged (seed %llu)\n", (unsigned long long)bad,
	       (unsigned long long)i, (unsigned long long)seed);
	if (compare)
		printf("    %sok 2 same_ioctl_results\n", bad ? "not " : "");
	fclose(f);
	return bad ? 1 : 0;
}

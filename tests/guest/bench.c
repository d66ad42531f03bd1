// SPDX-License-Identifier: GPL-2.0
/*
 * bench - what the run path costs, in emulated instructions.
 *
 * Run by /init in `kvm_hv_rs_test=bench` boots, which QEMU runs with
 * `-icount shift=0,sleep=off`: guest time then advances one nanosecond per
 * emulated instruction, so a timebase delta, scaled to nanoseconds, is the
 * number of instructions the emulated host ran meanwhile (kernel, guest
 * and this program alike). Each row prints one line:
 *
 *   bench MODULE ROW COUNT
 *
 * with COUNT the instructions per operation (the median of REPEAT
 * measurements in this boot). Rows:
 *
 *   null_hcall_radix  KVM_RUN -> guest `sc 1` with an hcall number KVM
 *   null_hcall_hpt    does not implement -> KVM_EXIT_PAPR_HCALL -> back
 *                     to userspace, the next KVM_RUN: one round trip
 *   kernel_hcall_radix  an hcall the host serves without leaving KVM_RUN
 *   kernel_hcall_hpt  (H_PROD of a vcpu that does not exist: H_PARAMETER),
 *                     timed by the guest itself around a loop of them
 *   first_run_hpt     the first KVM_RUN of a new HPT guest with 64 MiB of
 *                     memory, to its first hcall exit: HPT allocation
 *                     (order 24, from the KVM CMA area or, without one, the
 *                     page allocator), reverse map, VRMA with its bolted
 *                     HPTEs, LPCR, then the guest entry
 *   vm_lifecycle      KVM_CREATE_VM + KVM_CREATE_VCPU + closing both
 *
 * A row of an MMU mode the host does not offer is left out.
 *
 * Usage: bench MODULE
 */
#include "vmtest.h"

#define H_NULL		0x7030
#define H_DONE		0x7031
#define H_PROD		0xe8
#define KERNEL_ADDR	(CODE_ADDR + 0x100)
#define KERNEL_LOOPS	100
#define ROUND_TRIPS	200
#define LIFECYCLES	20
#define REPEAT		5
/*
 * Idle before each first run and each lifecycle repetition (20 ms: five
 * ticks at HZ=250), so that each starts on a settled host.
 */
#define SETTLE_US	20000
#define SPR_TB		268

static double ns_per_tick;
static const char *bench_module;

static uint64_t tb(void) { return __builtin_ppc_get_timebase(); }

static uint32_t mftb(int rt) { return mfspr(rt, SPR_TB); }
static uint32_t subf(int rt, int ra, int rb) { return 0x7c000050 | rt << 21 | ra << 16 | rb << 11; }
static uint32_t bgt(int32_t disp) { return 0x41810000 | (disp & 0xfffc); }

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;
	uint32_t *loop;

	/* null hcall, forever */
	*p++ = li(3, H_NULL);
	*p++ = SC1;
	*p = b(-8);

	/* KERNEL_LOOPS in-kernel hcalls, timed; reports the ticks */
	p = mem + KERNEL_ADDR / 4;
	*p++ = li(22, KERNEL_LOOPS);
	*p++ = mftb(20);
	loop = p;
	*p++ = li(3, H_PROD);
	*p++ = li(4, -1);
	*p++ = SC1;
	*p++ = addi(22, 22, -1);
	*p++ = cmpwi(22, 0);
	*p = bgt((int32_t)((loop - p) * 4)); p++;
	*p++ = mftb(21);
	*p++ = subf(4, 20, 21);
	*p++ = li(3, H_DONE);
	*p++ = SC1;
	*p = b(0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static void emit(const char *module, const char *row, double *v, int n)
{
	printf("bench %s %s %.0f\n", module, row, median(v, n));
}

/* KVM_RUN to the hcall `nr`; -1 (and says why) otherwise. */
static int run_to(struct vm *v, uint64_t nr)
{
	int r = run(v);

	if (r || v->run->exit_reason != KVM_EXIT_PAPR_HCALL || v->run->papr_hcall.nr != nr) {
		fprintf(stderr, "bench: KVM_RUN %d, exit_reason %u, hcall 0x%llx; want 0x%llx\n", r,
			v->run->exit_reason, (unsigned long long)v->run->papr_hcall.nr,
			(unsigned long long)nr);
		return -1;
	}
	return 0;
}

static int null_hcall(int kvm, enum mmu mmu, double *out)
{
	struct vm v = VM_INIT(kvm);
	int i, j, ret = -1;

	if (vm_create(&v, mmu, 1, write_guest) ||
	    vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR))
		goto out;
	for (i = 0; i < 10; i++)	/* MMU set-up, caches */
		if (run_to(&v, H_NULL))
			goto out;
	for (j = 0; j < REPEAT; j++) {
		uint64_t t0 = tb();

		for (i = 0; i < ROUND_TRIPS; i++)
			if (run_to(&v, H_NULL))
				goto out;
		out[j] = (double)(tb() - t0) * ns_per_tick / ROUND_TRIPS;
	}
	ret = 0;
out:
	vm_close(&v);
	return ret;
}

/*
 * With BENCH_PROFILE=ROW in the environment (scripts/bench-profile.py; 1
 * means kernel_hcall), the first measured run of that row (kernel_hcall or
 * first_run) is bracketed by console lines "bench-profile-start|stop
 * MODULE MMU", each followed by a wait for a line on stdin: the profiler
 * turns QEMU's execution log on and off meanwhile, and counts what runs
 * between bench_profile_begin() and _end().
 */
/* Where the profiled window starts and ends in the execution log. */
__attribute__((noinline)) void bench_profile_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void bench_profile_end(void) { __asm__ volatile("" ::: "memory"); }

static void profile_mark(const char *row, const char *what, const char *mmu)
{
	const char *want = getenv("BENCH_PROFILE");
	char line[16];

	if (!want || strcmp(row, strcmp(want, "1") ? want : "kernel_hcall"))
		return;
	if (*what == 's' && what[2] == 'o')
		bench_profile_end();
	printf("bench-profile-%s %s %s\n", what, bench_module, mmu);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		fprintf(stderr, "bench: no go-ahead on stdin\n");
	if (*what == 's' && what[2] == 'a')
		bench_profile_begin();
}

/*
 * The vcpu's exit-timing segments (CONFIG_KVM_BOOK3S_HV_P9_TIMING, ISA
 * v3.0 hosts): count and total nanoseconds, i.e. instructions, per name.
 */
#define SEGMENTS	8
struct timings {
	int n;
	char name[SEGMENTS][16];
	unsigned long long count[SEGMENTS], total[SEGMENTS];
};

static int read_timings(struct vm *v, struct timings *t)
{
	char path[96], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/vcpu0/timings", getpid(), v->vm);
	f = fopen(path, "r");
	t->n = 0;
	if (!f)
		return -1;
	while (t->n < SEGMENTS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%15[^:]: %llu %llu", t->name[t->n], &t->count[t->n],
			   &t->total[t->n]) == 3)
			t->n++;
	fclose(f);
	return 0;
}

/*
 * Prints where the instructions of `ops` operations went, per segment:
 * "bench-segment MODULE ROW SEGMENT PER_OP".
 */
static void emit_segments(const char *module, const char *row, struct timings *a,
			  struct timings *b, int ops)
{
	int i;

	for (i = 0; i < a->n && i < b->n; i++)
		printf("bench-segment %s %s %s %.0f\n", module, row, b->name[i],
		       (double)(b->total[i] - a->total[i]) / ops);
}

static int kernel_hcall(int kvm, enum mmu mmu, double *out)
{
	struct vm v = VM_INIT(kvm);
	struct timings before, after;
	char row[32];
	int j, ret = -1;

	if (vm_create(&v, mmu, 1, write_guest))
		goto out;
	for (j = -1; j < REPEAT; j++) {
		if (j == 0)
			profile_mark("kernel_hcall", "start", mmu_name[mmu]);
		if (vcpu_place(v.vcpu, KERNEL_ADDR, GUEST_MSR, DEC_FAR) || run_to(&v, H_DONE))
			goto out;
		if (j == 0)
			profile_mark("kernel_hcall", "stop", mmu_name[mmu]);
		if (j >= 0)	/* the first also set up the MMU */
			out[j] = (double)v.run->papr_hcall.args[0] * ns_per_tick / KERNEL_LOOPS;
		else
			read_timings(&v, &before);
	}
	if (!read_timings(&v, &after)) {
		snprintf(row, sizeof(row), "kernel_hcall_%s", mmu_name[mmu]);
		emit_segments(bench_module, row, &before, &after, REPEAT * KERNEL_LOOPS);
	}
	ret = 0;
out:
	vm_close(&v);
	return ret;
}

/*
 * Each repetition's VM is closed only once the next one is created: its
 * HPT, freed at close, would otherwise be free CMA pages on the per-CPU
 * lists when the next VM takes its memory, and the next HPT allocation
 * then migrated them out of the CMA area again. Whether that happened
 * depended on the memory layout of the boot (the module, the initramfs,
 * which module ran first): the row came out 3.17M or 7.97M instructions on
 * powernv8 for the same code.
 */
static int first_run(int kvm, double *out)
{
	struct vm prev = VM_INIT(kvm);
	int j;

	for (j = 0; j < REPEAT; j++) {
		struct vm v = VM_INIT(kvm);
		uint64_t t0;

		/*
		 * Let the last VM's deferred teardown (RCU callbacks and the
		 * grace periods they need, work items) run now rather than
		 * inside this measurement: idle time costs no instructions.
		 */
		usleep(SETTLE_US);
		if (vm_create(&v, MMU_HPT, 1, write_guest) ||
		    vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR)) {
			vm_close(&v);
			vm_close(&prev);
			return -1;
		}
		vm_close(&prev);
		usleep(SETTLE_US);
		if (j == 0)
			profile_mark("first_run", "start", "hpt");
		t0 = tb();
		if (run_to(&v, H_NULL)) {
			vm_close(&v);
			return -1;
		}
		out[j] = (double)(tb() - t0) * ns_per_tick;
		if (j == 0)
			profile_mark("first_run", "stop", "hpt");
		prev = v;
	}
	vm_close(&prev);
	return 0;
}

static int lifecycle(int kvm, double *out)
{
	int i, j;

	for (j = 0; j < REPEAT; j++) {
		uint64_t t0;

		usleep(SETTLE_US);	/* the last repetition's teardown, as above */
		t0 = tb();
		for (i = 0; i < LIFECYCLES; i++) {
			int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV), vcpu;

			if (vm < 0)
				return -1;
			vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
			if (vcpu < 0) {
				close(vm);
				return -1;
			}
			close(vcpu);
			close(vm);
		}
		out[j] = (double)(tb() - t0) * ns_per_tick / LIFECYCLES;
	}
	return 0;
}

/* Timebase ticks per second, from /proc/cpuinfo. */
static double tb_hz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double hz = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "timebase : %lf", &hz) == 1)
			break;
	if (f)
		fclose(f);
	return hz;
}

int main(int argc, char **argv)
{
	const char *module = argc > 1 ? argv[1] : "unknown";
	struct sigaction sa = { .sa_handler = on_alarm };
	double v[REPEAT], hz = tb_hz();
	int kvm, bad = 0;
	enum mmu mmu;
	char row[32];

	if (hz <= 0) {
		fprintf(stderr, "bench: no timebase frequency in /proc/cpuinfo\n");
		return 1;
	}
	ns_per_tick = 1e9 / hz;
	bench_module = module;
	sigaction(SIGALRM, &sa, NULL);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("bench: /dev/kvm");
		return 1;
	}
	for (mmu = MMU_RADIX; mmu <= MMU_HPT; mmu++) {
		if (mmu_skip(kvm, mmu))
			continue;
		snprintf(row, sizeof(row), "null_hcall_%s", mmu_name[mmu]);
		if (null_hcall(kvm, mmu, v) == 0)
			emit(module, row, v, REPEAT);
		else
			bad = 1;
		snprintf(row, sizeof(row), "kernel_hcall_%s", mmu_name[mmu]);
		if (kernel_hcall(kvm, mmu, v) == 0)
			emit(module, row, v, REPEAT);
		else
			bad = 1;
	}
	/* Like the rows above, left out on a host without HPT guests. */
	if (!mmu_skip(kvm, MMU_HPT)) {
		if (first_run(kvm, v) == 0)
			emit(module, "first_run_hpt", v, REPEAT);
		else
			bad = 1;
	}
	if (lifecycle(kvm, v) == 0)
		emit(module, "vm_lifecycle", v, REPEAT);
	else
		bad = 1;
	close(kvm);
	return bad;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * faults - every allocation of a VM's life, failed in turn.
 *
 * For each operation below and N = 1, 2, ..., /proc/thread-self/fail-nth
 * makes the N-th allocation this thread makes during the operation fail;
 * reading it back afterwards says whether the operation got that far (0:
 * the fault was injected). N stops growing at the first operation that
 * never reaches its N-th allocation. Two passes: "slab" (failslab, every
 * kmalloc and kmem_cache_alloc, including vmalloc's own bookkeeping) and
 * "pages" (fail_page_alloc from order 2, which takes in an HPT from the
 * page allocator but not the slab's and vmalloc's single pages, whose
 * number depends on what the slabs hold already). In both, a call of
 * kvm_alloc_hpt_cma() (the HPT from the KVM CMA area) counts as one of the
 * N and fails in its turn: tests/init.sh puts it on fail_function's list.
 * tests/init.sh sets the injectors up (may-sleep allocations included, one
 * line of notice per fault, no stack).
 *
 *   create_vm      KVM_CREATE_VM
 *   create_vcpu    KVM_CREATE_VCPU of vcpu 1 in a new VM
 *   allocate_htab  KVM_PPC_ALLOCATE_HTAB(18) in a new HPT VM (kvm_hv_rs's
 *                  HPT allocation and reverse map, or kvm-hv's)
 *   first_run      the first KVM_RUN of a new VM: for HPT the HPT and VRMA
 *                  set-up (kvm_hv_rs's, or kvm-hv's), for radix the
 *                  partition-scoped tables of the pages the guest touches
 *
 * Each failed operation must fail with ENOMEM (create_vcpu and first_run
 * may also leave nothing failed: a failed allocation that is retried or
 * has a fallback; first_run may give EFAULT, see inject()), and the VM
 * must still work: a new vcpu, KVM_RUN, or a new VM reaches the guest's
 * H_READY. Every VM is then closed, so the
 * error paths' teardown runs too (kmemleak looks for what it left).
 *
 * create_vm makes about 300 allocations (most of them the VM's debugfs
 * files, kvm.ko's): its first 16 are failed in turn, then every 13th
 * (FAULTS_STRIDE=1 fails them all). create_vm and create_vcpu are the same
 * code for both MMU modes and run once, for the first mode the host offers.
 *
 * The outcomes are printed as one line per operation; the harness compares
 * kvm-hv's lines with kvm_hv_rs's.
 *
 * `faults NAME module KO` instead loads the module KO (kvm_hv_rs.ko, with
 * no HV module loaded) with its N-th slab allocation failed: the first 8,
 * then every 13th, and each of the last 32 of a load (the module's init,
 * which runs kvm-hv's set-up, comes last). A failed load must give ENOMEM
 * and leave no module, and no HV implementation registered with kvm.ko
 * (an HV VM is refused with EINVAL, as before the load); a load that
 * absorbs the fault is unloaded again. The harness loads KO afterwards
 * and runs its guests.
 *
 * `faults NAME cma` instead fails the KVM CMA area: fail_function on
 * kvm_alloc_hpt_cma() (an error-injection point since patch 0018), for this
 * process only (task filter), every call. With the area failing,
 * KVM_PPC_ALLOCATE_HTAB(18) and an HPT guest's first run must still work,
 * from the page allocator, and the area must not shrink; with the page
 * allocator's order >= 2 allocations failing as well, both must fail with
 * ENOMEM, and the VM must work once the faults stop. An outcome line per
 * operation gives the CMA and page faults injected and the result, which
 * the harness compares between kvm-hv and kvm_hv_rs (the first run tries
 * each HPT order from 24 down to 18 before it gives up).
 *
 * Usage: faults NAME | faults NAME module KO | faults NAME cma
 */
#include <sys/syscall.h>

#include "vmtest.h"

#define MAX_N	400
#define TOUCH	(32UL << 20)	/* a guest page the first run faults in */

static inline uint32_t lis(int rt, int16_t si) { return 0x3c000000 | rt << 21 | (uint16_t)si; }

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	*p++ = lis(21, TOUCH >> 16);
	*p++ = ld(6, 0, 21);
	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(-8);
}

static int nth_fd = -1;

/* Arms fail-nth: the thread's n-th allocation from now fails. */
static int arm(int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%d", n);

	return pwrite(nth_fd, b, len, 0) == len ? 0 : -1;
}

/* Disarms fail-nth; 1 if the fault was injected, 0 if not reached. */
static int disarm(void)
{
	char b[16] = { 0 };
	int hit;

	if (pread(nth_fd, b, sizeof(b) - 1, 0) <= 0)
		return -1;
	hit = atoi(b) == 0;
	pwrite(nth_fd, "0", 1, 0);
	return hit;
}

enum op { CREATE_VM, CREATE_VCPU, ALLOCATE_HTAB, FIRST_RUN };
static const char *const op_name[] = { "create_vm", "create_vcpu", "allocate_htab", "first_run" };

/* KVM_RUN until H_READY (at most 4 runs); 0 when it is reached. */
static int runs_to_ready(struct vm *v)
{
	int i, r;

	for (i = 0; i < 4; i++) {
		r = run(v);
		if (!r && v->run->exit_reason == KVM_EXIT_PAPR_HCALL && v->run->papr_hcall.nr == H_READY)
			return 0;
		if (r != -ENOMEM)
			break;
	}
	diag("KVM_RUN %d, exit_reason %u, hcall 0x%llx; want H_READY", r, v->run->exit_reason,
	     (unsigned long long)v->run->papr_hcall.nr);
	return -1;
}

static int guest_works(struct vm *v)
{
	return vcpu_place(v->vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR) ? -1 : runs_to_ready(v);
}

/*
 * Appends an injected fault's outcome to line: "." absorbed (r 0), "E" failed
 * with ENOMEM, "F" with EFAULT, "X" failed otherwise.
 */
static void add_outcome(char *line, size_t size, int r, int e)
{
	size_t l = strlen(line);

	snprintf(line + l, size - l, " %s",
		 !r ? "." : e == ENOMEM ? "E" : e == EFAULT ? "F" : "X");
}

/*
 * One injection: the operation with its n-th allocation failed. Appends the
 * outcome to line; returns 1 if the fault was injected, 0 if the operation
 * did not get that far, -1 on a wrong result.
 */
static int inject(int kvm, enum mmu mmu, enum op op, int n, char *line, size_t size)
{
	struct vm v = VM_INIT(kvm);
	uint32_t order = 18;
	int hit, r = 0, e = 0, bad = 0;

	/* Any other operation has the VM, its memory and vcpu 0. */
	if (op != CREATE_VM && vm_create(&v, mmu, 1, write_guest)) {
		vm_close(&v);
		return -1;
	}
	if (op == CREATE_VCPU) {
		/* vm_create made vcpu 0: the injection is into vcpu 1. */
		int fd;

		if (arm(n))
			return -1;
		fd = ioctl(v.vm, KVM_CREATE_VCPU, 1);
		e = errno;
		hit = disarm();
		r = fd < 0 ? -1 : 0;
		if (fd >= 0)
			close(fd);
	} else if (op == CREATE_VM) {
		if (arm(n))
			return -1;
		v.vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);
		e = errno;
		hit = disarm();
		r = v.vm < 0 ? -1 : 0;
		if (v.vm >= 0) {
			close(v.vm);
			v.vm = -1;
		}
		/* A VM made without injection works. */
		if (vm_create(&v, mmu, 1, write_guest) || guest_works(&v))
			bad = 1;
	} else if (op == ALLOCATE_HTAB) {
		if (arm(n))
			return -1;
		r = ioctl(v.vm, KVM_PPC_ALLOCATE_HTAB, &order);
		e = errno;
		hit = disarm();
	} else {
		if (vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR) || arm(n))
			return -1;
		r = ioctl(v.vcpu, KVM_RUN, 0);
		e = errno;
		hit = disarm();
		if (!r && (v.run->exit_reason != KVM_EXIT_PAPR_HCALL || v.run->papr_hcall.nr != H_READY)) {
			diag("%s N=%d: exit_reason %u, hcall 0x%llx; want H_READY", op_name[op], n,
			     v.run->exit_reason, (unsigned long long)v.run->papr_hcall.nr);
			bad = 1;
		}
	}
	/*
	 * A first run may also give EFAULT: the guest's first access faults
	 * its page in from the host (__kvm_faultin_pfn()), and when that
	 * fails for want of memory (a page-table page of the host process,
	 * if it had none yet for that address) KVM reports the guest page as
	 * unreachable, EFAULT, as it does on other architectures. Seen on
	 * powernv9-hpt under kvm-hv; which fault hits there depends on what
	 * the process's page tables hold already, so it comes and goes.
	 */
	if (r && e != ENOMEM && !(op == FIRST_RUN && e == EFAULT)) {
		diag("%s N=%d: %s; want ENOMEM", op_name[op], n, strerror(e));
		bad = 1;
	}
	/* Still usable: the vcpu runs to H_READY (after a failed first run, again). */
	if (op != CREATE_VM && !bad && (op == FIRST_RUN ? (r && runs_to_ready(&v)) : guest_works(&v))) {
		diag("%s N=%d: the VM does not work after the fault", op_name[op], n);
		bad = 1;
	}

	if (hit > 0)
		add_outcome(line, size, r, e);
	vm_close(&v);
	return bad ? -1 : hit;
}

static int stride = 13;

/* The module KO is loaded (sysfs has it). */
static int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/*
 * One load of KO with its n-th allocation failed (n = 0: none, and a count
 * of the allocations instead). Returns 1 if the fault was injected, 0 if
 * the load did not get that far, -1 on a wrong result; *count gets the
 * number of allocations of a load without a fault.
 */
static int inject_load(int kvm, const char *ko, const char *name, int n, int *count, char *line,
		       size_t size)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), r, e, hit, bad = 0;
	char b[16] = { 0 };

	if (fd < 0) {
		diag("open %s: %s", ko, strerror(errno));
		return -1;
	}
	if (arm(n ? n : 100000)) {
		close(fd);
		return -1;
	}
	r = syscall(SYS_finit_module, fd, "", 0);
	e = errno;
	if (!n) {
		if (pread(nth_fd, b, sizeof(b) - 1, 0) > 0)
			*count = 100000 - atoi(b);
		pwrite(nth_fd, "0", 1, 0);
		hit = 0;
	} else {
		hit = disarm();
	}
	close(fd);
	if (r && e != ENOMEM) {
		diag("load N=%d: %s; want ENOMEM", n, strerror(e));
		bad = 1;
	}
	if (r && module_loaded(name)) {
		diag("load N=%d failed, but %s is loaded", n, name);
		bad = 1;
	}
	if (!r && syscall(SYS_delete_module, name, O_NONBLOCK)) {
		diag("load N=%d: unloading %s: %s", n, name, strerror(errno));
		bad = 1;
	}
	/* Nothing of the failed load is left registered with kvm.ko. */
	if (!bad && r) {
		int vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_HV);

		if (vm >= 0 || errno != EINVAL) {
			diag("load N=%d failed, but an HV VM %s", n,
			     vm >= 0 ? "was created" : strerror(errno));
			bad = 1;
		}
		if (vm >= 0)
			close(vm);
	}
	if (hit > 0)
		add_outcome(line, size, r, e);
	return bad ? -1 : hit;
}

static void test_load(int kvm, const char *ko, const char *pass, const char *skip)
{
	char name[64], line[MAX_N * 2 + 64], mod[64];
	const char *base = strrchr(ko, '/') ? strrchr(ko, '/') + 1 : ko;
	int n, hit, ok = 1, faults = 0, fails = 0, count = 0;

	snprintf(mod, sizeof(mod), "%.*s", (int)strcspn(base, "."), base);
	snprintf(name, sizeof(name), "%s_module_load", pass);
	if (!skip && module_loaded(mod))
		skip = "the module is loaded";
	if (skip) {
		result(1, name, skip);
		return;
	}
	if (inject_load(kvm, ko, mod, 0, &count, NULL, 0) < 0 || count <= 0) {
		diag("a load without a fault failed, or counted %d allocations", count);
		result(0, name, NULL);
		return;
	}
	line[0] = 0;
	for (n = 1; n <= count + 1; n += n < 8 || n >= count - 32 ? 1 : 13) {
		hit = inject_load(kvm, ko, mod, n, &count, line, sizeof(line));
		if (hit < 0)
			ok = 0;
		if (hit <= 0)
			break;
		faults++;
	}
	for (n = 0; line[n]; n++)
		fails += line[n] == 'E';
	printf("    # outcome %s:%s\n", name, line);
	diag("a load makes %d allocations: %d faults injected, %d made the load fail", count, faults,
	     fails);
	result(ok, name, NULL);
}

static void test_op(int kvm, enum mmu mmu, enum op op, const char *pass, const char *skip)
{
	char name[64], line[MAX_N * 2 + 64];
	int n, hit, ok = 1, faults = 0, fails = 0;

	snprintf(name, sizeof(name), "%s_%s_%s", pass, mmu_name[mmu], op_name[op]);
	if (!skip && op == ALLOCATE_HTAB && mmu != MMU_HPT)
		skip = "HPT guests only";
	if (skip) {
		result(1, name, skip);
		return;
	}
	line[0] = 0;
	for (n = 1; n <= MAX_N; n += op == CREATE_VM && n >= 16 ? stride : 1) {
		hit = inject(kvm, mmu, op, n, line, sizeof(line));
		if (hit < 0)
			ok = 0;
		if (hit <= 0)
			break;
		faults++;
	}
	if (n > MAX_N) {
		diag("still injecting at N=%d", MAX_N);
		ok = 0;
	}
	for (n = 0; line[n]; n++)
		fails += line[n] == 'E';
	/* "." a fault the operation absorbed, "E" one it failed with ENOMEM. */
	printf("    # outcome %s:%s\n", name, line);
	diag("%d faults injected, %d made the operation fail", faults, fails);
	result(ok, name, NULL);
}

#define DEBUGFS "/sys/kernel/debug/"
#define CMA_FN "kvm_alloc_hpt_cma"
#define TIMES 1000

/* Writes val to the file at path; 0 on success. */
static int knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return r;
}

/*
 * The number after the first line of the file at path that starts with key
 * ("" for the first line), or -1.
 */
static long file_value(const char *path, const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen(path, "r");

	while (f && v < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/*
 * Arms (on) or disarms one injector (fail_function or fail_page_alloc) for
 * this process: every call fails, up to TIMES. 0 on success.
 */
static int injector(const char *name, int on)
{
	static const char *const attr[][2] = {
		{ "task-filter", "Y" }, { "verbose", "1" }, { "interval", "1" },
	};
	char path[128], times[16];
	unsigned int i;

	snprintf(times, sizeof(times), "%d", on ? TIMES : 0);
	for (i = 0; on && i < sizeof(attr) / sizeof(attr[0]); i++) {
		snprintf(path, sizeof(path), DEBUGFS "%s/%s", name, attr[i][0]);
		if (knob(path, attr[i][1]))
			return -1;
	}
	snprintf(path, sizeof(path), DEBUGFS "%s/times", name);
	if (knob(path, times))
		return -1;
	snprintf(path, sizeof(path), DEBUGFS "%s/probability", name);
	return knob(path, on ? "100" : "0");
}

/* How many faults the injector has made since it was armed. */
static long injected(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS "%s/times", name);
	return TIMES - file_value(path, "");
}

/* kvm_hv_rs's count of HPTs from the page allocator, or -1 without it. */
static long rs_buddy_hpts(void)
{
	return file_value(DEBUGFS "kvm_hv_rs/hpt_alloc", "buddy: ");
}

/*
 * One operation (ALLOCATE_HTAB or FIRST_RUN of a new HPT VM) with the CMA
 * area failing, and with the page allocator failing too if pages. Prints
 * its outcome line; returns 1 if it behaved, 0 if not.
 */
static int cma_op(int kvm, enum op op, int pages, int rs)
{
	struct vm v = VM_INIT(kvm);
	uint32_t order = 18;
	long cma0, cma1, buddy0, cma_faults, page_faults;
	int r, e, ok = 1;
	char name[48];

	snprintf(name, sizeof(name), "cma%s_%s", pages ? "_pages" : "", op_name[op]);
	if (vm_create(&v, MMU_HPT, 1, write_guest) ||
	    (op == FIRST_RUN && vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR))) {
		vm_close(&v);
		diag("%s: no HPT VM", name);
		return 0;
	}
	cma0 = file_value("/proc/meminfo", "CmaFree:");
	buddy0 = rs_buddy_hpts();
	if (knob("/proc/self/make-it-fail", "1") || injector("fail_function", 1) ||
	    (pages && injector("fail_page_alloc", 1))) {
		diag("%s: arming the injectors: %s", name, strerror(errno));
		ok = 0;
	}
	if (op == ALLOCATE_HTAB)
		r = ioctl(v.vm, KVM_PPC_ALLOCATE_HTAB, &order);
	else
		r = ioctl(v.vcpu, KVM_RUN, 0);
	e = errno;
	cma_faults = injected("fail_function");
	page_faults = pages ? injected("fail_page_alloc") : 0;
	injector("fail_function", 0);
	injector("fail_page_alloc", 0);
	knob("/proc/self/make-it-fail", "0");
	cma1 = file_value("/proc/meminfo", "CmaFree:");

	printf("    # cma %s: cma faults %ld, page faults %ld, %s\n", name, cma_faults, page_faults,
	       r ? strerror(e) : "0");
	CHECK(cma_faults > 0, "%s: kvm_alloc_hpt_cma() was not failed", name);
	if (pages) {
		CHECK(r && e == ENOMEM, "%s: %s; want ENOMEM", name, r ? strerror(e) : "success");
		CHECK(page_faults > 0, "%s: no page allocation was failed", name);
	} else {
		CHECK(!r, "%s: %s; want success from the page allocator", name, strerror(e));
		CHECK(op != FIRST_RUN || r || (v.run->exit_reason == KVM_EXIT_PAPR_HCALL &&
					       v.run->papr_hcall.nr == H_READY),
		      "%s: exit_reason %u; want H_READY", name, v.run->exit_reason);
		/* The area may grow (an earlier VM's HPT coming back), never shrink. */
		CHECK(cma1 >= cma0, "%s: CmaFree %ld -> %ld kB", name, cma0, cma1);
		CHECK(!rs || rs_buddy_hpts() == buddy0 + 1,
		      "%s: kvm_hv_rs HPTs from the page allocator %ld -> %ld; want one more", name,
		      buddy0, rs_buddy_hpts());
	}
	/* Usable once the faults stop: the guest runs (after a failed first run, again). */
	if (op == ALLOCATE_HTAB || r) {
		if (r && op == ALLOCATE_HTAB && ioctl(v.vm, KVM_PPC_ALLOCATE_HTAB, &order))
			CHECK(0, "%s: KVM_PPC_ALLOCATE_HTAB after the faults: %s", name, strerror(errno));
		CHECK(!(op == FIRST_RUN ? runs_to_ready(&v) : guest_works(&v)),
		      "%s: the VM does not work after the faults", name);
	}
	vm_close(&v);
	return ok;
}

/* faults NAME cma: see the top of the file. */
static int test_cma(int kvm, const char *skip)
{
	static const enum op ops[] = { ALLOCATE_HTAB, FIRST_RUN };
	int rs = getenv("FAULTS_MODULE") && !strcmp(getenv("FAULTS_MODULE"), "kvm_hv_rs");
	unsigned int i, pages;

	if (!skip && access(DEBUGFS "fail_function", F_OK))
		skip = "no fail_function";
	if (!skip)
		skip = mmu_skip(kvm, MMU_HPT);
	/* tests/init.sh's faults_setup put it on fail_function's list. */
	if (!skip && access(DEBUGFS "fail_function/" CMA_FN, F_OK))
		diag("%s is not on fail_function's list: %s", CMA_FN, strerror(errno));
	if (!skip && knob(DEBUGFS "fail_page_alloc/min-order", "2"))
		diag("fail_page_alloc/min-order: %s", strerror(errno));
	for (pages = 0; pages < 2; pages++)
		for (i = 0; i < 2; i++) {
			char name[48];

			snprintf(name, sizeof(name), "cma%s_%s", pages ? "_pages" : "", op_name[ops[i]]);
			if (skip) {
				result(1, name, skip);
				continue;
			}
			result(cma_op(kvm, ops[i], pages, rs), name, NULL);
		}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	int module = argc > 3 && !strcmp(argv[2], "module");
	int cma = argc > 2 && !strcmp(argv[2], "cma");
	int kvm = ktap_begin(argc > 1 ? argv[1] : "faults", module ? 1 : cma ? 4 : 5);
	const char *pass = getenv("FAULTS_PASS") ? getenv("FAULTS_PASS") : "slab";
	const char *skip = NULL;
	enum mmu first;

	if (kvm < 0)
		return 1;
	if (getenv("FAULTS_STRIDE"))
		stride = atoi(getenv("FAULTS_STRIDE")) > 0 ? atoi(getenv("FAULTS_STRIDE")) : 1;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		skip = "no /proc/thread-self/fail-nth";
	if (cma) {
		test_cma(kvm, NULL);
		close(kvm);
		return failed ? 1 : 0;
	}
	if (module) {
		test_load(kvm, argv[3], pass, skip);
		close(kvm);
		return failed ? 1 : 0;
	}
	first = mmu_skip(kvm, MMU_RADIX) ? MMU_HPT : MMU_RADIX;
	test_op(kvm, first, CREATE_VM, pass, skip);
	test_op(kvm, first, CREATE_VCPU, pass, skip);
	test_op(kvm, MMU_RADIX, FIRST_RUN, pass, skip ? skip : mmu_skip(kvm, MMU_RADIX));
	test_op(kvm, MMU_HPT, ALLOCATE_HTAB, pass, skip ? skip : mmu_skip(kvm, MMU_HPT));
	test_op(kvm, MMU_HPT, FIRST_RUN, pass, skip ? skip : mmu_skip(kvm, MMU_HPT));
	close(kvm);
	return failed ? 1 : 0;
}

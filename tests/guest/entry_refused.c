// SPDX-License-Identifier: GPL-2.0
/*
 * entry_refused - the outer hypervisor refuses to run a vcpu.
 *
 * On a pseries host, kvm_hv_rs runs a vcpu with one hcall to the outer
 * hypervisor: H_GUEST_RUN_VCPU on the nested API v2, H_ENTER_NESTED on v1.
 * Each is made in a function of its own in c/book3s_hv.c that fail_function
 * can make fail (ALLOW_ERROR_INJECTION): kvmhv_rs_guest_run_vcpu() and
 * kvmhv_rs_enter_nested(). This test injects H_PARAMETER (-4) once in place
 * of the hcall, for this process only (fail_function's task filter), and
 * runs a radix guest that reports H_READY:
 *
 *   refused_fail_entry  KVM_RUN succeeds with KVM_EXIT_FAIL_ENTRY and the
 *                       hcall's status as hardware_entry_failure_reason:
 *                       the error reaches userspace (kvm-hv's C drops it:
 *                       linuxppc issue 464, KVM_EXIT_UNKNOWN on v2).
 *   injected_once       fail_function's "times" went from 1 to 0: the
 *                       refusal was the injected one, once.
 *   runs_after          the next KVM_RUN, the hypervisor willing again, runs
 *                       the guest to H_READY from where it was.
 *
 * The injection is then removed and fail_function's settings put back
 * (verbose 1 meanwhile: the notice without a stack dump).
 * That the kernel stays clean (no WARN, lockdep, KASAN or kmemleak report)
 * is the harness's check of the whole boot, which the debug kernel makes.
 *
 * Every test is skipped on a powernv host (no outer hypervisor) and on a
 * kernel without fail_function (CONFIG_FAIL_FUNCTION: the debug kernel has
 * it). Run with kvm_hv_rs loaded: kvm-hv has no injection point.
 *
 * Usage: entry_refused NAME
 */
#include "vmtest.h"

#define FF		"/sys/kernel/debug/fail_function"
#define H_PARAMETER	(-4L)

static void write_guest(uint32_t *mem)
{
	uint32_t *p = mem + CODE_ADDR / 4;

	*p++ = li(3, H_READY);
	*p++ = SC1;
	*p = b(0);
}

/* Writes `val` to fail_function's file `name`; 0, or says why and -1. */
static int ff_write(const char *name, const char *val)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), FF "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		diag("open %s: %s", path, strerror(errno));
		return -1;
	}
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	if (!ok)
		diag("write '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
	return ok ? 0 : -1;
}

/* Reads fail_function's file `name` into buf (newline cut); 0 or -1. */
static int ff_read(const char *name, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FF "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* What the test sets; put back as it found them. */
static const char *const settings[] = {
	"probability", "interval", "times", "space", "verbose", "task-filter",
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))
/* The task filter's mark on this (single-threaded) process. */
static int make_it_fail(const char *on)
{
	int fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC), ok;

	ok = fd >= 0 && write(fd, on, 1) == 1;
	if (!ok)
		diag("/proc/self/make-it-fail: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static const char *const names[] = { "refused_fail_entry", "injected_once", "runs_after" };

/* A pseries host: Linux runs as a guest of an outer hypervisor. */
static int on_pseries(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "platform", 8) && strstr(line, "pSeries");
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "entry_refused";
	const char *fn = host_nestedv2() ? "kvmhv_rs_guest_run_vcpu" : "kvmhv_rs_enter_nested";
	char saved[NSETTINGS][32], path[128], buf[32], unset[64];
	struct verdict refused = { 0 }, once = { 0 }, after = { 0 };
	const char *skip = NULL;
	struct vm v;
	int kvm, armed = 0, i, r;

	kvm = ktap_begin(name, 3);
	if (kvm < 0)
		return 1;
	v = (struct vm)VM_INIT(kvm);
	if (!on_pseries())
		skip = "not a pseries host: no outer hypervisor";
	else if (access(FF, F_OK))
		skip = "no fail_function in this kernel (CONFIG_FAIL_FUNCTION)";
	if (skip) {
		for (i = 0; i < 3; i++)
			result(1, names[i], skip);
		return 0;
	}
	diag("refusing one entry: %s returns H_PARAMETER (%ld)", fn, H_PARAMETER);

	for (i = 0; i < (int)NSETTINGS; i++)
		if (ff_read(settings[i], saved[i], sizeof(saved[i]))) {
			diag("cannot read fail_function/%s", settings[i]);
			return 1;
		}
	snprintf(path, sizeof(path), "%s/retval", fn);
	if (vm_create(&v, MMU_RADIX, 1, write_guest) ||
	    vcpu_place(v.vcpu, CODE_ADDR, GUEST_MSR, DEC_FAR)) {
		fail(&refused, "VM set-up failed");
		goto out;
	}
	/* fail_function's retval file reads and writes the value as hex. */
	snprintf(buf, sizeof(buf), "%#lx", (unsigned long)H_PARAMETER);
	if (ff_write("inject", fn) || (armed = 1, ff_write(path, buf)) ||
	    ff_write("probability", "100") || ff_write("interval", "1") ||
	    ff_write("space", "0") || ff_write("verbose", "1") || ff_write("task-filter", "Y") ||
	    ff_write("times", "1") || make_it_fail("1")) {
		fail(&refused, "could not arm fail_function for %s", fn);
		goto out;
	}

	r = run(&v);
	make_it_fail("0");
	if (r || v.run->exit_reason != KVM_EXIT_FAIL_ENTRY ||
	    (int64_t)v.run->fail_entry.hardware_entry_failure_reason != H_PARAMETER)
		fail(&refused, "KVM_RUN %d, exit_reason %u, failure reason %lld; want 0, %u, %ld",
		     r, v.run->exit_reason,
		     (long long)v.run->fail_entry.hardware_entry_failure_reason,
		     KVM_EXIT_FAIL_ENTRY, H_PARAMETER);
	else
		diag("KVM_EXIT_FAIL_ENTRY, hardware_entry_failure_reason %lld, cpu %u",
		     (long long)v.run->fail_entry.hardware_entry_failure_reason,
		     v.run->fail_entry.cpu);

	if (ff_read("times", buf, sizeof(buf)) || strcmp(buf, "0"))
		fail(&once, "fail_function times: '%s', want 0 (injected once)", buf);

	run_to_ready(&v, &after, "after the refusal");
out:
	if (armed) {
		snprintf(unset, sizeof(unset), "!%s", fn);
		ff_write("inject", unset);
	}
	make_it_fail("0");
	for (i = 0; i < (int)NSETTINGS; i++)
		ff_write(settings[i], saved[i]);
	vm_close(&v);
	report(&refused, names[0]);
	report(&once, names[1]);
	report(&after, names[2]);
	return failed ? 1 : 0;
}

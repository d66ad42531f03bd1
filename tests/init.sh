#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the emulated POWER host. Runs the scenarios for one boot and
# prints them as KTAP on the console; the host (tests/ktap_summary.py)
# parses that together with the kernel log.
#
# Kernel command line:
#   kvm_hv_rs_test=check   the test scenarios (default)
#   kvm_hv_rs_test=run     the demo: kvm_hv_rs serves a guest's hcalls
#   kvm_hv_rs_test=bench   the benchmark (scripts/bench.sh boots it)
#   kvm_hv_rs_test=vmm     Debian's QEMU boots Linux guests (scripts/vmm.sh);
#                          vmm_modules=kvm-hv,kvm_hv_rs and
#                          vmm_guests=radix:2,hash:2 (MMU:VCPUS) choose;
#                          vmm_guest_append adds to the guests' command line,
#                          vmm_machine to QEMU's -M (max-cpu-compat=power9)
#   kvm_hv_rs_test=kselftest  only the KVM selftests (scripts/kselftest.sh);
#                          ks_tests=powerpc/null_hcall_test,... chooses
#   ks_tests=none          check mode without the KVM selftests
#   ks_set=short           check mode with the short list of the KVM
#                          selftests (ks_list), no hash pass
#   kvm_hv_rs_test=fuzz    the differential fuzzer (scripts/fuzz.sh):
#                          fuzz_seed, fuzz_cases; fuzz_case=K shows case K
#                          under both modules
#   fuzz_cases=N           check mode: also N fuzzer cases (tests/fuzz/fuzz.c)
#   kvm_hv_rs_kernel=debug the debug kernel's tests (scripts/check.sh)
#   kvm_hv_rs_test=repeat  one guest test again and again, to catch a rare
#                          failure: repeat=smp (tests/guest programs, run
#                          in turn: repeat="interrupts smp"), repeat_n=20,
#                          repeat_module=kvm_hv|kvm_hv_rs; prints each
#                          failed run and "repeat: N runs, F failed"
#
# The module-lifecycle scenarios need the run path untouched by earlier
# tests, so their order matters: C first, then kvm_hv_rs, then the refusals.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/tests
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm
echo 1 >/proc/sys/kernel/printk_ratelimit 2>/dev/null

MOD=/lib/modules/$(uname -r)/kernel/arch/powerpc/kvm
n=0
fails=0

# took NAME: says how long since the last result, when 2 s or more, before
# NAME's result (a failure's diagnostics carry it): where a boot's time goes.
_last=$(date +%s)
took() {
	_now=$(date +%s)
	[ $((_now - _last)) -lt 2 ] || echo "# ${1%% *}: $((_now - _last)) s"
	_last=$_now
}
ok() { took "$1"; n=$((n + 1)); echo "ok $n $1"; }
# not_ok NAME [TEXT...]: every line of TEXT becomes a KTAP diagnostic.
not_ok() {
	took "$1"
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
# check NAME CMD...: one test, ok when CMD succeeds; CMD's output is shown on failure.
check() {
	name=$1; shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$* failed:" "$out"; fi
}
# subtest NAME CMD...: CMD prints an indented KTAP subtest; its status is the result.
subtest() {
	name=$1; shift
	if "$@" "$name"; then ok "$name"; else not_ok "$name"; fi
}
refcnt() { cat /sys/module/"$1"/refcnt 2>/dev/null || echo none; }
# A pseries host: a guest of an outer hypervisor, whose KVM runs radix
# guests through the nested API.
on_pseries() { grep -q '^platform.*pSeries' /proc/cpuinfo; }
loaded() { [ -d /sys/module/"$1" ]; }
# use_module M: M (kvm_hv or kvm_hv_rs) serves HV KVM: the other is
# unloaded first (a VM's deferred teardown may hold it a moment), as the two
# refuse to be loaded together.
use_module() {
	case $1 in kvm_hv) other=kvm_hv_rs ;; *) other=kvm_hv ;; esac
	for _ in $(seq 20); do
		loaded $other || break
		rmmod $other 2>/dev/null || sleep 0.5
	done
	if [ "$1" = kvm_hv_rs ]; then modprobe kvm_hv_rs ${rs_args:-}; else modprobe "$1"; fi
}
want_eq() { [ "$1" = "$2" ] || { echo "$3: got '$1', want '$2'"; return 1; }; }
# hold_vm [hold|hold-hpt] [OUT]: start `kvmctl` and wait until its VM exists
# (for hold-hpt: has run); its pid is then in $holder.
hold_vm() {
	out=${2:-/tmp/hold.out}
	kvmctl "${1:-hold}" >"$out" 2>&1 &
	holder=$!
	for _ in $(seq 30); do grep -q held "$out" && return 0; kill -0 $holder 2>/dev/null || break; sleep 1; done
	cat "$out"; kill $holder 2>/dev/null; return 1
}
release_vm() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
dmesg_has() { dmesg | grep -q "$1" || { echo "dmesg lacks '$1'"; return 1; }; }

# --- scenarios ---------------------------------------------------------------

# KVM on POWER8 runs a guest's vcore on a whole core: the host keeps only
# each core's first thread online (as `ppc64_cpu --smt=off` does), or
# KVM_RUN fails with EBUSY. POWER9 and later run vcpus per thread.
p8_secondaries_offline() {
	grep -q '^cpu.*POWER8' /proc/cpuinfo || { echo "not POWER8"; return 0; }
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		id=${c##*cpu}
		first=$(sed 's/[-,].*//' "$c/topology/thread_siblings_list")
		[ "$id" = "$first" ] || echo 0 >"$c/online" || return 1
	done
	echo "online: $(cat /sys/devices/system/cpu/online) of $(cat /sys/devices/system/cpu/present)"
}

# debugfs kvm_hv_rs/ops compares the published table with kvm-hv's.
rs_ops_published() {
	f=/sys/kernel/debug/kvm_hv_rs/ops
	cat $f
	grep -qx "kvmppc_hv_ops: kvm_hv_rs" $f && grep -qx "vcpu_run: rust" $f &&
		grep -qx "inject_interrupt: rust" $f && grep -qx "arch_vm_ioctl: rust" $f &&
		grep -qx "get_compat_caps: rust" $f
}
rs_takes_table() {
	hold_vm || return 1
	a=$(refcnt kvm_hv_rs)
	release_vm
	want_eq "$a" 1 "kvm_hv_rs refcnt with a VM"
}
# rs_alone: kvm_hv_rs serves HV KVM without kvm-hv.ko, which is not loaded.
rs_alone() {
	! loaded kvm_hv || { echo "kvm_hv is loaded"; return 1; }
	loaded kvm_hv_rs || { echo "kvm_hv_rs is not loaded"; return 1; }
	dmesg_has "kvm_hv_rs: HV KVM registered"
}
# rs_first: kvm_hv_rs loaded in a boot where kvm-hv.ko never was, one guest
# run through it, and unloaded.
rs_first() {
	loaded kvm_hv && { echo "kvm_hv was loaded first"; return 1; }
	modprobe kvm_hv_rs || return 1
	rs_alone || return 1
	out=$(hcall_exit hcall_exit.first 2>&1) || { echo "$out"; return 1; }
	rmmod kvm_hv_rs
}
# KVM_PPC_ALLOCATE_HTAB: the same result for each order under both modules
# (0 on a VM without an HPT oopsed 7.3; patch 0007 makes it EINVAL), and
# EBUSY while a vcpu of the VM runs. A pseries host has no HPT guests:
# every order gives EOPNOTSUPP.
allocate_htab() {
	if on_pseries; then
		got=$(kvmctl alloc-htab 17 18 24) || return 1
		want_eq "$got" "17: EOPNOTSUPP
18: EOPNOTSUPP
24: EOPNOTSUPP" "orders on a pseries host"
		return
	fi
	want="17: EINVAL
47: EINVAL
0: EINVAL
46: ENOMEM
18: 0
18: 0
19: 0
24: 0"
	got=$(kvmctl alloc-htab 17 47 0 46 18 18 19 24) || return 1
	want_eq "$got" "$want" "orders" || return 1
	got=$(kvmctl alloc-htab-busy) || return 1
	want_eq "$got" "busy: EBUSY" "with a vcpu running"
}
# KVM_PPC_GET_COMPAT_CAPS (the op get_compat_caps): the processor
# compatibility modes a guest of this host can run in. A powernv host has
# no answer (EINVAL, and KVM_CAP_PPC_COMPAT_CAPS is 0). A pseries host on
# the API v2 tells what its hypervisor allowed and the host's CPU has:
# POWER11, 10 and 9 on the POWER11 (QEMU's L0 allows every mode up to the
# CPU's). On the API v1 it is the host's own level in the device tree's
# cpu-version, which QEMU sets at the POWER9 host's CAS (PVR_ARCH_300:
# POWER9 only).
compat_caps() {
	got=$(kvmctl compat-caps) || return 1
	case ${kvm_hv_rs_machine:-} in
	pseries-nestedv2) want="cap: 1
caps: 0x7000000000000000" ;;
	pseries-nestedv1) want="cap: 1
caps: 0x4000000000000000" ;;
	*) want="cap: 0
caps: EINVAL" ;;
	esac
	want_eq "$got" "$want" "KVM_CAP_PPC_COMPAT_CAPS, KVM_PPC_GET_COMPAT_CAPS"
}
# KVM_CREATE_VCPU with the 8 highest ids kvm.ko accepts (below
# KVM_CAP_MAX_VCPU_ID, 128 here): kvm-hv has no vcore for them, EINVAL each.
# On POWER9 and later a vcore per id below KVM_MAX_VCPUS (16); on POWER8 a
# vcore per smt_mode ids, 2 in the emulated one (on a real POWER8 in SMT8
# mode every id has one, and these would be created). On a nested-v2 host
# kvm-hv has made the vcpu's guest state messages and run buffers by then;
# patch 0027 frees them (the debug boots' kmemleak check sees them
# otherwise).
vcpu_ids_refused() {
	got=$(kvmctl vcpu-ids-refused) || return 1
	first=$(echo "$got" | head -n 1 | cut -d: -f1)
	want=$(for id in $(seq "$first" $((first + 7))); do echo "$id: EINVAL"; done)
	want_eq "$got" "$want" "the highest vcpu ids"
}
hpt_count() { sed -n "s/^$1: //p" /sys/kernel/debug/kvm_hv_rs/hpt_alloc; }
# Where kvm_hv_rs's HPTs came from (debugfs kvm_hv_rs/hpt_alloc), given the
# boot's KVM CMA area. hcall_exit allocates one HPT, and frees it.
rs_hpt_alloc_source() {
	ratio=$(sed -n 's/.*kvm_cma_resv_ratio=\([0-9]*\).*/\1/p' /proc/cmdline)
	got="$(hpt_count cma)/$(hpt_count buddy)"
	on_pseries && { want_eq "$got" 0/0 "HPTs from cma/buddy on a pseries host"; return; }
	case "$ratio" in
	0) want_eq "$got" 0/1 "HPTs from cma/buddy without a CMA area" ;;
	1)
		# A small CMA area: hold HPT guests until one's HPT comes from
		# the page allocator. Every guest must run; CMA must have served
		# the first of them.
		want_eq "$got" 1/0 "HPTs from cma/buddy after hcall_exit" || return 1
		pids=
		for i in $(seq 8); do
			hold_vm hold-hpt /tmp/hold$i.out || { kill $pids; wait $pids; return 1; }
			pids="$pids $holder"
			[ "$(hpt_count buddy)" = 0 ] || break
		done
		got="$(hpt_count cma)/$(hpt_count buddy)"
		kill $pids; wait $pids
		echo "$i HPT guests held: cma/buddy $got"
		[ "$(hpt_count buddy)" = 1 ] && [ "$(hpt_count cma)" -ge 2 ] ||
			{ echo "want the CMA area used up, then one HPT from the page allocator"; return 1; }
		;;
	*) want_eq "$got" 1/0 "HPTs from cma/buddy" ;;
	esac
}
rs_unload_refused_with_vm() {
	hold_vm || return 1
	if rmmod kvm_hv_rs 2>/tmp/rmmod.err; then release_vm; echo "rmmod succeeded with a VM alive"; return 1; fi
	release_vm
	loaded kvm_hv_rs || { echo "kvm_hv_rs gone"; return 1; }
}
# kvm_hv_load_refused: while kvm_hv_rs is registered, loading kvm-hv fails
# with EBUSY and a message naming kvm_hv_rs; kvm_hv_rs is left serving.
kvm_hv_load_refused() {
	if modprobe kvm_hv 2>/tmp/modprobe.err; then echo "kvm-hv loaded under kvm_hv_rs"; return 1; fi
	grep -qi "busy" /tmp/modprobe.err || { echo "modprobe said: $(cat /tmp/modprobe.err), want EBUSY"; return 1; }
	! loaded kvm_hv || { echo "kvm_hv left loaded"; return 1; }
	dmesg_has "kvm_hv: HV KVM is provided by kvm_hv_rs already" && rs_ops_published >/dev/null
}
rs_unload_restores_c() {
	rmmod kvm_hv_rs || return 1
	[ ! -e /sys/kernel/debug/kvm_hv_rs ] || { echo "debugfs kvm_hv_rs left behind"; return 1; }
	modprobe kvm_hv || return 1
	hold_vm || return 1
	b=$(refcnt kvm_hv)
	release_vm
	want_eq "$b" 1 "kvm_hv refcnt with a VM after kvm_hv_rs is gone"
}
# rs_load_refused_under_kvm_hv: the same the other way round, with a VM
# of kvm-hv alive.
rs_load_refused_under_kvm_hv() {
	hold_vm || return 1
	if insmod $MOD/hv_rs/kvm_hv_rs.ko 2>/tmp/insmod.err; then release_vm; echo "insmod succeeded"; return 1; fi
	release_vm
	grep -qi "busy" /tmp/insmod.err || { echo "insmod said: $(cat /tmp/insmod.err), want EBUSY"; return 1; }
	dmesg_has "kvm_hv_rs: HV KVM is provided by kvm_hv already"
}
# rs_load_after_c: kvm_hv_rs loads once kvm-hv is unloaded, without it.
rs_load_after_c() {
	use_module kvm_hv_rs || return 1
	rs_alone
}
# nested_checked: on a pseries host, kvm_hv_rs (loaded with nested_check=1)
# compared what its Rust entry handed to the outer hypervisor and took back
# (the nested-v2 guest state buffers, the nested-v1 hv_guest_state image)
# with kvm-hv's C for the same vcpu, at every entry of the scenarios run so
# far, and found no difference; on bare metal nothing was compared.
nested_checked() {
	f=/sys/kernel/debug/kvm_hv_rs/nested_check
	read -r _ on _ n _ bad <$f || { echo "no $f"; return 1; }
	echo "# nested check: enabled $on, $n buffers compared, $bad differed"
	want_eq "$on" 1 "check enabled" || return 1
	case "${kvm_hv_rs_machine:-}" in
	pseries-*) [ "$n" -gt 0 ] || { echo "nothing compared"; return 1; } ;;
	*) want_eq "$n" 0 "buffers compared on bare metal" || return 1 ;;
	esac
	want_eq "$bad" 0 "buffers that differ from C's" || return 1
	! dmesg | grep -q "nested check:.*differs" || { dmesg | grep "nested check:"; return 1; }
}
# `make bench`'s program works under kvm_hv_rs (its numbers are not checked
# here: no timing thresholds in tests).
bench_runs() {
	out=$(bench kvm_hv_rs) || { echo "$out"; return 1; }
	rows=$(echo "$out" | grep -c '^bench kvm_hv_rs ')
	want=4	# radix guests (two more rows) need a radix host
	grep -q '^MMU.*Radix' /proc/cpuinfo && want=6
	on_pseries && want=3	# radix guests only: two radix rows, vm_lifecycle
	want_eq "$rows" "$want" "bench rows"
}
unload_all() {
	rmmod kvm_hv_rs 2>/dev/null; rmmod kvm_hv 2>/dev/null; rmmod kvm || return 1
	! loaded kvm_hv_rs && ! loaded kvm_hv
}

# --- KVM selftests (issue 5) -------------------------------------------------
# /kselftests: scripts/build-kselftests.sh's programs, their list, and
# tests/kselftests/{run.conf,known}. Each test runs under kvm-hv and then
# kvm_hv_rs; its results must be the same.
KS=/kselftests
# ks_list: the tests to run (ks_tests=a,b chooses, default all); in the hash
# pass and with ks_set=short (the hosts that only repeat what another runs
# in full: scripts/check.sh), the short list: the powerpc tests and the
# dirty-logging and paging ones.
ks_list() {
	if [ -n "${ks_tests:-}" ]; then echo "$ks_tests" | tr , '\n'
	elif [ -n "${KVM_PPC_MMU:-}" ] || [ "${ks_set:-}" = short ]; then
		grep -E '^(powerpc/|dirty_log_test|demand_paging_test)' $KS/list
	else cat $KS/list; fi
}
# ks_conf TEST: "TIMEOUT [vmem=KB] ARGS..." from run.conf (default: 300 s).
ks_conf() {
	line=$(grep "^$1[[:space:]]" $KS/run.conf 2>/dev/null | head -n 1)
	if [ -n "$line" ]; then echo "$line" | cut -d' ' -f2-; else echo 300; fi
}
# ks_reap: no process of a test outlives it (hardware_disable_test forks).
ks_reap() {
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in $KS/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
	done
}
# ks_known TEST: why TEST fails with kvm-hv too on this machine, if listed.
ks_known() {
	awk -v t="$1" -v m="${kvm_hv_rs_machine:-}" '
		$1 == t && ($2 == "*" || index("," $2 ",", "," m ",")) {
			$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit
		}' $KS/known 2>/dev/null
}
# ks_run MODULE NAME: every test as a KTAP subtest; results in /tmp/ks.MODULE.
ks_run() {
	mod=$1
	: >/tmp/ks.$mod
	tests=$(ks_list)
	echo "    KTAP version 1"
	echo "    # Subtest: $2"
	echo "    1..$(echo "$tests" | wc -l)"
	i=0 bad=0
	for t in $tests; do
		i=$((i + 1))
		set -- $(ks_conf "$t")
		limit=$1; shift
		vmem=unlimited
		case "${1:-}" in vmem=*) vmem=${1#vmem=}; shift ;; esac
		known=$(ks_known "$t")
		t0=$(date +%s)
		if [ "${known#not run: }" != "$known" ] && [ -z "${ks_tests:-}" ]; then
			echo "$t fail" >>/tmp/ks.$mod
			echo "    ok $i $t # SKIP known failure (tests/kselftests/known), $known"
			continue
		elif [ -x "$KS/$t" ]; then
			(cd /tmp && ulimit -v "$vmem" && timeout -s KILL "$limit" "$KS/$t" "$@") >/tmp/ks.out 2>&1
			rc=$?
			ks_reap
		else
			echo "no such test: $t" >/tmp/ks.out
			rc=1
		fi
		secs=$(($(date +%s) - t0))
		case $rc in
		0) st=pass ;;
		4) st=skip ;;
		*) st=fail ;;
		esac
		echo "$t $st" >>/tmp/ks.$mod
		why=$(grep -v '^[[:space:]]*$' /tmp/ks.out | tail -n 1 | tr -d '\r' | sed 's/^1\.\.0 # SKIP - //')
		echo "    # $t: exit status $rc after $secs s"
		if [ $st = pass ]; then
			[ -z "$known" ] || echo "    # $t passed: tests/kselftests/known lists it as failing"
			echo "    ok $i $t"
		elif [ $st = skip ]; then
			echo "    ok $i $t # SKIP $why"
		elif [ -n "$known" ]; then
			echo "    ok $i $t # SKIP known failure (tests/kselftests/known): $known"
		else
			bad=1
			echo "    not ok $i $t"
			[ $rc != 137 ] || echo "    # killed at the limit, $limit s"
			echo "    # the test's last lines:"
			tail -n 25 /tmp/ks.out | tr -d '\r' | sed 's/^/    # /'
		fi
	done
	return $bad
}
# ks_same [SUFFIX]: each test has the same result under both modules.
ks_same() {
	diff /tmp/ks.kvm-hv${1:-} /tmp/ks.kvm_hv_rs${1:-}
}
# ks_hash_pass: a radix host runs hash guests too (POWER9's HPT guests on a
# radix host are a path of their own).
ks_hash_pass() {
	grep -q '^MMU.*Radix' /proc/cpuinfo && ! on_pseries && [ -z "${ks_tests:-}" ] &&
		[ -z "${KVM_PPC_MMU:-}" ] && [ "${ks_set:-}" != short ]
}
# ks_hash CMD...: CMD with KVM_PPC_MMU=hash in the tests' environment.
ks_hash() {
	export KVM_PPC_MMU=hash
	"$@"
	r=$?
	unset KVM_PPC_MMU
	return $r
}
# ks_all: kvm-hv first, then kvm_hv_rs; leaves kvm_hv_rs loaded. Results:
# 3, or 6 with the hash pass.
ks_all() {
	use_module kvm_hv
	subtest kselftests.kvm-hv ks_run kvm-hv
	ks_hash_pass && ks_hash subtest kselftests-hash.kvm-hv ks_run kvm-hv.hash
	use_module kvm_hv_rs
	subtest kselftests.kvm_hv_rs ks_run kvm_hv_rs
	ks_hash_pass && ks_hash subtest kselftests-hash.kvm_hv_rs ks_run kvm_hv_rs.hash
	check kselftests.same ks_same
	ks_hash_pass && check kselftests-hash.same ks_same .hash
}

# --- the debug kernel (kvm_hv_rs_kernel=debug: scripts/config/debug.config) --
# Its detectors report on the console, where tests/ktap_summary.py fails the
# boot on any report; these tests prove that they were there to report.

# debug_detectors: which detectors this kernel has, printed; fails if one
# that this host can have is missing. KASAN needs the radix MMU on book3s64:
# on a hash host the kernel says so and runs without it.
debug_detectors() {
	have= miss=
	det() { if eval "$2" >/dev/null 2>&1; then have="$have $1"; else miss="$miss $1"; fi; }
	det lockdep 'grep -q "debug_locks: *1" /proc/lockdep_stats'
	if grep -q '^MMU.*Radix' /proc/cpuinfo; then
		det kasan 'dmesg | grep -q "KernelAddressSanitizer initialized"'
	else
		det kasan_off_hash 'dmesg | grep -q "KASAN not enabled as it requires radix"'
		# What stands in for KASAN on the page allocator on powernv9-hpt
		# (run-qemu.sh says why only there).
		case ${kvm_hv_rs_machine:-} in
		*-hpt) det page_poison 'grep -qw page_poison=1 /proc/cmdline' ;;
		esac
	fi
	det kfence 'grep -q "enabled: 1" /sys/kernel/debug/kfence/stats'
	det kmemleak '[ -w /sys/kernel/debug/kmemleak ]'
	det slub_debug '[ "$(cat /sys/kernel/slab/kmalloc-64/poison)" = 1 ]'
	det debug_objects '[ -r /sys/kernel/debug/debug_objects/stats ]'
	det failslab '[ -d /sys/kernel/debug/failslab ]'
	det fail_page_alloc '[ -d /sys/kernel/debug/fail_page_alloc ]'
	det fail_function '[ -d /sys/kernel/debug/fail_function ]'
	det tracepoints '[ -d /sys/kernel/tracing/events/kvm_hv ]'
	det preempt 'grep -q "PREEMPT " /proc/version'
	echo "detectors:$have"
	[ -z "$miss" ] || { echo "missing:$miss"; return 1; }
}

# debug_tracepoints: kvm-hv's run-path tracepoints fire under kvm_hv_rs as
# under kvm-hv for the same guest (tests/guest/hcall_exit.c), so trace.rs's
# tracepoint arm is built and reached: the same hcall events (vcpu, hcall,
# GPR4-7; return and hcall return code) in the same order, and guest entries
# and exits under both. Their numbers are not compared: a host timer
# interrupt during the guest adds an exit and a re-entry.
debug_trace_count() {
	t=/sys/kernel/tracing
	echo 0 >$t/tracing_on; echo >$t/trace
	for e in kvm_hcall_enter kvm_hcall_exit kvm_guest_enter kvm_guest_exit \
		kvmppc_run_vcpu_enter kvmppc_run_vcpu_exit; do
		echo 1 >$t/events/kvm_hv/$e/enable || return 1
	done
	echo 1 >$t/tracing_on
	hcall_exit x >/dev/null 2>&1 || { echo "hcall_exit failed"; return 1; }
	echo 0 >$t/tracing_on
	echo 0 >$t/events/kvm_hv/enable
	sed -n 's/.* \(kvm_hcall_e[a-z]*: .*\)/\1/p' $t/trace >/tmp/trace.$1
	for e in kvm_hcall_enter kvm_hcall_exit kvm_guest_enter kvm_guest_exit \
		kvmppc_run_vcpu_enter kvmppc_run_vcpu_exit; do
		c=$(grep -c " $e:" $t/trace)
		printf '%s=%s ' $e "$c"
		[ "$c" -gt 0 ] || { echo; echo "no $e event"; return 1; }
	done
	echo
}
debug_tracepoints() {
	debug_trace_count "$1" || return 1
	[ "$1" = kvm_hv_rs ] || return 0
	diff /tmp/trace.kvm-hv /tmp/trace.kvm_hv_rs >/tmp/trace.diff ||
		{ echo "hcall events differ (kvm-hv <, kvm_hv_rs >):"; head -n 20 /tmp/trace.diff; return 1; }
	echo "hcall events identical: $(wc -l </tmp/trace.kvm_hv_rs)"
}

# faults_setup: failslab and fail_page_alloc for the threads that arm
# /proc/thread-self/fail-nth (tests/guest/faults.c): may-sleep allocations
# included, one line of notice per fault (no stack dump). fail_function
# gets kvm_alloc_hpt_cma (an error-injection point since patch 0018), so
# that the HPT's CMA allocation is one of the N of every pass, and the cma
# pass can fail it alone.
faults_setup() {
	d=/sys/kernel/debug
	for f in failslab fail_page_alloc; do
		echo N >$d/$f/ignore-gfp-wait && echo 1 >$d/$f/verbose || return 1
	done
	[ -d $d/fail_function/kvm_alloc_hpt_cma ] ||
		echo kvm_alloc_hpt_cma >$d/fail_function/inject || return 1
	echo 1 >$d/fail_function/verbose && echo 0 >$d/fail_function/probability
}
# faults_pass slab|pages: which injector fail-nth counts. slab: every slab
# allocation (the page allocator's threshold is above any order); pages:
# page allocations from order 2 (an HPT; not the slabs' and vmalloc's
# single pages, whose number depends on what the slabs hold), no slab
# allocation (the cache filter, with no cache marked).
faults_pass() {
	d=/sys/kernel/debug
	case $1 in
	slab) echo N >$d/failslab/cache-filter; echo 99 >$d/fail_page_alloc/min-order ;;
	pages) echo Y >$d/failslab/cache-filter; echo 2 >$d/fail_page_alloc/min-order ;;
	esac
}
# run_faults MODULE: both passes of tests/guest/faults.c, each a KTAP subtest,
# then the memory counters as after the soak (faults_memory.MODULE);
# their outcome lines are kept in /tmp/faults.MODULE. Between the markers
# (in the kernel log, so on the console and in its dmesg dump alike),
# tests/ktap_summary.py accepts the allocation-failure reports the injected
# faults cause (warn_alloc's stack dumps), and nothing else.
faults_mark() { echo "kvm_hv_rs-test: faults-$1" >/dev/kmsg; }
run_faults() {
	soak_begin
	faults_mark begin
	: >/tmp/faults.$1
	# cma: the KVM CMA area failing, alone and with the page allocator.
	for pass in slab pages cma; do
		faults_pass $pass
		mode=; [ $pass = cma ] && mode=cma
		FAULTS_PASS=$pass FAULTS_MODULE=$1 faults "faults_$pass.$1" $mode >/tmp/faults.out 2>&1
		rc=$?
		cat /tmp/faults.out
		grep -E '# (outcome|cma) ' /tmp/faults.out >>/tmp/faults.$1
		if [ $rc = 0 ]; then ok "faults_$pass.$1"; else not_ok "faults_$pass.$1"; fi
	done
	faults_mark end
	# What an error path leaks from the page allocator or the CMA area,
	# kmemleak does not see: the counters must come back.
	check_memory "faults_memory.$1"
}
# run_faults_module: kvm_hv_rs.ko loaded with each of its load's slab
# allocations failed in turn (tests/guest/faults.c, module mode), no HV
# module loaded between the loads; leaves kvm_hv_rs loaded. The load is the
# same on every host: it runs on powernv8, the quickest debug boot.
run_faults_module() {
	if [ "${kvm_hv_rs_machine:-}" != powernv8 ]; then
		ok "faults_module.kvm_hv_rs # SKIP on powernv8 only: the module's load is the same on every host"
		return
	fi
	rmmod kvm_hv_rs
	faults_pass slab
	faults_mark begin
	faults faults_module.kvm_hv_rs module $MOD/hv_rs/kvm_hv_rs.ko >/tmp/faults.out 2>&1
	rc=$?
	faults_mark end
	cat /tmp/faults.out
	modprobe kvm_hv_rs ${rs_args:-} || rc=1
	if [ $rc = 0 ]; then ok faults_module.kvm_hv_rs; else not_ok faults_module.kvm_hv_rs; fi
}
# faults_same: per operation kvm_hv_rs owns (allocate_htab, first_run), its
# faults had the same kinds of outcome as kvm-hv's (ENOMEM, or absorbed),
# and the cma pass the same faults and results.
# An EFAULT of a first run (F) is not compared: it happens only when the
# fault hits the process's page tables, which depends on what they hold.
# VM and vcpu creation are kvm-hv's C under both modules: a page allocation
# there comes and goes with the state of the host, so they are not compared.
# The exact sequences are printed, not compared: they differ between runs of
# the same C (lazily made caches, the first VM of a boot), and vmalloc()
# (kvm-hv's reverse map) makes more allocations than vrealloc() (Rust's
# VVec).
faults_kinds() {
	sed -n -e 's/.*# outcome \([^:]*_allocate_htab\):\(.*\)/\1 \2/p' \
		-e 's/.*# outcome \([^:]*_first_run\):\(.*\)/\1 \2/p' "$1" | while read -r op seq; do
		k=
		case " $seq" in *" E"*) k="$k ENOMEM" ;; esac
		case " $seq" in *" ."*) k="$k absorbed" ;; esac
		echo "$op:${k:- none}"
	done
}
faults_same() {
	for m in kvm-hv kvm_hv_rs; do
		{ faults_kinds /tmp/faults.$m; sed -n 's/.*# cma //p' /tmp/faults.$m; } >/tmp/faults.kinds.$m
	done
	diff /tmp/faults.kinds.kvm-hv /tmp/faults.kinds.kvm_hv_rs || return 1
	cat /tmp/faults.kinds.kvm_hv_rs
}

# soak_begin / soak_memory: the KVM CMA area before tests/guest/soak.c (or
# faults.c) and after it, each once the VMs' deferred teardown has given
# the area back (all of it free; waits up to 15 s). It must come back to
# the page. Counted with every CPU's free-page lists drained (kvmctl
# cma-free): a freed 16 MiB HPT is a THP-order block on a hash host (PMD
# size 16 MiB with 64K pages) and waits on the freeing CPU's list, not
# counted in CmaFree, until something drains it. Free memory, with SLACK
# (kB) given, may end at most SLACK lower: the soak's HPTs from the page
# allocator (powernv10 has no CMA area) are seen only there. The fault
# passes do not check it: KASAN's quarantine and the slabs move it by tens
# of MiB over a pass (Documentation/testing.rst).
meminfo() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
free_kb() { echo 3 >/proc/sys/vm/drop_caches; meminfo MemFree; }
cma_free() {
	if [ "$(meminfo CmaTotal)" = 0 ]; then echo 0; else kvmctl cma-free; fi
}
# Pages on the CPUs' free lists (all of them, not only CMA's).
pcp_pages() { awk '$1 == "count:" { n += $2 } END { print n + 0 }' /proc/zoneinfo; }
# cma_back: waits until all of the area is free; cma_now is the last count.
cma_back() {
	for _ in $(seq 30); do
		cma_now=$(cma_free)
		[ "$cma_now" = "$(meminfo CmaTotal)" ] && return 0
		sleep 0.5
	done
}
soak_begin() { cma_back; soak_cma=$cma_now; soak_free=$(free_kb); }
soak_memory() {
	slack=${1:-}
	raw=$(meminfo CmaFree) pcp=$(pcp_pages)
	cma_back
	cma=$cma_now free=$(free_kb)
	echo "CmaFree ${soak_cma} -> $cma kB of $(meminfo CmaTotal) (undrained $raw kB, $pcp pages on CPU lists), MemFree ${soak_free} -> $free kB; kvm_hv_rs HPTs cma/buddy: $(hpt_count cma 2>/dev/null)/$(hpt_count buddy 2>/dev/null)"
	want_eq "$cma" "$soak_cma" "CmaFree afterwards" || return 1
	[ -z "$slack" ] || [ $((free + slack)) -ge "$soak_free" ] ||
		{ echo "MemFree afterwards: ${soak_free} -> $free kB, more than $slack kB less"; return 1; }
}
# check_memory NAME [SLACK]: soak_memory as a result.
check_memory() {
	if out=$(soak_memory "${2:-}" 2>&1); then ok "$1"; printf '%s\n' "$out" | sed 's/^/# /'
	else not_ok "$1" "$out"; fi
}
# soak MODULE: the soak and its memory check, as two results. Free memory
# may end 128 MiB lower: KASAN's quarantine alone may hold 1/32 of memory
# (64 MiB here), and over make soak's 2000 lives it moved by up to 23 MiB
# (debug powernv10, kvm_hv_rs). Ten lives (make check) that each leaked a
# default HPT (16 MiB) would lose 160 MiB, make soak's 1000 leaking the
# smallest (256 KiB) 250 MiB.
run_soak() {
	soak_begin
	subtest "soak.$1" soak_n
	check_memory "soak_memory.$1" 131072
}
soak_n() { soak "$1" "${soak_cycles:-10}"; }
# rs_reload_cycles: kvm_hv_rs unloaded and loaded again, a VM's life between
# each (soak_reloads times, default 3).
rs_reload_cycles() {
	for i in $(seq "${soak_reloads:-3}"); do
		# The last VM's deferred teardown may still hold the module.
		for _ in $(seq 20); do rmmod kvm_hv_rs 2>/dev/null && break; sleep 0.5; done
		! loaded kvm_hv_rs || { echo "cycle $i: rmmod failed"; return 1; }
		modprobe kvm_hv_rs ${rs_args:-} || { echo "cycle $i: modprobe failed"; return 1; }
		out=$(soak "reload.$i" 1 2>&1) || { echo "cycle $i:"; echo "$out"; return 1; }
	done
	echo "$i unload/load cycles, a VM run between each"
}

# The differential fuzzer (tests/fuzz/fuzz.c): fuzz_cases cases from
# fuzz_seed recorded under kvm-hv, then replayed under kvm_hv_rs and
# compared exit by exit.
# tests/fuzz/ioctl_fuzz.c follows with a tenth as many cases (each is a VM).
fuzz_record() {
	fuzz record /tmp/fuzz.rec "${fuzz_seed:-1}" "$fuzz_cases" &&
		ioctl_fuzz record /tmp/ioctl_fuzz.rec "${fuzz_seed:-1}" $((fuzz_cases / 10))
}
# A divergence is minimised under kvm-hv (A) and kvm_hv_rs (B); the control
# run compares kvm-hv with itself.
FUZZ_A="rmmod kvm_hv_rs 2>/dev/null; modprobe kvm_hv"
FUZZ_B="rmmod kvm_hv 2>/dev/null; modprobe kvm_hv_rs nested_check=1"
fuzz_compare() {
	r=0
	fuzz_b=$FUZZ_B; [ -z "${fuzz_control:-}" ] || fuzz_b=$FUZZ_A
	FUZZ_LOAD_A=$FUZZ_A FUZZ_LOAD_B=$fuzz_b fuzz compare /tmp/fuzz.rec "${fuzz_seed:-1}" "$fuzz_cases" || r=1
	ioctl_fuzz compare /tmp/ioctl_fuzz.rec "${fuzz_seed:-1}" $((fuzz_cases / 10)) || r=1
	return $r
}
fuzz_all() {
	echo "KTAP version 1"
	echo "1..5"
	if out=$(p8_secondaries_offline 2>&1); then ok p8_secondaries_offline; echo "# $out"
	else not_ok p8_secondaries_offline "$out"; fi
	check modprobe_kvm_hv modprobe kvm_hv
	if [ -n "${fuzz_case:-}" ]; then
		echo "# under kvm-hv:"; fuzz show "${fuzz_seed:-1}" "$fuzz_case"
		use_module kvm_hv_rs
		echo "# under kvm_hv_rs:"; fuzz show "${fuzz_seed:-1}" "$fuzz_case"
		fuzz minimise "${fuzz_seed:-1}" "$fuzz_case" "$FUZZ_A" "$FUZZ_B"
		ok fuzz_record.kvm-hv; ok modprobe_kvm_hv_rs; ok fuzz.kvm_hv_rs
		return
	fi
	if out=$(fuzz_record 2>&1); then ok fuzz_record.kvm-hv; echo "$out"
	else not_ok fuzz_record.kvm-hv "$out"; fi
	# fuzz_control=1: the replay under kvm-hv again, to see how far the
	# fuzzer's records are reproducible at all.
	if [ -n "${fuzz_control:-}" ]; then ok modprobe_kvm_hv_rs; subtest fuzz.kvm-hv_again fuzz_compare; return; fi
	check modprobe_kvm_hv_rs use_module kvm_hv_rs
	subtest fuzz.kvm_hv_rs fuzz_compare
}

# debug_end: lockdep is still checking when the tests end (one report turns
# it off for the rest of the boot), and kmemleak finds nothing new after
# two scans (an object must be seen unreferenced twice).
debug_lockdep_on() {
	grep -E "debug_locks|lock-classes|direct dependencies" /proc/lockdep_stats
	grep -q "debug_locks: *1" /proc/lockdep_stats
}
debug_kmemleak() {
	k=/sys/kernel/debug/kmemleak
	echo scan >$k; sleep 6; echo scan >$k
	r=$(cat $k)
	[ -z "$r" ] || { echo "$r" | head -n 60; return 1; }
	echo "no new suspected leaks"
}

check_all() {
	echo "KTAP version 1"
	echo "# init started after $(cut -d. -f1 /proc/uptime) s of uptime"
	ks=0
	[ "${ks_tests:-}" = none ] || ks=3
	[ $ks = 0 ] || ! ks_hash_pass || ks=6
	dbg=0
	# The debug kernel adds its own tests (21) and leaves out what only
	# repeats the release boots': bench_runs and the *_after_rs pass (7).
	rel=7
	[ "${kvm_hv_rs_kernel:-}" = debug ] && dbg=21 rel=0
	fz=0
	[ "${fuzz_cases:-0}" = 0 ] || fz=2
	# kvm_hv_rs compares its nested-v2 buffers with C's in these tests.
	rs_args=nested_check=1
	echo "1..$((36 + rel + ks + dbg + fz))"
	if out=$(p8_secondaries_offline 2>&1); then ok p8_secondaries_offline; echo "# $out"
	else not_ok p8_secondaries_offline "$out"; fi
	check rs_first_in_boot rs_first
	check modprobe_kvm_hv modprobe kvm_hv
	if [ $dbg != 0 ]; then
		if out=$(debug_detectors 2>&1); then ok debug.detectors; else not_ok debug.detectors; fi
		echo "$out" | sed 's/^/# /'
		if out=$(debug_tracepoints kvm-hv 2>&1); then ok debug.tracepoints.kvm-hv; echo "$out" | sed "s/^/# /"
		else not_ok debug.tracepoints.kvm-hv "$out"; fi
		check faults_setup faults_setup
		run_faults kvm-hv
	fi
	subtest hcall_exit.kvm-hv hcall_exit
	if [ $fz != 0 ]; then
		if out=$(fuzz_record 2>&1); then ok fuzz_record.kvm-hv; echo "$out"
		else not_ok fuzz_record.kvm-hv "$out"; fi
	fi
	subtest interrupts.kvm-hv interrupts
	subtest fpstate.kvm-hv fpstate
	subtest smp.kvm-hv smp
	subtest parallel.kvm-hv parallel
	subtest hpt_paging.kvm-hv hpt_paging
	subtest sprs.kvm-hv sprs
	check allocate_htab.kvm-hv allocate_htab
	check compat_caps.kvm-hv compat_caps
	check vcpu_ids_refused.kvm-hv vcpu_ids_refused
	subtest htab_fd.kvm-hv htab_fd
	[ $dbg = 0 ] || run_soak kvm-hv
	check rs_load_refused_under_kvm_hv rs_load_refused_under_kvm_hv
	check modprobe_kvm_hv_rs rs_load_after_c
	check rs_ops_published rs_ops_published
	check rs_table_used_by_new_vms rs_takes_table
	check rs_unload_refused_with_vm rs_unload_refused_with_vm
	check kvm_hv_load_refused_under_rs kvm_hv_load_refused
	subtest hcall_exit.kvm_hv_rs hcall_exit
	check rs_hpt_alloc_source rs_hpt_alloc_source
	[ $fz = 0 ] || subtest fuzz.kvm_hv_rs fuzz_compare
	if [ $dbg != 0 ]; then
		if out=$(debug_tracepoints kvm_hv_rs 2>&1); then ok debug.tracepoints.kvm_hv_rs; echo "$out" | sed "s/^/# /"
		else not_ok debug.tracepoints.kvm_hv_rs "$out"; fi
		run_faults kvm_hv_rs
		check faults.same faults_same
	fi
	subtest interrupts.kvm_hv_rs interrupts
	subtest fpstate.kvm_hv_rs fpstate
	subtest smp.kvm_hv_rs smp
	subtest parallel.kvm_hv_rs parallel
	subtest hpt_paging.kvm_hv_rs hpt_paging
	subtest sprs.kvm_hv_rs sprs
	# The outer hypervisor refuses an entry (fail_function: debug pseries).
	subtest entry_refused.kvm_hv_rs entry_refused
	check allocate_htab.kvm_hv_rs allocate_htab
	check compat_caps.kvm_hv_rs compat_caps
	check vcpu_ids_refused.kvm_hv_rs vcpu_ids_refused
	subtest htab_fd.kvm_hv_rs htab_fd
	[ $rel = 0 ] || check bench_runs.kvm_hv_rs bench_runs
	if out=$(nested_checked 2>&1); then ok nested_check; echo "$out"
	else not_ok nested_check "$out"; fi
	if [ $dbg != 0 ]; then
		run_soak kvm_hv_rs
		if out=$(rs_reload_cycles 2>&1); then ok rs_reload_cycles; echo "# $out"
		else not_ok rs_reload_cycles "$out"; fi
		run_faults_module
	fi
	check rs_unload_restores_c_table rs_unload_restores_c
	if [ $rel != 0 ]; then
		subtest hcall_exit.kvm-hv_after_rs hcall_exit
		subtest interrupts.kvm-hv_after_rs interrupts
		subtest fpstate.kvm-hv_after_rs fpstate
		subtest smp.kvm-hv_after_rs smp
		subtest hpt_paging.kvm-hv_after_rs hpt_paging
		subtest sprs.kvm-hv_after_rs sprs
	fi
	[ $ks = 0 ] || ks_all
	check unload_all unload_all
	if [ $dbg != 0 ]; then
		if out=$(debug_kmemleak 2>&1); then ok debug.kmemleak; echo "# $out"
		else not_ok debug.kmemleak "$out"; fi
		if out=$(debug_lockdep_on 2>&1); then ok debug.lockdep_on_at_end; echo "$out" | sed 's/^/# /'
		else not_ok debug.lockdep_on_at_end "$out"; fi
	fi
	echo "# kvm_hv_rs: $fails of $n failed"
}

# `make bench` (scripts/bench.sh): the run path's costs under -icount, C
# first, then kvm_hv_rs, in one boot. tests/guest/bench.c prints the rows.
# bench_order=rs-first (kernel command line) runs kvm_hv_rs before kvm-hv:
# the module that runs second starts from what the first left behind, in
# the KVM CMA area above all (Documentation/performance.rst).
bench_all() {
	p8_secondaries_offline >/dev/null || echo "bench-error: secondaries stay online"
	if [ "${bench_order:-}" = rs-first ]; then
		set -- kvm_hv_rs kvm-hv
	else
		set -- kvm-hv kvm_hv_rs
	fi
	for m; do
		use_module "$(echo "$m" | tr - _)" || echo "bench-error: modprobe $m"
		bench "$m" || echo "bench-error: $m"
		[ "$m" != kvm_hv_rs ] || hpts="$(hpt_count cma)/$(hpt_count buddy)"
	done
	echo "bench-info hpt_alloc $hpts"
	if [ -n "${BENCH_PROFILE:-}" ]; then
		echo "kallsyms-begin"; cat /proc/kallsyms; echo "kallsyms-end"
	fi
	for m in kvm_hv_rs kvm_hv; do
		! loaded $m || rmmod $m
	done
}

# --- vmm: Debian's QEMU boots a Linux guest (issue 7) ------------------------
# /vmm is scripts/build-vmm.sh's root: qemu-system-ppc64 with its libraries
# and firmware, and the guest (Debian's vmlinux, tests/vmm/guest-init.sh).

VMM_QEMU="chroot /vmm /bin/busybox env LD_LIBRARY_PATH=/usr/lib/powerpc64le-linux-gnu /usr/bin/qemu-system-ppc64"
VMM_CAPS=x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off,cap-htm=off
vmm_setup() {
	for d in dev proc sys; do mount --bind /$d /vmm/$d || return 1; done
	mount -t tmpfs tmp /vmm/tmp 2>/dev/null || true
	echo "QEMU: $($VMM_QEMU --version | head -n 1)"
	echo "guest kernel: $(cat /vmm/guest/version)"
}
hpt_allocs() { echo $(($(hpt_count cma) + $(hpt_count buddy))); }
# vmm_guest MODULE MMU VCPUS NAME: boot the guest, check what it reports.
# Its console stays in /tmp/vmm-NAME.log; on failure it is printed.
vmm_guest() {
	mod=$1 mmu=$2 ncpu=$3 name=$4
	log=/tmp/vmm-$name.log
	gappend="console=hvc0 panic=-1 ${vmm_guest_append:-}"
	want_mmu=Radix
	[ "$mmu" = hash ] && { gappend="$gappend disable_radix"; want_mmu=Hash; }
	[ "$mod" = kvm_hv_rs ] && allocs=$(hpt_allocs)
	t0=$(date +%s)
	rc=0
	timeout -s KILL "${vmm_timeout:-600}" $VMM_QEMU -M pseries,accel=kvm,$VMM_CAPS${vmm_machine:+,$vmm_machine} -m 1536M -smp "$ncpu" \
		-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=1024M \
		-numa node,nodeid=0,memdev=m0,cpus=0-$((ncpu - 1)) -numa node,nodeid=1,memdev=m1 \
		-nographic -vga none -nic none -no-reboot -kernel /guest/vmlinux -initrd /guest/initrd.gz \
		-append "$gappend" </dev/null >"$log" 2>&1 || rc=$?
	echo "# $name: QEMU exit $rc after $(($(date +%s) - t0)) s"
	res=0
	vmm_expect() { grep -q "$1" "$log" || { echo "# $name: want a line matching '$1'"; res=1; }; }
	[ $rc = 0 ] || { echo "# $name: QEMU exit $rc, want 0"; res=1; }
	online=0
	[ "$ncpu" -gt 1 ] && online=0-$((ncpu - 1))
	vmm_expect "^vmm-guest: mmu=$want_mmu cpus=$ncpu online=$online[[:space:]]*$"
	# A guest started in a compatibility mode runs as that CPU.
	case "${vmm_machine:-}" in
	*max-cpu-compat=power*)
		compat=${vmm_machine##*max-cpu-compat=power}; compat=${compat%%,*}
		vmm_expect "^vmm-guest: cpu=POWER$compat (architected)[[:space:]]*$" ;;
	esac
	vmm_expect "^vmm-guest: touchmem big: [0-9]* MiB ok"
	for i in 1 2 3 4; do vmm_expect "^vmm-guest: touchmem p$i: 48 MiB ok"; done
	vmm_expect "^vmm-guest: done"
	vmm_expect "^vmm-guest: rma_mib=512 nodes=2[[:space:]]*$"
	# Memory beyond the RMA (NUMA node 0) was really used.
	top=$(sed -n 's/^vmm-guest: touchmem big: .*maxphys_mib=\([0-9]*\).*/\1/p' "$log")
	[ "${top:-0}" -gt 512 ] || { echo "# $name: highest page touched at ${top:-?} MiB, want above 512"; res=1; }
	# Under kvm_hv_rs, a hash guest's HPT (QEMU's KVM_PPC_ALLOCATE_HTAB) is Rust's.
	if [ "$mod" = kvm_hv_rs ] && [ "$mmu" = hash ] && [ "$(hpt_allocs)" -le "$allocs" ]; then
		echo "# $name: kvm_hv_rs allocated no HPT"; res=1
	fi
	grep '^vmm-guest:' "$log" | sed 's/ maxphys_mib=.*//' >"/tmp/vmm-$name.report"
	if [ $res = 0 ]; then sed -n 's/^vmm-guest: /# /p' "$log"; else sed 's/^/# | /' "$log"; fi
	return $res
}
vmm_all() {
	mods=$(echo "${vmm_modules:-kvm-hv,kvm_hv_rs}" | tr , ' ')
	guests=$(echo "${vmm_guests:-radix:2,hash:2}" | tr , ' ')
	grep -q '^MMU.*Radix' /proc/cpuinfo || guests=$(echo "$guests" | tr ' ' '\n' | grep -v '^radix' | tr '\n' ' ')
	nmods=$(echo $mods | wc -w)
	ng=$(echo $guests | wc -w)
	cmp=0
	[ "$nmods" -gt 1 ] && cmp=$ng
	# kvm_hv_rs compares its nested-v2 buffers with C's while the guests run.
	rs_args=nested_check=1
	chk=0
	case " $mods " in *" kvm_hv_rs "*) chk=1 ;; esac
	echo "KTAP version 1"
	echo "1..$((3 + nmods + nmods * ng + cmp + chk))"
	if out=$(p8_secondaries_offline 2>&1); then ok p8_secondaries_offline; echo "# $out"
	else not_ok p8_secondaries_offline "$out"; fi
	if out=$(vmm_setup 2>&1); then ok vmm_setup; echo "$out" | sed 's/^/# /'
	else not_ok vmm_setup "$out"; fi
	for mod in $mods; do
		case $mod in
		kvm-hv) check load.kvm-hv use_module kvm_hv ;;
		kvm_hv_rs) check load.kvm_hv_rs use_module kvm_hv_rs ;;
		*) not_ok "load.$mod" "unknown module" ;;
		esac
		for g in $guests; do
			name=${g%%:*}_${g##*:}vcpu.$mod
			if vmm_guest "$mod" "${g%%:*}" "${g##*:}" "$name"; then ok "$name"; else not_ok "$name"; fi
		done
		if [ "$mod" = kvm_hv_rs ]; then
			if out=$(nested_checked 2>&1); then ok nested_check.kvm_hv_rs; echo "$out"
			else not_ok nested_check.kvm_hv_rs "$out"; fi
		fi
	done
	# The same guest reports the same under both modules.
	if [ "$cmp" -gt 0 ]; then
		set -- $mods
		for g in $guests; do
			b=${g%%:*}_${g##*:}vcpu
			if out=$(diff "/tmp/vmm-$b.$1.report" "/tmp/vmm-$b.$2.report" 2>&1); then ok "$b.same"
			else not_ok "$b.same" "$out"; fi
		done
	fi
	check unload_all unload_all
	echo "# kvm_hv_rs: $fails of $n failed"
}

demo() {
	echo "### modprobe kvm_hv_rs: the HV KVM module, loaded instead of kvm-hv"
	modprobe kvm_hv_rs || { echo "### result: FAIL (modprobe kvm_hv_rs)"; return 1; }
	lsmod
	dmesg | grep "kvm_hv_rs:"
	echo "### the HV implementation kvm.ko uses, and which of its ops are Rust:"
	cat /sys/kernel/debug/kvm_hv_rs/ops
	if loaded kvm_hv; then echo "### kvm-hv.ko is loaded: that is wrong"; else echo "### kvm-hv.ko is not loaded"; fi
	echo "### a real-mode guest makes hcalls; KVM_RUN goes through kvm_hv_rs's vcpu_run and guest entry"
	echo "### (Rust), which call kvm-hv's C and assembly compiled into kvm_hv_rs.ko for the steps not ported yet"
	hcall_exit -v hcall_exit.kvm_hv_rs
	echo "### result: $([ $? = 0 ] && echo PASS || echo FAIL)"
}

echo "kvm_hv_rs-test: start $(uname -r) $(grep -m1 '^cpu' /proc/cpuinfo | tr -s ' \t' ' ')" \
	"mmu=$(grep -m1 '^MMU' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')"
case "${kvm_hv_rs_test:-check}" in
run) demo ;;
vmm)
	vmm_all
	echo "kvm_hv_rs-test: dmesg"
	dmesg
	;;
kselftest)
	echo "KTAP version 1"
	if ks_hash_pass; then echo "1..8"; else echo "1..5"; fi
	if out=$(p8_secondaries_offline 2>&1); then ok p8_secondaries_offline; echo "# $out"
	else not_ok p8_secondaries_offline "$out"; fi
	ks_all
	check unload_all unload_all
	echo "kvm_hv_rs-test: dmesg"
	dmesg
	;;
bench)
	bench_all
	echo "kvm_hv_rs-test: dmesg"
	dmesg
	;;
repeat)
	p8_secondaries_offline >/dev/null || echo "repeat-error: secondaries stay online"
	use_module "${repeat_module:-kvm_hv}" || echo "repeat-error: modprobe"
	# repeat_trace=N (a kernel with tracepoints): each run's first kvm_hv
	# events are kept (the buffer stops when full); N lines of them are
	# shown when it fails. (It slows the runs down.)
	t=/sys/kernel/tracing
	if [ -n "${repeat_trace:-}" ] && [ -d $t/events/kvm_hv ]; then
		echo 0 >$t/options/overwrite; echo 1 >$t/events/kvm_hv/enable
	else t=; fi
	nfail=0
	for i in $(seq "${repeat_n:-20}"); do
		for prog in ${repeat:-smp}; do
			[ -z "$t" ] || { echo 0 >$t/tracing_on; echo >$t/trace; echo 1 >$t/tracing_on; }
			out=$("$prog" "repeat.$i" 2>&1) && continue
			nfail=$((nfail + 1))
			echo "repeat-fail $i $prog"; echo "$out"; dmesg -c
			[ -z "$t" ] || { echo 0 >$t/tracing_on; head -n "$repeat_trace" $t/trace; }
		done
	done
	echo "repeat: ${repeat_n:-20} runs, $nfail failed"
	;;
fuzz)
	fuzz_all
	echo "kvm_hv_rs-test: dmesg"
	dmesg
	;;
*)
	check_all
	echo "kvm_hv_rs-test: dmesg"
	dmesg
	;;
esac
echo "kvm_hv_rs-test: end"
poweroff -f

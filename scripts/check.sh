#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: install, build, lint, host unit tests, then the QEMU matrix
# with kvm-hv and kvm_hv_rs in each boot. Ends with "N passed, N failed".
#
#   KVM_HV_RS_MACHINES="powernv9 powernv10"   run only these hosts
#   KVM_HV_RS_DEBUG_MACHINES="powernv9"       debug-kernel hosts ("" for none)
#   KVM_HV_RS_NO_VMM=1                        skip the VMM subset
source "$(dirname "$0")/lib.sh"

MACHINES=(${KVM_HV_RS_MACHINES:-powernv8 powernv9 powernv9-hpt powernv9-nocma powernv9-cma1 powernv10 pseries-nestedv2 pseries-nestedv1})
DEBUG_MACHINES=(${KVM_HV_RS_DEBUG_MACHINES-powernv8 powernv9-hpt powernv10 pseries-nestedv2 pseries-nestedv1})
# Nothing from an earlier run may count in this one.
rm -f "$OUT"/host-tests.log "$OUT"/console-*.log "$OUT"/results.txt "$OUT"/port.txt
phases=()
checks=()
T0=$SECONDS
# phase NAME CMD...: a timed step; a failing step is a failure in the summary
# (its own output names the step and its log) and stops the steps after it.
phase() {
	local name=$1; shift
	local t=$SECONDS rc=0
	say "phase: $name"
	"$@" || rc=$?
	phases+=("$(printf '%-12s %5d s' "$name" $((SECONDS - t)))")
	[ $rc = 0 ] || checks+=(--check "phase/$name=$rc")
	return $rc
}

# Lints: cheap, and a failure here is a failure of the run.
lint() {
	local name=$1; shift
	local rc=0
	"$@" >"$LOGDIR/lint-$name.log" 2>&1 || rc=$?
	[ $rc = 0 ] || { echo "lint $name failed:"; tail -n 20 "$LOGDIR/lint-$name.log"; } >&2
	checks+=(--check "lint/$name=$rc")
}
# clippy on the powerpc build of the module. It rebuilds rust/'s crates under
# clippy too, and the next kernel phase rebuilds them back: about 50 s a run.
# Its only accepted warnings are the arch's -Ctarget-feature ones.
clippy() {
	local log=$LOGDIR/clippy-build.log
	"${KMAKE[@]}" CLIPPY=1 arch/powerpc/kvm/hv_rs/kvm_hv_rs_rust.o >"$log" 2>&1 || { cat "$log"; return 1; }
	! grep -E '^(warning|error)' "$log" | grep -v -E 'target-feature|[0-9]+ warnings? emitted'
}
do_lints() {
	lint rustfmt rustfmt --edition 2021 --check $(git -C "$TOP" ls-files '*.rs' | sed "s|^|$TOP/|")
	lint clippy clippy
	local p n ignore
	for p in "$TOP"/rust/patches/*.patch; do
		n=$(basename "$p" | cut -c1-4)
		# Types checkpatch may not report for this patch, with a reason in the file.
		ignore=$(sed -n "s/^$n \([A-Z_,]*\) *#.*/\1/p" "$TOP/rust/patches/checkpatch.ignore")
		# From inside the tree: elsewhere checkpatch mistakes the patch for a source file.
		lint "checkpatch:$n" sh -c 'cd "$1" && scripts/checkpatch.pl --strict --quiet ${3:+--ignore "$3"} "$2"' \
			- "$SRC" "$p" "$ignore"
	done
	lint checkpatch:kselftests lint_kselftests
}

# The KVM selftests port: its patch to the tree, and its own files (the asm
# strings "mfmsr"/"mtmsrd" are not function names; SPR numbers are constants).
lint_kselftests() {
	cd "$SRC" && scripts/checkpatch.pl --strict --quiet "$TOP"/tests/kselftests/patches/*.patch &&
		scripts/checkpatch.pl --strict --quiet --no-tree --ignore EMBEDDED_FUNCTION_NAME,MACRO_ARG_REUSE \
			-f $(cd "$TOP" && git ls-files 'tests/kselftests/*.[chS]' | sed "s|^|$TOP/|")
}

# The measure of the port (scripts/port_measure.py): kvm-hv's C compiled into
# kvm_hv_rs.ko against its Rust, and the kvmppc_ops members in Rust.
# It fails when a function it counts as compiled out is in the module.
port_measure() {
	local rc=0
	python3 "$TOP/scripts/port_measure.py" --top "$TOP" --src "$SRC" --obj "$OBJ" >"$OUT/port.txt" || rc=$?
	cat "$OUT/port.txt"
	return $rc
}

# The guest state buffer tests compare with kvm-hv's C from $SRC, and must.
host_tests() {
	KVM_HV_RS_KERNEL_SRC=$SRC KVM_HV_RS_REQUIRE_C=1 \
		cargo test --manifest-path "$TOP/tests/host/Cargo.toml" >"$OUT/host-tests.log" 2>&1 || true
	grep -E '^test result' "$OUT/host-tests.log" | head -n 1 || true
}

specs=()
ks=()
# The differential fuzzer (tests/fuzz/fuzz.c) in the powernv9 (radix and
# HPT guests) and powernv8 (the POWER8 path) boots: 10,000 cases a run,
# from a seed that changes daily (KVM_HV_RS_FUZZ_SEED sets it; `make fuzz
# SEED=... CASE=...` replays a case).
FUZZ_SEED=${KVM_HV_RS_FUZZ_SEED:-$(date -u +%Y%m%d)}
run_matrix() {
	local m append
	say "fuzzer seed: $FUZZ_SEED"
	for m in "${MACHINES[@]}"; do
		# The KVM selftests: the whole suite where its guests take a
		# path of their own: powernv9 (radix guests, then hash guests
		# on the radix host) and pseries-nestedv2 (POWER11, nested API
		# v2, as in a PowerVM LPAR). powernv8, powernv9-hpt and
		# powernv10 run the short list (init.sh ks_list: the powerpc
		# tests, dirty logging, demand paging): the long generic tests
		# there (the whole suite: 20 of CI's 67 minutes at f2e3eea) repeat
		# powernv9's (mmu_stress_test alone 303 s on powernv8). The
		# CMA variants and pseries-nestedv1 (POWER9, nested API v1)
		# run none: the scenarios, SMP guests and fuzzer.
		append=${KVM_HV_RS_APPEND:-}
		case $m in
		powernv9-nocma|powernv9-cma1|pseries-nestedv1) append+=" ks_tests=none" ;;
		powernv8|powernv9-hpt|powernv10) append+=" ks_set=short"; ks+=("$m=$OUT/console-$m.log") ;;
		*) ks+=("$m=$OUT/console-$m.log") ;;
		esac
		case $m in
		powernv9) append+=" fuzz_seed=$FUZZ_SEED fuzz_cases=6000" ;;
		powernv8) append+=" fuzz_seed=$FUZZ_SEED fuzz_cases=4000" ;;
		# The pseries hosts: 2000 cases each (the nested entries are
		# slow under TCG). pseries-nestedv1 ran 500 while QEMU's HDEC
		# stall was not understood (qemu/patches 0008, testing.rst).
		pseries-*) append+=" fuzz_seed=$FUZZ_SEED fuzz_cases=2000" ;;
		esac
		boot "$m" "$m" check "$OUT/console-$m.log" "$append"
	done
}
# The debug kernel (scripts/config/debug.config) on five hosts: the same
# scenarios, plus its detectors' own tests, fault injection and a soak
# (tests/init.sh), without the KVM selftests, make bench's program and the
# kvm-hv-after-kvm_hv_rs pass, which the release boots run. One host of each
# run path: POWER8 (powernv8), POWER9 on a hash host (powernv9-hpt), the
# radix host (powernv10: the POWER9/10 entry is one path; at d8b81fa
# powernv9 was a boot of its own, 452 of the 1708 s these boots took), the
# two nested APIs. The debug powernv10 has no KVM CMA area: its HPTs come
# from the page allocator, where fail_page_alloc reaches them (powernv8 and
# powernv9-hpt take theirs from CMA). The pseries hosts' runs are also the
# ones where the outer hypervisor is made to refuse an entry
# (fail_function: entry_refused).
run_debug() {
	local m append
	for m in "${DEBUG_MACHINES[@]}"; do
		append="ks_tests=none ${KVM_HV_RS_APPEND:-}"
		[ "$m" = powernv10 ] && append+=" kvm_cma_resv_ratio=0"
		KVM_HV_RS_KERNEL=debug boot "debug-$m" "$m" check "$OUT/console-debug-$m.log" "$append"
	done
}
# The VMM subset (make vmm runs the whole set): Debian's QEMU inside the
# emulated POWER9 boots a radix and a hash Linux guest with 2 vcpus, and
# inside a pseries host on the nested API v2 a radix one, through kvm-hv and
# then kvm_hv_rs, and again in POWER9 compatibility mode. That host has a
# POWER10 (pseries-nestedv2-p10): Debian
# bookworm's QEMU 7.2 predates POWER11 and cannot run a guest on one
# (KVM_SET_SREGS refuses its default CPU's PVR: "Register sync failed").
run_vmm() {
	"$TOP/scripts/build-vmm.sh" && "$TOP/scripts/build-initramfs.sh" vmm || return 1
	boot powernv9-vmm powernv9 vmm "$OUT/console-vmm-powernv9.log" \
		"vmm_modules=kvm-hv,kvm_hv_rs vmm_guests=radix:2,hash:2"
	boot pseries-nestedv2-p10-vmm pseries-nestedv2-p10 vmm "$OUT/console-vmm-pseries-nestedv2-p10.log" \
		"vmm_modules=kvm-hv,kvm_hv_rs vmm_guests=radix:2"
	# The same guest in POWER9 compatibility mode (linuxppc issue 498).
	boot pseries-nestedv2-p10-compat-vmm pseries-nestedv2-p10 vmm \
		"$OUT/console-vmm-pseries-nestedv2-p10-compat.log" \
		"vmm_modules=kvm-hv,kvm_hv_rs vmm_guests=radix:2 vmm_machine=max-cpu-compat=power9"
}
if phase deps "$TOP/scripts/setup-deps.sh" && phase kernel "$TOP/scripts/build-kernel.sh"; then
	phase lint do_lints || true
	phase host-tests host_tests || true
	phase port port_measure || true
	phase initramfs "$TOP/scripts/build-initramfs.sh" && phase matrix run_matrix
	[ -n "${KVM_HV_RS_NO_VMM:-}" ] || phase vmm run_vmm || true
	if [ ${#DEBUG_MACHINES[@]} -gt 0 ]; then
		phase kernel-debug "$TOP/scripts/build-kernel.sh" debug &&
			phase initrd-debug "$TOP/scripts/build-initramfs.sh" debug &&
			phase debug run_debug || true
	fi
fi

# The KVM selftests side by side (their results are counted in the KTAP).
if [ ${#ks[@]} -gt 0 ]; then
	echo
	echo "KVM selftests (C = kvm-hv, Rust = kvm_hv_rs):"
	python3 "$TOP/tests/kselftest_table.py" --out "$OUT/kselftest-results.txt" "${ks[@]}" || true
	echo "(also in $OUT/kselftest-results.txt)"
fi

[ ! -f "$OUT/port.txt" ] || { echo; cat "$OUT/port.txt"; }
echo
echo "Phase times:"
printf '  %s\n' "${phases[@]}"
printf '  %-12s %5d s\n' total $((SECONDS - T0))
exec python3 "$TOP/tests/ktap_summary.py" --out "$OUT/results.txt" \
	--cargo "$OUT/host-tests.log" "${checks[@]}" "${specs[@]}"

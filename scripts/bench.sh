#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: what the run path costs under kvm-hv and under kvm_hv_rs, in
# emulated instructions (Documentation/performance.rst).
#
# Boots each machine BOOTS times with a KVM CMA area and BOOTS times without
# one (kvm_cma_resv_ratio=0, so HPTs come from the page allocator), all
# under -icount shift=0,sleep=off; each boot measures both modules
# (tests/guest/bench.c), kvm-hv first in odd boots and kvm_hv_rs first in
# even ones (bench_order=rs-first): the module that runs second in a boot
# starts from what the first left behind (the KVM CMA area above all), so
# with an even number of boots each module has as many medians from either
# place. Prints the table and writes it to Documentation/bench-results.txt.
# A pseries host (pseries-nestedv1, -v2) has no HPT guests and no KVM CMA
# area: it boots BOOTS times, once each.
#
#   KVM_HV_RS_BENCH_MACHINES="powernv9"   only these hosts
#   KVM_HV_RS_BENCH_BOOTS=6               boots per machine and allocator (even)
#   KVM_HV_RS_BENCH_OUT=FILE              write the table there instead
source "$(dirname "$0")/lib.sh"

MACHINES=(${KVM_HV_RS_BENCH_MACHINES:-powernv8 powernv9 powernv10 pseries-nestedv1 pseries-nestedv2})
BOOTS=${KVM_HV_RS_BENCH_BOOTS:-4}
RESULTS=${KVM_HV_RS_BENCH_OUT:-$TOP/Documentation/bench-results.txt}

"$TOP/scripts/setup-deps.sh"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-initramfs.sh"

rm -f "$OUT"/bench-*.log
logs=()
for m in "${MACHINES[@]}"; do
	allocs="cma buddy"
	case $m in pseries-*) allocs=nested ;; esac
	for b in $(seq "$BOOTS"); do
		for alloc in $allocs; do
			log=$OUT/bench-$m-$alloc-$b.log
			append=
			[ $alloc != buddy ] || append=kvm_cma_resv_ratio=0
			[ $((b % 2)) = 1 ] || append+=" bench_order=rs-first"
			t=$SECONDS
			rc=0
			KVM_HV_RS_CONSOLE=$log KVM_HV_RS_APPEND=$append \
				"$TOP/scripts/run-qemu.sh" "$m" bench || rc=$?
			say "bench $m $alloc boot $b: QEMU exit $rc after $((SECONDS - t)) s ($log)"
			logs+=("$m:$alloc:$rc:$log")
		done
	done
done
exec python3 "$TOP/tests/bench_table.py" --out "$RESULTS" "${logs[@]}"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make fuzz`: the differential fuzzer (tests/fuzz/fuzz.c) for long runs,
# and the replay of one case.
#
#   make fuzz [SEED=S] [CASES=N]   N cases (default 100000) from seed S
#                                  (default: the time), recorded under
#                                  kvm-hv and compared under kvm_hv_rs on
#                                  each host
#   make fuzz SEED=S CASE=K        case K of seed S, its program and its
#                                  exits under both modules
#   KVM_HV_RS_FUZZ_MACHINES="powernv9"   these hosts (default powernv9
#                                  powernv8: radix and HPT guests, POWER9
#                                  and POWER8 entries)
#
# make check runs a bounded number of cases from a seed it prints.
source "$(dirname "$0")/lib.sh"

SEED=${KVM_HV_RS_FUZZ_SEED:-$(date +%s)}
CASES=${KVM_HV_RS_FUZZ_CASES:-100000}
CASE=${KVM_HV_RS_FUZZ_CASE:-}
MACHINES=(${KVM_HV_RS_FUZZ_MACHINES:-powernv9 powernv8})

"$TOP/scripts/setup-deps.sh"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-initramfs.sh"

say "fuzz: seed $SEED, ${CASE:+case $CASE}${CASE:-$CASES cases} on ${MACHINES[*]}"
specs=()
for m in "${MACHINES[@]}"; do
	append="fuzz_seed=$SEED fuzz_cases=$CASES ks_tests=none"
	[ -z "$CASE" ] || append+=" fuzz_case=$CASE"
	KVM_HV_RS_TIMEOUT=${KVM_HV_RS_TIMEOUT:-36000} boot "fuzz-$m" "$m" fuzz "$OUT/fuzz-$m.log" "$append"
	[ -z "$CASE" ] || sed -n '/^# under kvm/,/^ok 5/p' "$OUT/fuzz-$m.log"
done
exec python3 "$TOP/tests/ktap_summary.py" "${specs[@]}"

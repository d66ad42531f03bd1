#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run KVM selftests in one emulated host, under kvm-hv and then kvm_hv_rs,
# and print them side by side. Builds what is missing first (as make check).
#
#   scripts/kselftest.sh MACHINE [TEST...]
#
# MACHINE as for run-qemu.sh (powernv8, powernv9, powernv9-hpt, powernv10,
# ...); TEST as listed in $KVM_HV_RS_CACHE/out/kselftests/bin/list, e.g.
# powerpc/null_hcall_test or dirty_log_test (default: all of them).
# Ends with "N passed, N failed" as make check does.
source "$(dirname "$0")/lib.sh"

machine=${1:?usage: kselftest.sh MACHINE [TEST...]}
shift
tests=$(IFS=,; echo "$*")
"$TOP/scripts/setup-deps.sh"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-initramfs.sh"
log=$OUT/console-kselftest-$machine.log
specs=()
# KVM_HV_RS_APPEND (e.g. KVM_PPC_MMU=hash) goes on the command line too.
boot "$machine" "$machine" kselftest "$log" "${KVM_HV_RS_APPEND:-} ${tests:+ks_tests=$tests}"
python3 "$TOP/tests/kselftest_table.py" "$machine=$log" || true
exec python3 "$TOP/tests/ktap_summary.py" "${specs[@]}"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: install what is missing, build, boot an emulated POWER9 host,
# load kvm_hv_rs and run a guest through it, with the console on screen.
#
#   KVM_HV_RS_MACHINE=powernv10 make run     another emulated host
source "$(dirname "$0")/lib.sh"

"$TOP/scripts/setup-deps.sh"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-initramfs.sh"
machine=${KVM_HV_RS_MACHINE:-powernv9}
say "booting an emulated $machine host (QEMU, TCG); the guest's hcalls follow"
rc=0
"$TOP/scripts/run-qemu.sh" "$machine" run || rc=$?
grep -q '### result: PASS' "$OUT/console-$machine.log" || die "the demo did not pass (console: $OUT/console-$machine.log)"
say "done: kvm_hv_rs served the guest's hcalls on $machine"
exit $rc

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: install what is missing, build, boot an emulated POWER9 host,
# load kvm_hv_rs (instead of kvm-hv) and run a guest through it. The screen
# shows the demo; the firmware's and kernel's boot log goes to
# $OUT/console-MACHINE.log, and its end is shown if the demo fails.
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
log=$OUT/console-$machine.log
if ! grep -q '### result: PASS' "$log"; then
	echo "--- the end of the boot log ($log):" >&2
	tail -n 40 "$log" >&2
	die "the demo did not pass (QEMU exit $rc; whole log: $log)"
fi
say "done: kvm_hv_rs.ko (not kvm-hv.ko) served the guest's hcalls on $machine"
exit $rc

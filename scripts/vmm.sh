#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make vmm`: Debian's ppc64el QEMU, inside each emulated POWER host, boots
# Debian's Linux kernel as a guest through kvm-hv and then through
# kvm_hv_rs; tests/init.sh (vmm mode) checks what each guest reports and
# compares the two modules. Ends with "N passed, N failed".
#
#   KVM_HV_RS_MACHINES="powernv9"   only these hosts
#   KVM_HV_RS_VMM_MODULES, KVM_HV_RS_VMM_GUESTS   as vmm_modules/vmm_guests
#
# `make check` runs a subset of it (scripts/check.sh).
source "$(dirname "$0")/lib.sh"

MACHINES=(${KVM_HV_RS_MACHINES:-powernv9 powernv10 powernv8})
MODULES=${KVM_HV_RS_VMM_MODULES:-kvm-hv,kvm_hv_rs}
"$TOP/scripts/setup-deps.sh"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-vmm.sh"
"$TOP/scripts/build-initramfs.sh" vmm
specs=()
for m in "${MACHINES[@]}"; do
	# POWER8 has no radix MMU: its guests are hash guests.
	guests=radix:1,radix:2,hash:1,hash:2
	[ "$m" = powernv8 ] && guests=hash:1,hash:2
	boot "$m-vmm" "$m" vmm "$OUT/console-vmm-$m.log" \
		"vmm_modules=$MODULES vmm_guests=${KVM_HV_RS_VMM_GUESTS:-$guests}"
done
python3 "$TOP/tests/vmm_table.py" --out "$TOP/Documentation/vmm-results.txt" "${specs[@]}" || true
exec python3 "$TOP/tests/ktap_summary.py" --out "$OUT/vmm-results.txt" "${specs[@]}"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make soak`: the debug kernel's scenarios with the long soak: 1000 VM
# lives (create, first run, destroy) per guest MMU under each module and
# 100 unload/load cycles of kvm_hv_rs, then kmemleak and the memory
# counters (tests/init.sh: run_soak, rs_reload_cycles). make check runs 30
# and 10.
#
#   KVM_HV_RS_SOAK_MACHINES="powernv9 powernv10"   these hosts
#   KVM_HV_RS_SOAK_CYCLES=1000 KVM_HV_RS_SOAK_RELOADS=100
source "$(dirname "$0")/lib.sh"

MACHINES=(${KVM_HV_RS_SOAK_MACHINES:-powernv9 powernv10})
CYCLES=${KVM_HV_RS_SOAK_CYCLES:-1000}
RELOADS=${KVM_HV_RS_SOAK_RELOADS:-100}

"$TOP/scripts/setup-deps.sh"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-initramfs.sh"
"$TOP/scripts/build-kernel.sh" debug
"$TOP/scripts/build-initramfs.sh" debug

specs=()
for m in "${MACHINES[@]}"; do
	# powernv10 without a KVM CMA area: its HPTs from the page allocator.
	append="ks_tests=none soak_cycles=$CYCLES soak_reloads=$RELOADS"
	[ "$m" = powernv10 ] && append+=" kvm_cma_resv_ratio=0"
	KVM_HV_RS_KERNEL=debug KVM_HV_RS_TIMEOUT=${KVM_HV_RS_TIMEOUT:-36000} \
		boot "soak-$m" "$m" check "$OUT/soak-$m.log" "$append"
	grep -E "VM lives|CmaFree|unload/load cycles" "$OUT/soak-$m.log" || true
done
exec python3 "$TOP/tests/ktap_summary.py" "${specs[@]}"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot one emulated POWER host and run tests/init.sh's scenarios on it.
#
#   run-qemu.sh MACHINE [check|run|bench|profile|vmm|kselftest|repeat]
#
# MACHINE: powernv8, powernv9, powernv9-hpt (HPT host: disable_radix),
# powernv9-nocma (no KVM CMA area: kvm_cma_resv_ratio=0), powernv9-cma1
# (a CMA area with room for one default HPT: kvm_cma_resv_ratio=1),
# powernv10; pseries-nestedv2 (POWER11), pseries-nestedv2-p10 and
# pseries-nestedv1 (POWER9), pseries hosts running KVM through PAPR's
# nested API v2 or v1. The console goes to $OUT/console-MACHINE.log; in run mode it
# is also shown. Exits with QEMU's status (124: timed out).
#
# bench mode runs QEMU with -icount shift=0,sleep=off (one nanosecond of
# guest time per instruction). KVM_HV_RS_APPEND adds to the kernel command
# line; KVM_HV_RS_CONSOLE names the console log instead.
#
# vmm mode boots $OUT/initramfs-vmm.cpio with 4 GiB: Debian's QEMU boots
# Linux guests inside (scripts/vmm.sh).
#
# KVM_HV_RS_KERNEL=debug boots the debug kernel (build-kernel.sh debug) with
# $OUT/initramfs-debug.cpio; tests/init.sh then also checks its detectors.
#
# repeat mode runs guest tests again and again (tests/init.sh says how);
# KVM_HV_RS_MONITOR=PATH adds a QEMU monitor on that Unix socket.
source "$(dirname "$0")/lib.sh"

machine=${1:?usage: run-qemu.sh MACHINE [check|run|bench|profile|vmm|kselftest|repeat]}
mode=${2:-check}
TIMEOUT=${KVM_HV_RS_TIMEOUT:-900}
mem=2G
initrd=$OUT/initramfs.cpio
if [ "$mode" = vmm ]; then
	TIMEOUT=${KVM_HV_RS_TIMEOUT:-5400}
	mem=4G
	initrd=$OUT/initramfs-vmm.cpio
fi
append="console=hvc0 panic=-1 oops=panic kvm_hv_rs_test=$mode kvm_hv_rs_machine=$machine ${KVM_HV_RS_APPEND:-}"
if [ "${KVM_HV_RS_KERNEL:-release}" = debug ]; then
	use_variant debug
	initrd=$OUT/initramfs-debug.cpio
	append+=" kvm_hv_rs_kernel=debug"
	# Page poisoning (a write into a freed page, an HPT's included, is
	# reported when the page is next allocated) on the POWER9 hash host,
	# where book3s64 has no KASAN. On the radix hosts, whose
	# KASAN-instrumented memchr_inv() checks every allocated page, it made
	# the debug powernv9 boot more than twice as slow (past the 900 s
	# limit); on powernv8 the slower host once missed kvm-hv's 10 ms wait
	# for a secondary thread ("KVM: couldn't grab cpu 3", KVM_RUN EBUSY).
	case $machine in *-hpt) append+=" page_poison=1" ;; esac
fi
# Four CPUs: a VM's vcpus, and several VMs, run on different host CPUs at
# once (tests/guest/parallel.c).
smp=4
qemu=qemu-system-ppc64
case $machine in
# POWER8: two cores with two threads each, as KVM runs a vcore on a whole
# core (tests/init.sh takes the second threads offline, as a real host
# would): two vcores run at once.
powernv8) args=(-M powernv8 -cpu power8); smp=4,cores=2,threads=2
	# With qemu/patches (scripts/build-qemu.sh) the core's threads share
	# SDR1 and LPIDR, and a vcore's second thread can run its guest;
	# tests/guest/smp.c learns it from kvm_hv_rs_p8_smt.
	if [ -x "$CACHE/qemu-p8/qemu-system-ppc64" ]; then
		qemu=$CACHE/qemu-p8/qemu-system-ppc64
		args+=(-L /usr/share/qemu)
		append+=" kvm_hv_rs_p8_smt=shared"
	fi
	;;
powernv9) args=(-M powernv9 -cpu power9) ;;
powernv9-hpt) args=(-M powernv9 -cpu power9); append+=" disable_radix" ;;
powernv9-nocma) args=(-M powernv9 -cpu power9); append+=" kvm_cma_resv_ratio=0" ;;
powernv9-cma1) args=(-M powernv9 -cpu power9); append+=" kvm_cma_resv_ratio=1" ;;
powernv10) args=(-M powernv10 -cpu power10) ;;
# pseries hosts: the host is a guest of QEMU's outer hypervisor, and runs its
# own guests through PAPR's nested API, v2 (H_GUEST_*: as in a PowerVM LPAR)
# or v1 (H_ENTER_NESTED). One thread per core: TCG has no nested-HV with SMT.
# The v2 hosts need qemu/patches 0003-0007, and both kinds 0008 (an L2 run
# whose HDEC expiry had passed was not stopped: the fuzzer's stalls), all
# in scripts/build-qemu.sh, which says what each fixes. POWER11 is what IBM
# ships KVM-in-an-LPAR on; pseries-nestedv2-p10 is the same host with a
# POWER10.
pseries-nestedv2|pseries-nestedv2-p10|pseries-nestedv1)
	case $machine in
	pseries-nestedv2) args=(-M pseries,cap-nested-papr=on,x-vof=on -cpu power11) ;;
	pseries-nestedv2-p10) args=(-M pseries,cap-nested-papr=on,x-vof=on -cpu power10) ;;
	pseries-nestedv1) args=(-M pseries,cap-nested-hv=on,x-vof=on -cpu power9) ;;
	esac
	args+=(-vga none)
	[ -x "$CACHE/qemu-p8/qemu-system-ppc64" ] ||
		die "$machine needs the patched QEMU: run scripts/build-qemu.sh"
	qemu=$CACHE/qemu-p8/qemu-system-ppc64
	args+=(-L /usr/share/qemu)
	;;
*) die "unknown machine '$machine' (powernv8, powernv9, powernv9-hpt, powernv9-nocma, powernv9-cma1, powernv10, pseries-nestedv2, pseries-nestedv2-p10, pseries-nestedv1)" ;;
esac
# profile: bench under QEMU's translation log, driven through stdio and a
# monitor socket in $KVM_HV_RS_PROFILE_DIR (scripts/bench-profile.py), for
# the row $KVM_HV_RS_PROFILE_ROW (default kernel_hcall).
if [ "$mode" = profile ]; then
	pdir=${KVM_HV_RS_PROFILE_DIR:?}
	args+=(-d in_asm,nochain -D "$pdir/asm.log" -monitor "unix:$pdir/mon.sock,server,nowait")
	append="${append/kvm_hv_rs_test=profile/kvm_hv_rs_test=bench} BENCH_PROFILE=${KVM_HV_RS_PROFILE_ROW:-1}"
fi
case $mode in bench|profile) args+=(-icount shift=0,sleep=off) ;; esac
[ -z "${KVM_HV_RS_MONITOR:-}" ] || args+=(-monitor "unix:$KVM_HV_RS_MONITOR,server,nowait")
log=${KVM_HV_RS_CONSOLE:-$OUT/console-$machine.log}
cmd=(timeout --foreground -k 10 "$TIMEOUT" "$qemu" "${args[@]}" -smp "$smp" -m $mem
	-nographic -no-reboot -kernel "$OBJ/vmlinux" -initrd "$initrd"
	-append "$append")
echo "${cmd[*]}" >"$log.cmd"
rc=0
if [ "$mode" = profile ]; then
	exec "${cmd[@]}"
elif [ "$mode" = run ]; then
	# The demo on the screen, from the test program's start to its end
	# (the kernel's own messages in between); the firmware's and the
	# kernel's boot log only in $log.
	echo "run-qemu: firmware and kernel boot log: $log" >&2
	"${cmd[@]}" </dev/null 2>&1 | tee "$log" |
		sed -u -n '/^kvm_hv_rs-test: start/,/^kvm_hv_rs-test: end/p' || rc=${PIPESTATUS[0]}
else
	for attempt in 1 2; do
		rc=0
		"${cmd[@]}" </dev/null >"$log" 2>&1 || rc=$?
		grep -q 'Linux version' "$log" && break
		# The firmware hung before Linux started: skiboot sometimes stops
		# printing while it probes the PHBs (seen twice on powernv9), and
		# 61 s later QEMU exits 0, as -no-reboot makes a machine reset do
		# (most likely the emulated BMC's watchdog, which QEMU's IPMI model
		# implements with a reset action). Nothing of ours ran: boot once
		# more.
		{ [ $attempt = 2 ] || [ $rc != 0 ]; } && break
		cp "$log" "$log.firmware-hang"
		echo "run-qemu: $machine: no Linux on the console after the firmware ($log.firmware-hang); booting again" >&2
	done
fi
exit $rc

#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the nested Linux guest that QEMU boots inside the emulated POWER
# host (tests/init.sh, vmm mode). It reports what it sees from its own /proc,
# does some real work, and powers off; every line for the host to check
# starts with "vmm-guest:".

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null

mmu=$(sed -n 's/^MMU[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo)
echo "vmm-guest: kernel $(uname -r)"
# The CPU the guest was given: its compatibility mode shows here.
echo "vmm-guest: cpu=$(sed -n 's/^cpu[[:space:]]*:[[:space:]]*\([^,]*\).*/\1/p' /proc/cpuinfo | head -n1)"
echo "vmm-guest: mmu=$mmu cpus=$(grep -c '^processor' /proc/cpuinfo) online=$(cat /sys/devices/system/cpu/online)"
echo "vmm-guest: mem_mib=$(($(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024))"
# The RMA is the first memory node's range (QEMU gives it node 0's memory).
rma=$(od -An -tx1 -j8 -N8 /proc/device-tree/memory@0/reg | tr -d ' \n')
echo "vmm-guest: rma_mib=$((0x$rma >> 20)) nodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)"

# Most of the guest's memory in one process: more than the RMA can hold, so
# part of it lies beyond, where a hash guest reaches it only through its own
# HPTEs and the host's page faults.
if out=$(touchmem 1100 big); then echo "vmm-guest: $out"; else echo "vmm-guest: FAIL $out"; fi

# A few processes at once, spread over the vcpus.
for i in 1 2 3 4; do
	touchmem 48 "p$i" >/tmp/p$i.out 2>&1 &
done
wait
for i in 1 2 3 4; do echo "vmm-guest: $(cat /tmp/p$i.out)"; done
echo "vmm-guest: done"
poweroff -f

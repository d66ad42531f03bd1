#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the emulated host's initramfs: busybox, tests/init.sh as /init, the
# test programs (tests/guest, tests/fuzz: static ppc64le), the KVM
# selftests (build-kselftests.sh)
# and the kernel's modules.
# Needs scripts/build-kernel.sh to have run.
#
#   build-initramfs.sh [vmm|debug]
#
# vmm: also $CACHE/vmm/root (scripts/build-vmm.sh) at /vmm, for the VMM
# scenarios, in $OUT/initramfs-vmm.cpio (uncompressed: the emulated host
# unpacks it faster than it would inflate it).
# debug: the debug kernel's modules (build-kernel.sh debug) and no KVM
# selftests, in $OUT/initramfs-debug.cpio.
source "$(dirname "$0")/lib.sh"

CC=powerpc64le-linux-gnu-gcc
CFLAGS=(-static -pthread -O2 -Wall -Wextra -Werror -I"$OUT/headers/include")
STAGE=$OUT/initramfs.d
IMG=$OUT/initramfs.cpio
if [ "${1:-}" = vmm ]; then
	[ -x "$CACHE/vmm/root/usr/bin/qemu-system-ppc64" ] || die "no $CACHE/vmm/root: run scripts/build-vmm.sh first"
	STAGE=$OUT/initramfs-vmm.d
	IMG=$OUT/initramfs-vmm.cpio
elif [ "${1:-}" = debug ]; then
	use_variant debug
	STAGE=$OUT/initramfs-debug.d
	IMG=$OUT/initramfs-debug.cpio
fi

[ -f "$OBJ/vmlinux" ] || die "no $OBJ/vmlinux: run scripts/build-kernel.sh first"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,tmp,tests,lib}
cp "$ROOTFS/bin/busybox" "$STAGE/bin/busybox"
install -m 0755 "$TOP/tests/init.sh" "$STAGE/init"
for src in "$TOP"/tests/guest/*.c "$TOP"/tests/fuzz/*.c; do
	prog=$(basename "$src" .c)
	"$CC" "${CFLAGS[@]}" -o "$STAGE/tests/$prog" "$src" 2>"$LOGDIR/cc-$prog.log" ||
		{ cat "$LOGDIR/cc-$prog.log" >&2; die "step 'compile ${src#$TOP/}' failed"; }
done
cp -a "$MODROOT/lib/modules" "$STAGE/lib/"
if [ -z "${1:-}" ]; then
	"$TOP/scripts/build-kselftests.sh"
	cp -a "$OUT/kselftests/bin" "$STAGE/kselftests"
	cp "$TOP/tests/kselftests/run.conf" "$TOP/tests/kselftests/known" "$STAGE/kselftests/"
fi
[ "${1:-}" = vmm ] && cp -a "$CACHE/vmm/root" "$STAGE/vmm"

run_logged "gen_init_cpio" "$LOGDIR/gen_init_cpio.log" "${KMAKE[@]}" usr/gen_init_cpio
make_cpio "$STAGE" "$IMG" initramfs
say "initramfs: $IMG ($(du -h "$IMG" | cut -f1))"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The pieces of the VMM scenarios (issue 7): Debian's own ppc64el QEMU and
# Linux kernel, and the nested guest's initramfs. Idempotent and cached:
#
#   $CACHE/vmm/debroot     bookworm ppc64el, unpacked by mmdebstrap (extract
#                          variant: no maintainer scripts, no emulation)
#   $CACHE/vmm/root        what the emulated host needs of it: the QEMU
#                          binary, its libraries and VOF firmware, busybox
#   $CACHE/vmm/root/guest  the guest: Debian's vmlinux and an initramfs of
#                          busybox, tests/vmm/guest-init.sh and touchmem
#
# scripts/build-initramfs.sh vmm then puts $CACHE/vmm/root into the host's
# initramfs at /vmm.
source "$(dirname "$0")/lib.sh"

VMM=$CACHE/vmm
DEB=$VMM/debroot
ROOT=$VMM/root
SUITE=bookworm
PKGS=qemu-system-ppc,busybox-static,linux-image-powerpc64le
MULTIARCH=powerpc64le-linux-gnu

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
command -v mmdebstrap >/dev/null ||
	run_logged "apt-get install mmdebstrap" "$LOGDIR/apt-mmdebstrap.log" \
		env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends mmdebstrap

# Only the main archive: the security mirror's indexes are sometimes caught
# mid-sync, and mmdebstrap then fails the whole update.
mkdir -p "$VMM"
stamp="$SUITE $PKGS"
if [ "$(cat "$DEB.stamp" 2>/dev/null)" != "$stamp" ]; then
	# A mirror caught mid-sync fails the download; it is tried again once.
	for try in 1 2; do
		rm -rf "$DEB" "$DEB.stamp"
		$SUDO mmdebstrap --variant=extract --arch=ppc64el --include="$PKGS" \
			"$SUITE" "$DEB" "deb http://deb.debian.org/debian $SUITE main" \
			>"$LOGDIR/mmdebstrap.log" 2>&1 && break
		[ $try = 2 ] && { tail -n 20 "$LOGDIR/mmdebstrap.log" >&2; die "mmdebstrap failed; log: $LOGDIR/mmdebstrap.log"; }
		say "mmdebstrap failed (log: $LOGDIR/mmdebstrap.log); trying again in 30 s"
		sleep 30
	done
	say "mmdebstrap ($SUITE ppc64el: $PKGS): done"
	echo "$stamp" >"$DEB.stamp"
fi

# find_lib NAME: where the unpacked root has the shared library NAME.
find_lib() {
	local d
	for d in usr/lib/$MULTIARCH lib/$MULTIARCH usr/lib lib; do
		[ -e "$DEB/$d/$1" ] && { echo "$d/$1"; return; }
	done
	die "no $1 in $DEB"
}

rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,lib64,dev,proc,sys,tmp,guest,usr/bin,usr/share/qemu,usr/lib/$MULTIARCH}
cp "$DEB/usr/bin/qemu-system-ppc64" "$ROOT/usr/bin/"
cp "$DEB/usr/share/qemu/vof.bin" "$ROOT/usr/share/qemu/"
cp "$DEB/bin/busybox" "$ROOT/bin/"
# The QEMU binary's libraries, by their DT_NEEDED entries, all in the one
# directory the loader is told about (LD_LIBRARY_PATH in tests/init.sh).
declare -A seen=()
todo=(usr/bin/qemu-system-ppc64)
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for n in $(readelf -d "$DEB/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${seen[$n]:-}" ] && continue
		seen[$n]=$(find_lib "$n")
		todo+=("${seen[$n]}")
		cp -L "$DEB/${seen[$n]}" "$ROOT/usr/lib/$MULTIARCH/$n"
	done
done
cp -L "$DEB/lib64/ld64.so.2" "$ROOT/lib64/ld64.so.2" 2>/dev/null ||
	cp -L "$DEB/lib/$MULTIARCH/ld64.so.2" "$ROOT/lib64/ld64.so.2"

# The guest: Debian's kernel as it ships (it boots through VOF: built with
# CONFIG_PPC_OF_BOOT_TRAMPOLINE; console hvc0; 64 KiB pages).
vmlinux=$(ls "$DEB"/boot/vmlinux-* | sort -V | tail -n 1)
cp "$vmlinux" "$ROOT/guest/vmlinux"
basename "$vmlinux" | sed 's/^vmlinux-//' >"$ROOT/guest/version"
stage=$VMM/guest-initrd.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp}
[ -x "$OBJ/usr/gen_init_cpio" ] || die "no $OBJ/usr/gen_init_cpio: run scripts/build-kernel.sh first"
cp "$DEB/bin/busybox" "$stage/bin/"
install -m 0755 "$TOP/tests/vmm/guest-init.sh" "$stage/init"
powerpc64le-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/touchmem" \
	"$TOP/tests/vmm/touchmem.c" 2>"$LOGDIR/cc-touchmem.log" ||
	{ cat "$LOGDIR/cc-touchmem.log" >&2; die "step 'compile tests/vmm/touchmem.c' failed"; }
make_cpio "$stage" "$VMM/guest-initrd.cpio" guest-initramfs
gzip -9 <"$VMM/guest-initrd.cpio" >"$ROOT/guest/initrd.gz"
say "vmm: QEMU $(strings -a "$ROOT/usr/bin/qemu-system-ppc64" | sed -n 's/^QEMU emulator version //p' | head -n 1)," \
	"guest kernel $(cat "$ROOT/guest/version"), $(du -sh "$ROOT" | cut -f1) in all"

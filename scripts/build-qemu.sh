#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A qemu-system-ppc64 for the powernv8 and pseries boots: the QEMU
# this machine runs (Debian's 10.0.2, from bookworm-backports), built from
# Debian's source with qemu/patches/ applied. Idempotent and cached in
# $CACHE/qemu-p8 (the name is older than the nested-v2 patches).
#
# Why: QEMU keeps SDR1 and LPIDR per thread, where POWER8 has them per core,
# so a KVM vcore's second thread cannot enter its guest (qemu/patches/0001
# says more); a napping POWER8 thread can report a wake-up LPCR[PECE] does
# not enable, and spin (0002). Its nested API v2 (cap-nested-papr) aborts on
# vcpu ids created out of order (0003), runs L2s with MSR[ME] clear (0004),
# and TCG ignores LPCR[MER], so an L2's external interrupts never arrive
# (0005); it saves decrementers as now - DEC, so a ceded vcpu never sleeps
# (0006), and lets kvm-hv negotiate its capabilities once per reset, so a
# second load of kvm-hv fails (0007). Both nested APIs start an L2 run's
# HDEC from the previous run's, so an expiry already passed never stops the
# L2 (0008). Only those boots use this binary (run-qemu.sh), with the
# installed QEMU's firmware (-L /usr/share/qemu).
source "$(dirname "$0")/lib.sh"

VER=10.0.2
TARBALL=qemu_$VER+ds.orig.tar.xz
URL=http://deb.debian.org/debian/pool/main/q/qemu/$TARBALL
SHA256=0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1
DIR=$CACHE/qemu-p8
BIN=$DIR/qemu-system-ppc64
PATCHES=("$TOP"/qemu/patches/*.patch)
CONFIGURE=(--python=/usr/bin/python3 --target-list=ppc64-softmmu
	--without-default-features --enable-tcg --enable-fdt=system
	--disable-docs --disable-tools --disable-install-blobs --disable-werror)

stamp=$( (echo "$TARBALL ${CONFIGURE[*]}"; cat "${PATCHES[@]}") | sha256sum | cut -c1-16)
if [ -x "$BIN" ] && [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
pkgs=(ninja-build libglib2.0-dev libfdt-dev libpixman-1-dev python3-venv pkg-config)
bpo=(meson python3-pycotap)	# QEMU 10 wants meson >= 1.5 (bookworm has 1.0)
missing=()
for p in "${pkgs[@]}" "${bpo[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ "$(meson --version 2>/dev/null | cut -d. -f1-2 | tr -d .)" -ge 15 ] 2>/dev/null || missing+=(meson)
if [ ${#missing[@]} -gt 0 ]; then
	say "apt: installing QEMU's build dependencies"
	ensure_backports
	run_logged "apt-get install (QEMU build)" "$LOGDIR/apt-qemu-build.log" \
		env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${pkgs[@]}"
	run_logged "apt-get install (QEMU build, backports)" "$LOGDIR/apt-qemu-build-bpo.log" \
		env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
		-t bookworm-backports "${bpo[@]}"
fi

mkdir -p "$DIR"
if ! echo "$SHA256  $DIR/$TARBALL" | sha256sum -c --quiet >/dev/null 2>&1; then
	run_logged "download $TARBALL" "$LOGDIR/qemu-download.log" curl -fsSL -o "$DIR/$TARBALL" "$URL"
	echo "$SHA256  $DIR/$TARBALL" | sha256sum -c --quiet || die "$TARBALL: checksum mismatch"
fi
src=$DIR/qemu-$VER
rm -rf "$src"
tar -C "$DIR" -xf "$DIR/$TARBALL"
for p in "${PATCHES[@]}"; do
	patch -d "$src" -p1 --quiet <"$p" || die "QEMU patch $(basename "$p") does not apply"
done
mkdir -p "$src/build"
run_logged "QEMU configure" "$LOGDIR/qemu-configure.log" sh -c 'cd "$1" && shift && ../configure "$@"' - "$src/build" "${CONFIGURE[@]}"
say "QEMU: building qemu-system-ppc64 with qemu/patches (about 3 minutes on 2 cores, once)"
run_logged "QEMU build" "$LOGDIR/qemu-build.log" ninja -C "$src/build" qemu-system-ppc64
cp "$src/build/qemu-system-ppc64" "$BIN"
rm -rf "$src"
echo "$stamp" >"$DIR/stamp"
say "QEMU for powernv8 and the pseries hosts: $BIN ($("$BIN" --version | head -n 1))"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the build and the tests need. Idempotent: a second run
# checks and returns in a few seconds.
source "$(dirname "$0")/lib.sh"

APT_PKGS=(clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev
	libssl-dev cpio kmod xz-utils make git rsync python3 dwarves
	gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross)
QEMU_MIN=10

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "apt: installing ${missing[*]}"
	run_logged "apt-get update" "$LOGDIR/apt-update.log" $SUDO apt-get update
	run_logged "apt-get install" "$LOGDIR/apt-install.log" \
		env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# QEMU 10 (bookworm's 7.2 models POWER9 DD2.0 and aborts under -icount).
qemu_major() { qemu-system-ppc64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p'; }
if [ "$(qemu_major || true)" = "" ] || [ "$(qemu_major)" -lt $QEMU_MIN ]; then
	say "apt: installing qemu-system-ppc from bookworm-backports"
	ensure_backports
	run_logged "install qemu" "$LOGDIR/apt-qemu.log" \
		env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
		-t bookworm-backports qemu-system-ppc ipxe-qemu- qemu-system-data
	[ "$(qemu_major)" -ge $QEMU_MIN ] || die "qemu-system-ppc64 is older than $QEMU_MIN"
fi

# The powernv8 boots' QEMU: the same QEMU with qemu/patches (cached).
"$TOP/scripts/build-qemu.sh"

# Rust: the kernel builds core itself, so it needs rust-src; bindgen-cli.
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	run_logged "rustup rust-src" "$LOGDIR/rustup.log" rustup component add rust-src
fi
if ! command -v bindgen >/dev/null; then
	say "cargo: building bindgen-cli (a few minutes, once)"
	run_logged "cargo install bindgen-cli" "$LOGDIR/bindgen.log" \
		cargo install bindgen-cli --locked --version 0.73.2
fi

# checkpatch.pl checks SPDX lines with scripts/spdxcheck.py, which needs ply.
if ! python3 -c 'import ply' 2>/dev/null; then
	run_logged "pip install ply" "$LOGDIR/pip-ply.log" python3 -m pip install --quiet ply
fi

# busybox-static for ppc64el: the emulated host's userspace.
if [ ! -x "$ROOTFS/bin/busybox" ]; then
	say "apt: fetching busybox-static (ppc64el)"
	line='deb [arch=ppc64el] http://deb.debian.org/debian bookworm main'
	arch=(-o APT::Architecture=ppc64el -o APT::Architectures=ppc64el)
	run_logged "busybox lists" "$LOGDIR/busybox-update.log" apt_private ppc64el "$line" "${arch[@]}" -- update
	d=$CACHE/apt/ppc64el/dl
	rm -rf "$d"; mkdir -p "$d"
	(cd "$d" && apt_private ppc64el "$line" "${arch[@]}" -- download busybox-static:ppc64el) \
		>"$LOGDIR/busybox-download.log" 2>&1 || die "busybox download failed: $LOGDIR/busybox-download.log"
	mkdir -p "$ROOTFS"
	dpkg -x "$d"/busybox-static_*.deb "$ROOTFS"
	[ -x "$ROOTFS/bin/busybox" ] || die "busybox-static has no bin/busybox"
fi

say "dependencies: all present (qemu $(qemu_major), $(bindgen --version), $(rustc --version))"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-$KVER and keep a pristine copy of it as a git
# repository under $CACHE, so that patch series can be re-applied exactly
# (git rewrites only the files that differ, so kbuild rebuilds what changed
# and nothing is silently left stale).
source "$(dirname "$0")/lib.sh"

PKG=linux-source-$KVER
if [ -d "$SRC/.git" ] && git -C "$SRC" rev-parse -q --verify refs/tags/pristine >/dev/null; then
	exit 0
fi

line='deb http://deb.debian.org/debian trixie-backports main'
d=$CACHE/apt/trixie
say "kernel: fetching $PKG from Debian (about 170 MB, once)"
run_logged "apt lists (trixie-backports)" "$LOGDIR/kernel-apt-update.log" apt_private trixie "$line" -- update
rm -rf "$d/dl"; mkdir -p "$d/dl"
(cd "$d/dl" && apt_private trixie "$line" -- download "$PKG") >"$LOGDIR/kernel-download.log" 2>&1 ||
	die "download of $PKG failed: $LOGDIR/kernel-download.log"

say "kernel: unpacking"
rm -rf "$d/x" "$SRC"; mkdir -p "$d/x"
dpkg -x "$d"/dl/"$PKG"_*.deb "$d/x"
tarball=$(ls "$d"/x/usr/src/"$PKG".tar.*)
tar -C "$CACHE" -xf "$tarball"
mv "$CACHE/$PKG" "$SRC"
rm -rf "$d/x"

say "kernel: recording the pristine tree (git, once)"
(
	cd "$SRC"
	git init -q
	git config user.name "kvm_hv_rs developers"; git config user.email kvm_hv_rs@localhost
	git config core.autocrlf false; git config gc.auto 0
	git add -A -f . && git commit -q -m "pristine $PKG ($(head -5 Makefile | tr '\n' ' '))"
	git tag pristine
) >"$LOGDIR/kernel-git.log" 2>&1 || die "git of pristine tree failed: $LOGDIR/kernel-git.log"
say "kernel: $(make -s -C "$SRC" kernelversion) ready at $SRC"

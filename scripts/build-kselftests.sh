#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the KVM selftests for powerpc (static ppc64le programs) from the
# 7.3 tree's tools/testing/selftests/kvm, with this project's powerpc port:
#
#   tests/kselftests/patches/*.patch   applied to a copy of the tree's tools/
#   tests/kselftests/{lib,include}/powerpc, tests/kselftests/powerpc
#                                       copied into its selftests/kvm (overlay)
#
# Output: $OUT/kselftests/bin/<test> (the directory layout of the tests,
# e.g. bin/powerpc/null_hcall_test) and bin/list, one test per line.
# Cached: rebuilt when the port or the kernel tree changes.
# Needs scripts/build-kernel.sh (the uapi headers).
source "$(dirname "$0")/lib.sh"

KS=$OUT/kselftests
TREE=$KS/src
BIN=$KS/bin
[ -d "$OUT/headers/include/linux" ] || die "no $OUT/headers: run scripts/build-kernel.sh first"

stamp=$( (git -C "$SRC" rev-parse HEAD; cd "$TOP/tests/kselftests" &&
	find . -type f ! -name '*.rst' | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16)
if [ -f "$BIN/list" ] && [ "$(cat "$KS/stamp" 2>/dev/null)" = "$stamp" ]; then
	say "kselftests: up to date ($(wc -l <"$BIN/list") tests)"
	exit 0
fi

rm -rf "$KS"
mkdir -p "$TREE" "$BIN"
(cd "$SRC" && tar cf - tools scripts/subarch.include) | tar xf - -C "$TREE"
for p in "$TOP"/tests/kselftests/patches/*.patch; do
	patch -s -p1 -d "$TREE" <"$p" || die "kselftests: $(basename "$p") does not apply"
done
KVMDIR=$TREE/tools/testing/selftests/kvm
cp -r "$TOP"/tests/kselftests/include/powerpc "$KVMDIR/include/"
cp -r "$TOP"/tests/kselftests/lib/powerpc "$KVMDIR/lib/"
cp -r "$TOP"/tests/kselftests/powerpc "$KVMDIR/"

# Static: the emulated host's initramfs has no C library.
run_logged "kselftests build" "$LOGDIR/kselftests.log" \
	make -C "$KVMDIR" -j2 ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- \
	EXTRA_CFLAGS=-static KHDR_INCLUDES="-isystem $OUT/headers/include" \
	OUTPUT="$KS/out"

(cd "$KS/out" && find . -type f -perm -u+x ! -name '*.*' | sed 's|^\./||' | LC_ALL=C sort) >"$KS/all"
: >"$BIN/list"
while read -r t; do
	mkdir -p "$BIN/$(dirname "$t")"
	# Stripped (a third smaller); each still loads itself as the guest.
	powerpc64le-linux-gnu-strip -o "$BIN/$t" "$KS/out/$t"
	echo "$t" >>"$BIN/list"
done <"$KS/all"
[ -s "$BIN/list" ] || die "kselftests: no tests listed"
echo "$stamp" >"$KS/stamp"
say "kselftests: $(wc -l <"$BIN/list") tests in $BIN"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Patch, configure and build Linux $KVER with kvm_hv_rs in tree.
#
# The source tree is a git repository with the pristine release tagged; the
# patch series is re-applied whenever it changes (git rewrites only the files
# that differ, so kbuild rebuilds exactly what changed), and the config is
# regenerated whenever the fragment or the patches change.
#
#   build-kernel.sh [debug]
#
# debug: the debug kernel (scripts/config/debug.config on top of the release
# fragment: lockdep, KASAN, KFENCE, kmemleak, fault injection, ...), from the
# same tree and series into its own build directory, $CACHE/build-$KVER-debug,
# with its modules in $OUT/modroot-debug.
source "$(dirname "$0")/lib.sh"

"$TOP/scripts/fetch-kernel.sh"

FRAG=$TOP/scripts/config/kvm_hv_rs.config
FRAGS=("$FRAG")
variant=${1:-release}
case $variant in
release) ;;
debug)
	FRAGS+=("$TOP/scripts/config/debug.config")
	use_variant debug
	;;
*) die "usage: build-kernel.sh [debug]" ;;
esac
PATCHES=("$TOP"/rust/patches/*.patch)
stamp() { cat "$@" | sha256sum | cut -c1-16; }

# Commit the series on top of the pristine tag in a scratch index, then check
# the result out: only files whose content differs from what is there now are
# rewritten, so kbuild rebuilds what the change touched and nothing else.
apply_series() {
	local idx=$CACHE/series.index body=$CACHE/series.msg head p tree subject
	rm -f "$idx"
	head=$(git -C "$SRC" rev-parse pristine)
	GIT_INDEX_FILE=$idx git -C "$SRC" read-tree pristine
	for p in "${PATCHES[@]}"; do
		echo "applying $(basename "$p")"
		GIT_INDEX_FILE=$idx git -C "$SRC" apply --cached --whitespace=error-all "$p" ||
			{ echo "$(basename "$p") does not apply"; return 1; }
		tree=$(GIT_INDEX_FILE=$idx git -C "$SRC" write-tree)
		subject=$(git mailinfo "$body" /dev/null <"$p" | sed -n 's/^Subject: //p')
		head=$(git -C "$SRC" commit-tree "$tree" -p "$head" -m "$subject" -F "$body")
	done
	rm -f "$idx" "$body"
	git -C "$SRC" checkout -q -f -B kvm_hv_rs "$head"
	# -x: Debian's .gitignore ignores every new top-level path, so a file a
	# patch added and a later version dropped would otherwise survive.
	git -C "$SRC" clean -fdxq -e /arch/powerpc/kvm/hv_rs
}

# 1. The patch series.
want=$(echo "$KVER" | cat - "${PATCHES[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$CACHE/patches.stamp" 2>/dev/null)" != "$want" ] ||
	! git -C "$SRC" diff-index --quiet HEAD -- 2>/dev/null; then
	# A new series, or a tree edited by hand since the last application.
	say "kernel: applying ${#PATCHES[@]} patches from rust/patches"
	rm -f "$CACHE/patches.stamp"
	run_logged "apply rust/patches" "$LOGDIR/patches.log" apply_series
	echo "$want" >"$CACHE/patches.stamp"
fi

# 2. This repository, in the tree. A symlink: the tree builds whatever clone
#    last ran this script, and edits here need no copy step.
ln -sfn "$TOP" "$SRC/arch/powerpc/kvm/hv_rs"

# 3. The configuration: allnoconfig with the fragments concatenated.
cfg_stamp=$CACHE/config$VARIANT_SUFFIX.stamp
cfg_want=$(stamp "${FRAGS[@]}" "$CACHE/patches.stamp")
if [ ! -f "$OBJ/.config" ] || [ "$(cat "$cfg_stamp" 2>/dev/null)" != "$cfg_want" ]; then
	say "kernel: configuring $variant (allnoconfig + ${FRAGS[*]#$TOP/})"
	mkdir -p "$OBJ"
	rm -f "$cfg_stamp"
	cat "${FRAGS[@]}" >"$OBJ/kvm_hv_rs.allconfig"
	run_logged "make allnoconfig" "$LOGDIR/config$VARIANT_SUFFIX.log" \
		"${KMAKE[@]}" KCONFIG_ALLCONFIG="$OBJ/kvm_hv_rs.allconfig" allnoconfig
	missing=$(grep -h '^CONFIG_' "${FRAGS[@]}" | while read -r l; do
		grep -qx "$l" "$OBJ/.config" || echo "$l"; done)
	[ -z "$missing" ] || die "config: not satisfied (check dependencies, and scripts/rust_is_available.sh for RUST): $missing"
	echo "$cfg_want" >"$cfg_stamp"
fi

# 4. Build. A heartbeat says where it is, once a minute.
say "kernel: building $variant vmlinux and modules (about 11 minutes from scratch on 2 cores, seconds when nothing changed)"
log=$LOGDIR/kernel-build$VARIANT_SUFFIX.log
# (sleep must not hold our stdout: a reader waiting for EOF would wait for it)
( while sleep 60 </dev/null >/dev/null 2>&1; do echo "    ... $(grep -E '^\s+(CC|RUSTC|LD|AR|BINDGEN)' "$log" 2>/dev/null | tail -n 1 | xargs)" >&2; done ) &
hb=$!
trap 'kill $hb 2>/dev/null || true' EXIT
run_logged "make vmlinux modules" "$log" "${KMAKE[@]}" -j"$(($(nproc) + 1))" vmlinux modules
kill $hb 2>/dev/null || true

# 5. Modules and uapi headers for the initramfs and the test programs (the
#    headers are the release build's: the configuration does not change them).
rm -rf "$MODROOT"
run_logged "modules_install" "$LOGDIR/modules-install$VARIANT_SUFFIX.log" \
	"${KMAKE[@]}" INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1 modules_install
[ "$variant" = debug ] ||
	run_logged "headers_install" "$LOGDIR/headers-install.log" \
		"${KMAKE[@]}" INSTALL_HDR_PATH="$OUT/headers" headers_install
say "kernel: $OBJ/vmlinux ($("${KMAKE[@]}" -s kernelrelease 2>/dev/null))"

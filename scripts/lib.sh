# SPDX-License-Identifier: GPL-2.0
# Shared settings for the kvm_hv_rs scripts. Sourced, never run.
#
# Everything that is downloaded or built lives under one cache directory,
# outside the git tree:  KVM_HV_RS_CACHE  (default: ~/.cache/kvm_hv_rs).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOME=${HOME:-$(cd ~ && pwd)}
CACHE=${KVM_HV_RS_CACHE:-$HOME/.cache/kvm_hv_rs}
KVER=${KVM_HV_RS_KVER:-7.3}
LLVM_SUFFIX=-19
LOGDIR=$CACHE/logs
SRC=$CACHE/linux-$KVER          # patched kernel source tree (a git repo)
OBJ=$CACHE/build-$KVER          # kbuild output directory (O=)
ROOTFS=$CACHE/rootfs            # ppc64el userspace pieces (busybox)
OUT=$CACHE/out                  # initramfs images, console logs, results

mkdir -p "$CACHE" "$LOGDIR" "$OUT"

export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

MODROOT=$OUT/modroot            # the build's modules (modules_install)
VARIANT_SUFFIX=                 # "" for the release kernel, -debug for the debug one

KMAKE=(make -C "$SRC" O="$OBJ" ARCH=powerpc LLVM=$LLVM_SUFFIX)

# use_variant debug: the paths above for the debug kernel (build-kernel.sh
# debug builds it; scripts/config/debug.config says what it has).
use_variant() {
	[ "$1" = debug ] || die "unknown kernel variant '$1'"
	VARIANT_SUFFIX=-debug
	OBJ=$CACHE/build-$KVER-debug
	MODROOT=$OUT/modroot-debug
	KMAKE=(make -C "$SRC" O="$OBJ" ARCH=powerpc LLVM=$LLVM_SUFFIX)
}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# run_logged STEP LOGFILE CMD...: run CMD with its output in LOGFILE; on
# failure name the step and show the log's tail.
run_logged() {
	local step=$1 log=$2; shift 2
	local t0=$SECONDS
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "step '$step' failed; full log: $log"
	fi
	say "$step: done in $((SECONDS - t0)) s (log: $log)"
}

# boot NAME MACHINE MODE LOG [APPEND]: one scripts/run-qemu.sh boot, console
# in LOG, APPEND on the kernel command line; says how it ended and adds
# "NAME=LOG:STATUS" to the caller's specs array (tests/ktap_summary.py's
# arguments).
boot() {
	local name=$1 machine=$2 mode=$3 log=$4 append=${5:-} rc=0 t=$SECONDS
	KVM_HV_RS_CONSOLE=$log KVM_HV_RS_APPEND=$append \
		"$TOP/scripts/run-qemu.sh" "$machine" "$mode" || rc=$?
	say "$name: QEMU exit $rc after $((SECONDS - t)) s (console: $log)"
	specs+=("$name=$log:$rc")
}

# Debian's bookworm-backports as an apt source of this machine (QEMU 10
# and what building it needs), and its index fetched once.
ensure_backports() {
	local sudo= list=/etc/apt/sources.list.d/kvm-hv-rs-backports.list
	[ "$(id -u)" = 0 ] || sudo=sudo
	[ -f "$list" ] && [ -f "$CACHE/apt-backports.stamp" ] && return 0
	echo 'deb http://deb.debian.org/debian bookworm-backports main' | $sudo tee "$list" >/dev/null
	run_logged "apt-get update (backports)" "$LOGDIR/apt-update-bpo.log" $sudo apt-get update
	touch "$CACHE/apt-backports.stamp"
}

# make_cpio STAGE IMG NAME: the kernel's gen_initramfs.sh packs STAGE, plus
# a /dev/console node (an unprivileged build cannot mknod), into IMG, root
# owned. Needs the kernel build's usr/gen_init_cpio.
make_cpio() {
	local stage=$1 img=$2 name=$3
	printf 'nod /dev/console 0600 0 0 c 5 1\n' >"$img.extra"
	(cd "$OBJ" && "$SRC/usr/gen_initramfs.sh" -o "$img" -u squash -g squash \
		"$stage" "$img.extra") >"$LOGDIR/$name.log" 2>&1 ||
		die "step '$name' failed; log: $LOGDIR/$name.log"
}

# A private apt configuration for fetching packages from suites or
# architectures this machine is not set up for, without touching its
# /etc/apt: apt_private NAME "SOURCES LINE" [extra apt options...] -- ARGS
apt_private() {
	local name=$1 line=$2; shift 2
	local d=$CACHE/apt/$name
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "$line" >"$d/sources.list"
	local opts=(-o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache"
		-o Debug::NoLocking=1)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	apt-get "${opts[@]}" "$@"
}

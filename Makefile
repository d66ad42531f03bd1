# SPDX-License-Identifier: GPL-2.0
#
# The user-facing commands. (kbuild reads Kbuild, not this file.)
#
#   make run     install what is missing, build Linux 7.3 with kvm_hv_rs in
#                tree, boot an emulated POWER9 host, run a guest through it
#   make check   every test: lints, host unit tests, and the QEMU matrix
#                (powernv8, powernv9, powernv9 disable_radix, powernv10)
#                with kvm-hv and kvm_hv_rs; ends with "N passed, N failed"
#   make bench   kvm-hv vs kvm_hv_rs in emulated instructions (-icount);
#                writes Documentation/bench-results.txt
#   make vmm     Debian's QEMU boots Linux guests inside each emulated host,
#                through kvm-hv and kvm_hv_rs; writes
#                Documentation/vmm-results.txt
#   make fuzz    the differential fuzzer, long: SEED=S CASES=N, or
#                SEED=S CASE=K to replay one case under both modules
#   make soak    the debug kernel with 1000 VM lives per MMU and module
#                and 100 reloads of kvm_hv_rs, then kmemleak
#
# Downloads and builds live in $KVM_HV_RS_CACHE (default ~/.cache/kvm_hv_rs).

.PHONY: run check bench vmm fuzz soak deps kernel initramfs host-test clean-cache

run:
	@scripts/run.sh

check:
	@scripts/check.sh

bench:
	@scripts/bench.sh

vmm:
	@scripts/vmm.sh

soak:
	@scripts/soak.sh

fuzz:
	@KVM_HV_RS_FUZZ_SEED=$(SEED) KVM_HV_RS_FUZZ_CASES=$(CASES) KVM_HV_RS_FUZZ_CASE=$(CASE) \
		scripts/fuzz.sh

deps:
	@scripts/setup-deps.sh

kernel: deps
	@scripts/build-kernel.sh

initramfs: kernel
	@scripts/build-initramfs.sh

host-test:
	@cargo test --manifest-path tests/host/Cargo.toml

clean-cache:
	rm -rf "$${KVM_HV_RS_CACHE:-$$HOME/.cache/kvm_hv_rs}"

// SPDX-License-Identifier: GPL-2.0

//! The C compiled into this module (`c/`, `asm/`): kvm-hv's sources, and
//! the functions `c/book3s_hv.c` and `c/book3s_64_mmu_hv.c` add to give
//! Rust linkage to the steps it calls.
//!
//! These are module-local symbols, not part of the kernel's bindings, so
//! they are declared here, as `c/kvm_hv_rs.h` declares them for C. Each
//! function's contract is the C function's; callers state in their
//! `// SAFETY:` comments why it holds.

#[cfg(CONFIG_KVM_BOOK3S_HV_P9_TIMING)]
use kernel::bindings::kvmhv_tb_accumulator;
use kernel::bindings::{file, hv_guest_state, kvm, kvm_vcpu, kvmppc_ops, kvmppc_vcore};
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};

/// Storage for kvm-hv's `struct p9_host_os_sprs` (the host SPRs a nested
/// v1 entry saves and restores), whose layout is in kvm-hv's private
/// header: C checks at build time that it fits
/// (`KVMHV_RS_HOST_SPRS_WORDS`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct HostSprs([u64; 16]);

/// An HPTE for [`kvmhv_enter_hptes`]: its index in the HPT and its words
/// (`struct kvmhv_hpte`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Hpte {
    pub(crate) index: c_ulong,
    pub(crate) v: c_ulong,
    pub(crate) r: c_ulong,
}

// The bindings' types are `#[repr(C)]` as bindgen generates them; the lint
// trips over their zero-sized members (lock classes, empty structs), as
// the `bindings` crate itself allows.
#[allow(improper_ctypes)]
extern "C" {
    /// kvm-hv's ops table, `kvm_ops_hv`, as book3s_hv.c fills it in (its
    /// `owner` unset: this module never registers it). Static in C.
    pub(crate) fn kvmhv_rs_c_ops() -> *mut kvmppc_ops;
    pub(crate) fn kvmhv_rs_arch_vm_ioctl(filp: *mut file, ioctl: c_uint, arg: c_ulong) -> c_int;

    pub(crate) fn kvmhv_rs_setup() -> c_int;
    pub(crate) fn kvmhv_rs_teardown();

    pub(crate) fn kvmhv_rs_enter_hptes(
        kvm: *mut kvm,
        hptes: *const Hpte,
        n: c_ulong,
        failed: *mut c_ulong,
    ) -> c_long;

    pub(crate) fn kvmhv_rs_vcpu_get_msr(vcpu: *mut kvm_vcpu) -> u64;
    pub(crate) fn kvmhv_rs_vcpu_get_hfscr(vcpu: *mut kvm_vcpu) -> u64;
    pub(crate) fn kvmhv_rs_vcpu_set_msr(vcpu: *mut kvm_vcpu, msr: u64);
    pub(crate) fn kvmhv_rs_vcpu_get_pc(vcpu: *mut kvm_vcpu) -> c_ulong;
    pub(crate) fn kvmhv_rs_vcpu_set_pc(vcpu: *mut kvm_vcpu, pc: c_ulong);
    pub(crate) fn kvmhv_rs_vcpu_set_srr0(vcpu: *mut kvm_vcpu, srr0: u64);
    pub(crate) fn kvmhv_rs_vcpu_set_srr1(vcpu: *mut kvm_vcpu, srr1: u64);
    pub(crate) fn kvmhv_rs_update_vpas(vcpu: *mut kvm_vcpu);
    pub(crate) fn kvmhv_rs_p9_disable_preemption_and_irqs(
        vcpu: *mut kvm_vcpu,
        flags: *mut c_ulong,
    ) -> c_int;
    pub(crate) fn kvmhv_rs_p9_claim_cpu(vcpu: *mut kvm_vcpu, pcpu: c_int);
    pub(crate) fn kvmhv_rs_p9_update_vpa_dispatch(vcpu: *mut kvm_vcpu, tb: u64);
    pub(crate) fn kvmhv_rs_p9_guest_state_enter(vcpu: *mut kvm_vcpu) -> c_int;
    pub(crate) fn kvmhv_rs_p9_leave_guest(
        vcpu: *mut kvm_vcpu,
        srcu_idx: c_int,
        trap: c_int,
        flags: c_ulong,
    );
    pub(crate) fn kvmhv_rs_nestedv1_prepare(
        vcpu: *mut kvm_vcpu,
        host: *mut HostSprs,
        host_psscr: *mut c_ulong,
    ) -> bool;
    pub(crate) fn kvmhv_rs_nestedv1_run(
        vcpu: *mut kvm_vcpu,
        hr: *mut hv_guest_state,
        host: *mut HostSprs,
        tb: u64,
    ) -> c_long;
    pub(crate) fn kvmhv_rs_nestedv1_finish(
        vcpu: *mut kvm_vcpu,
        host: *mut HostSprs,
        host_psscr: c_ulong,
        lpcr: c_ulong,
        tb: *mut u64,
    );
    pub(crate) fn kvmhv_rs_nestedv1_check_image(
        vcpu: *mut kvm_vcpu,
        hr: *const hv_guest_state,
    ) -> c_long;
    pub(crate) fn kvmhv_rs_nestedv1_check_return(
        vcpu: *mut kvm_vcpu,
        hr: *const hv_guest_state,
        doorbell: u8,
    ) -> c_long;
    pub(crate) fn kvmhv_rs_nestedv2_hard_disable(vcpu: *mut kvm_vcpu) -> bool;
    pub(crate) fn kvmhv_rs_nestedv2_run(
        vcpu: *mut kvm_vcpu,
        trap: *mut c_int,
        elem: *mut c_ulong,
    ) -> c_long;
    pub(crate) fn kvmhv_rs_nestedv2_check_fill(
        vcpu: *mut kvm_vcpu,
        wide: bool,
        time_limit: u64,
        lpcr: c_ulong,
        buf: *const u8,
        len: usize,
    ) -> c_long;
    pub(crate) fn kvmhv_rs_nestedv2_check_output(vcpu: *mut kvm_vcpu) -> c_long;
    /// Makes the nested-v2 check's scratch space, one per CPU: 0 or
    /// `-ENOMEM`. Process context; once, before the check is switched on.
    pub(crate) fn kvmhv_rs_nested_check_init() -> c_int;
    /// Frees it; no check may run any more.
    pub(crate) fn kvmhv_rs_nested_check_exit();
    pub(crate) fn kvmhv_rs_nestedv2_default_compat() -> u32;
    pub(crate) fn kvmhv_rs_nestedv2_after_exit(vcpu: *mut kvm_vcpu, tb: u64);
    pub(crate) fn kvmhv_rs_p9_vcpu_entry(
        vcpu: *mut kvm_vcpu,
        time_limit: u64,
        lpcr: c_ulong,
        tb: *mut u64,
    ) -> c_int;
    pub(crate) fn kvmhv_rs_cede(vcpu: *mut kvm_vcpu);
    pub(crate) fn kvmhv_rs_p9_handle_exit(vcpu: *mut kvm_vcpu) -> c_int;
    pub(crate) fn kvmhv_rs_vcpu_check_block(vcpu: *mut kvm_vcpu) -> bool;

    pub(crate) fn kvmhv_rs_p8_vcore_stolen_time(vc: *mut kvmppc_vcore) -> u64;
    pub(crate) fn kvmhv_rs_p8_remove_runnable(vc: *mut kvmppc_vcore, vcpu: *mut kvm_vcpu);
    pub(crate) fn kvmhv_rs_p8_vcore_preempt(vc: *mut kvmppc_vcore);
    pub(crate) fn kvmhv_rs_p8_vcore_end_preempt(vc: *mut kvmppc_vcore);
    pub(crate) fn kvmhv_rs_p8_vcpu_woken(vcpu: *mut kvm_vcpu) -> bool;
    pub(crate) fn kvmhv_rs_p8_on_primary_thread() -> bool;
    pub(crate) fn kvmhv_rs_p8_disable_irqs() -> bool;
    pub(crate) fn kvmhv_rs_p8_prepare_core(vc: *mut kvmppc_vcore, n: c_int);
    pub(crate) fn kvmhv_rs_p8_start_thread(vcpu: *mut kvm_vcpu, vc: *mut kvmppc_vcore);
    pub(crate) fn kvmhv_rs_p8_update_vpa_dispatch(vcpu: *mut kvm_vcpu, vc: *mut kvmppc_vcore);
    pub(crate) fn kvmhv_rs_p8_vcore_entry(vc: *mut kvmppc_vcore) -> c_int;
    pub(crate) fn kvmhv_rs_p8_exit_core(n_threads: c_int);
    pub(crate) fn kvmhv_rs_p8_core_end(vc: *mut kvmppc_vcore);
    pub(crate) fn kvmhv_rs_p8_handle_exit(vcpu: *mut kvm_vcpu) -> c_int;
}

// Built in (book3s_hv_p9_entry.c) and exported to KVM's modules, but
// declared in kvm-hv's private book3s_hv.h, which the bindings do not see.
#[cfg(CONFIG_KVM_BOOK3S_HV_P9_TIMING)]
#[allow(improper_ctypes)]
extern "C" {
    pub(crate) fn accumulate_time(vcpu: *mut kvm_vcpu, next: *mut kvmhv_tb_accumulator);
}

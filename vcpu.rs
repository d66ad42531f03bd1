// SPDX-License-Identifier: GPL-2.0

//! The vcpu run path.
//!
//! [`run`] decides what `KVM_RUN` does, [`single`] what one guest entry on
//! POWER9 and later does, [`vcore`] what the vcpus of a POWER8 virtual core
//! do to enter the guest together, and [`interrupt`] which interrupts the
//! guest gets and how, in safe Rust that the host tests also build. `hv`
//! carries them out on a kernel vcpu, `single_hv` the POWER9 entry and
//! `vcore_hv` the POWER8 vcore run: the only places in this path that touch
//! C structures. This file chooses the CPU generation's entry once, at
//! init, and holds the two ops of the path, which make the [`Hv`] of a
//! vcpu. `hv` knows neither entry: both depend on it, not it on them.

// The whole format, tested on the host against kvm-hv's C; the nested-v2
// entry uses part of it so far.
#[allow(dead_code)]
mod gsb;
mod hv;
pub(crate) mod interrupt;
mod nestedv1_hv;
mod nestedv2_hv;
pub(crate) mod run;
pub(crate) mod single;
mod single_hv;
pub(crate) mod vcore;
mod vcore_hv;

use crate::{c, host};
use hv::{GuestEntry, Hv};
use kernel::{bindings, error::to_result, ffi::c_int, prelude::*, sync::SetOnce};

/// The guest entry of the host's CPU generation, chosen once by [`init`].
static ENTRY: SetOnce<&'static dyn GuestEntry> = SetOnce::new();

/// Chooses the guest entry for the host's CPUs: the single-vcpu entry of
/// POWER9 and later (ISA v3.0), or POWER8's vcore run. Called by module
/// init, after `host::init`, before the ops table is registered.
pub(crate) fn init() {
    let entry: &'static dyn GuestEntry = if host::cpu_has(bindings::CPU_FTR_ARCH_300) {
        &single_hv::P9
    } else {
        &vcore_hv::P8
    };
    ENTRY.populate(entry);
}

fn entry() -> &'static dyn GuestEntry {
    // `init` ran before any VM could exist; POWER9's entry is C's default.
    ENTRY.copy().unwrap_or(&single_hv::P9)
}

/// `kvmppc_ops::vcpu_run`: `KVM_RUN` on a vcpu of an HV VM.
///
/// It has kvm-hv's name: c/book3s_hv.c builds kvm-hv's ops table with this
/// function in the member where kvm-hv has its own, which is therefore not
/// compiled into the module.
///
/// # Safety
///
/// `vcpu` must be a live vcpu of a VM created through this module's ops
/// table, and the caller must hold `vcpu->mutex`: kvm.ko's
/// `kvmppc_vcpu_run` satisfies both.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvmppc_vcpu_run_hv(vcpu: *mut bindings::kvm_vcpu) -> c_int {
    // SAFETY: `vcpu` is valid and its fields this thread's (this
    // function's safety contract); `current` is this thread's live task.
    // C sets `run_task` at each guest entry, to the same task.
    unsafe { (*vcpu).arch.run_task = kernel::task::Task::current_raw() };
    // SAFETY: by this function's safety contract, and `run_task` was just
    // set.
    let mut hv = unsafe { Hv::from_raw(vcpu, entry()) };
    match run::vcpu_run(&mut hv) {
        Ok(r) => r,
        Err(refusal) => hv.refuse(refusal),
    }
}

/// `kvmppc_ops::inject_interrupt`: delivers an interrupt to a vcpu of an HV
/// VM now. book3s.c's `kvmppc_core_queue_*` and its delivery of queued
/// interrupts call it through the VM's ops table.
///
/// # Safety
///
/// `vcpu` must be a live vcpu of a VM created through this module's ops
/// table, not running in the guest, and the caller must hold
/// `vcpu->mutex`: its callers run inside `KVM_RUN`, in the exit handlers
/// and before guest entry.
pub(crate) unsafe extern "C" fn inject_interrupt(
    vcpu: *mut bindings::kvm_vcpu,
    vec: c_int,
    srr1_flags: u64,
) {
    // SAFETY: by this function's safety contract; the entry is not used.
    let mut hv = unsafe { Hv::from_raw(vcpu, entry()) };
    // Vectors are the small non-negative BOOK3S_INTERRUPT_* constants.
    hv.inject(vec as u32, srr1_flags);
}

/// The pseries entries' comparison with kvm-hv's C (module parameter
/// `nested_check`), switched on for as long as the value lives.
///
/// # Invariants
///
/// If `on`, the C check's per-CPU scratch space exists, and outlives every
/// check.
pub(crate) struct NestedCheck {
    on: bool,
}

impl NestedCheck {
    /// Switches the check on if `on`, first making the scratch space the
    /// v2 comparison uses inside the entry (on any host: which API the host
    /// has is known only after kvm-hv's set-up, and the module's init calls
    /// this before it, so that it does not fail once VMs may exist).
    pub(crate) fn new(on: bool) -> Result<Self> {
        if on {
            // SAFETY: module init, once, before the check is switched on.
            to_result(unsafe { c::kvmhv_rs_nested_check_init() })?;
            nestedv2_hv::CHECK.store(true, core::sync::atomic::Ordering::Relaxed);
        }
        // INVARIANT: the space exists if `on`.
        Ok(NestedCheck { on })
    }
}

impl Drop for NestedCheck {
    fn drop(&mut self) {
        if self.on {
            nestedv2_hv::CHECK.store(false, core::sync::atomic::Ordering::Relaxed);
            // SAFETY: module exit: every VM, so every entry, is gone (each
            // holds a reference on the module), and the check is off.
            unsafe { c::kvmhv_rs_nested_check_exit() };
        }
    }
}

/// debugfs `kvm_hv_rs/nested_check`.
pub(crate) fn describe_nested_check(d: &(), f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    nestedv2_hv::describe_check(d, f)
}

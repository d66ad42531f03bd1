// SPDX-License-Identifier: GPL-2.0

//! The `struct kvmppc_ops` this module registers with kvm.ko as the HV
//! implementation.
//!
//! Every access to the C globals of the ops table is here. The table is
//! kvm-hv's, as book3s_hv.c (compiled into this module) fills it in, with
//! the members implemented in Rust replaced.

use crate::{c, compat, host};
use core::ptr;
use kernel::{
    bindings,
    error::to_result,
    ffi::c_int,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    types::Opaque,
};

/// The table registered while the module is loaded.
///
/// Static, like kvm-hv's own `kvm_ops_hv`: kvm.ko reads `kvmppc_hv_ops`
/// without a lock when it creates a VM, so the table must stay valid for as
/// long as the module's memory does.
struct Table(Opaque<bindings::kvmppc_ops>);

// SAFETY: `Registered::new` writes the table once, before it is registered
// and while nothing else can reach it; after that it is only read.
unsafe impl Sync for Table {}

static RUST_OPS: Table = Table(Opaque::uninit());

/// kvm-hv's table as c/book3s_hv.c builds it in this module (with Rust's
/// `vcpu_run`); never registered itself.
fn c_table() -> *mut bindings::kvmppc_ops {
    // SAFETY: returns the address of a static, nothing else.
    unsafe { c::kvmhv_rs_c_ops() }
}

/// The table kvm.ko uses for new HV VMs.
fn published() -> *mut bindings::kvmppc_ops {
    // SAFETY: `kvmppc_hv_ops` is a pointer-sized global of kvm.ko, aligned
    // and live while kvm.ko is (this module depends on it); it is written
    // with WRITE_ONCE under the registration lock, so this READ_ONCE races
    // with no plain write.
    unsafe { Atomic::from_ptr(&raw mut bindings::kvmppc_hv_ops) }.load(Relaxed)
}

/// Writes, for each op this module implements, whether the registered
/// table holds the Rust function (debugfs `kvm_hv_rs/ops`).
pub(crate) fn describe(_: &Registered, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
    let ours = RUST_OPS.0.get();
    writeln!(
        f,
        "kvmppc_hv_ops: {}",
        if published() == ours {
            "kvm_hv_rs"
        } else {
            "other"
        }
    )?;
    // SAFETY: `ours` is initialised while a `Registered` exists, and only
    // read.
    let table = unsafe { &*ours };
    let ops = [
        (
            "vcpu_run",
            table.vcpu_run.map(|f| f as usize),
            crate::vcpu::kvmppc_vcpu_run_hv as *const () as usize,
        ),
        (
            "inject_interrupt",
            table.inject_interrupt.map(|f| f as usize),
            crate::vcpu::inject_interrupt as *const () as usize,
        ),
        (
            "arch_vm_ioctl",
            table.arch_vm_ioctl.map(|f| f as usize),
            crate::vm::arch_vm_ioctl as *const () as usize,
        ),
        (
            "get_compat_caps",
            table.get_compat_caps.map(|f| f as usize),
            get_compat_caps as *const () as usize,
        ),
    ];
    for (name, installed, rust) in ops {
        writeln!(
            f,
            "{name}: {}",
            if installed == Some(rust) { "rust" } else { "c" }
        )?;
    }
    Ok(())
}

/// This module's table is registered as the HV implementation.
///
/// # Invariants
///
/// While a value of this type exists, `RUST_OPS` is initialised and
/// registered, and kvm-hv's global state is set up. Dropping it unregisters
/// the table and tears the state down.
pub(crate) struct Registered(());

impl Registered {
    /// Checks that no other module provides HV KVM, does kvm-hv's host
    /// checks and set-up, fills in the table (kvm-hv's, with `module` its
    /// owner, so that every VM created through it holds a reference on this
    /// module, and the Rust implementations in) and registers it.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `module` is this module, live while its init runs.
        to_result(unsafe { bindings::kvmppc_hv_ops_check(module.as_ptr()) })?;
        // SAFETY: module init runs once; teardown below or in `drop`.
        to_result(unsafe { c::kvmhv_rs_setup() })?;
        // The set-up chose the nested API (on a pseries host).
        host::read_nested_api();

        let ours = RUST_OPS.0.get();
        // SAFETY: `ours` is not registered yet and module init runs once, so
        // nothing else accesses it; kvm-hv's table is initialised (the
        // set-up above has added its IRQ bypass members where they apply).
        // Its `vcpu_run` is already Rust's (c/book3s_hv.c).
        unsafe {
            ptr::copy_nonoverlapping(c_table(), ours, 1);
            (*ours).owner = module.as_ptr();
            (*ours).inject_interrupt = Some(crate::vcpu::inject_interrupt);
            (*ours).arch_vm_ioctl = Some(crate::vm::arch_vm_ioctl);
            (*ours).get_compat_caps = Some(get_compat_caps);
        }
        // SAFETY: `ours` is a complete table that lives as long as the
        // module; kvm.ko checks again that no other table is registered.
        if let Err(e) = to_result(unsafe { bindings::kvmppc_hv_ops_register(ours) }) {
            // SAFETY: set up above, and not registered.
            unsafe { c::kvmhv_rs_teardown() };
            return Err(e);
        }
        // INVARIANT: `RUST_OPS` was initialised and registered above.
        Ok(Registered(()))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // Every VM created through `RUST_OPS` holds a reference on this
        // module, so this runs only after the last of them is destroyed.
        // SAFETY: `RUST_OPS` is registered (type invariant); after this no
        // new VM can reach it, and none exists, so the state can go.
        unsafe {
            bindings::kvmppc_hv_ops_unregister(RUST_OPS.0.get());
            c::kvmhv_rs_teardown();
        }
    }
}

// The capability bits and levels compat.rs decides with are the kernel's.
const _: () = {
    assert!(compat::CAP_POWER9 == bindings::KVM_PPC_COMPAT_CAP_POWER9);
    assert!(compat::CAP_POWER10 == bindings::KVM_PPC_COMPAT_CAP_POWER10);
    assert!(compat::CAP_POWER11 == bindings::KVM_PPC_COMPAT_CAP_POWER11);
    assert!(compat::CAP_MASK == bindings::KVM_PPC_COMPAT_BITMASK);
    assert!(compat::CAP_POWER9 == bindings::H_GUEST_CAP_POWER9);
    assert!(compat::CAP_POWER10 == bindings::H_GUEST_CAP_POWER10);
    assert!(compat::CAP_POWER11 == bindings::H_GUEST_CAP_POWER11);
    assert!(compat::PVR_ARCH_300 == bindings::PVR_ARCH_300);
    assert!(compat::PVR_ARCH_31 == bindings::PVR_ARCH_31);
    assert!(compat::PVR_ARCH_31_P11 == bindings::PVR_ARCH_31_P11);
};

/// `kvmppc_ops::get_compat_caps`, for `KVM_PPC_GET_COMPAT_CAPS` (compat.rs
/// decides): fills in `host_caps->compat_capabilities`, or returns the
/// negative errno.
///
/// kvm-hv's C warns once if its v2 hypervisor allowed no mode, which its
/// set-up accepts; userspace is told "none" here as there, without a
/// warning a hypervisor could raise.
///
/// # Safety
///
/// `host_caps` is valid for writes, as kvm.ko's ioctl passes it.
unsafe extern "C" fn get_compat_caps(host_caps: *mut bindings::kvm_ppc_compat_caps) -> c_int {
    let kind = if !host::on_pseries() {
        compat::Host::PowerNv
    } else if host::nestedv2() {
        compat::Host::NestedV2
    } else {
        compat::Host::NestedV1
    };
    // SAFETY: kvm-hv's set-up, in this module's init before the table was
    // registered, wrote `nested_capabilities` for the last time; it is only
    // read after.
    let l0_caps = || unsafe { ptr::read(&raw const bindings::nested_capabilities) } as u64;
    match compat::capabilities(kind, l0_caps, host::cpu_version) {
        Ok(caps) => {
            // SAFETY: `host_caps` is valid for writes (the caller's).
            unsafe { (*host_caps).compat_capabilities = caps };
            0
        }
        Err(e) => e.to_ret(),
    }
}

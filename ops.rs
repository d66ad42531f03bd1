// SPDX-License-Identifier: GPL-2.0

//! The `struct kvmppc_ops` this module publishes as `kvmppc_hv_ops`.
//!
//! This is the boundary with kvm.ko and kvm-hv.ko for the ops table: every
//! access to the C globals is here. Whether to take the table over is
//! decided in [`crate::takeover`].

use crate::takeover::{self, Published, Refusal};
use core::ptr;
use kernel::{
    bindings,
    ffi::{c_int, c_uint, c_ulong},
    prelude::*,
    types::Opaque,
};

/// The table published while the module is loaded.
///
/// Static, like kvm-hv's own `kvm_ops_hv`: kvm.ko reads `kvmppc_hv_ops`
/// without a lock when it creates a VM, so the table must stay valid for as
/// long as the module's memory does.
struct Table(Opaque<bindings::kvmppc_ops>);

// SAFETY: `Installed::new` writes the table once, before it is published and
// while nothing else can reach it; after that it is only read.
unsafe impl Sync for Table {}

static RUST_OPS: Table = Table(Opaque::uninit());

/// kvm-hv's own table.
fn c_table() -> *mut bindings::kvmppc_ops {
    &raw mut bindings::kvm_ops_hv
}

/// kvm-hv's `arch_vm_ioctl`, for the VM ioctls this module leaves to C.
///
/// # Safety
///
/// As for `kvmppc_ops::arch_vm_ioctl`: `filp` is the open file of an HV VM.
pub(crate) unsafe fn kvm_hv_arch_vm_ioctl(
    filp: *mut bindings::file,
    ioctl: c_uint,
    arg: c_ulong,
) -> c_int {
    // SAFETY: kvm-hv's table is live (this module depends on kvm-hv), and it
    // always has this member.
    match unsafe { (*c_table()).arch_vm_ioctl } {
        // SAFETY: per this function's contract.
        Some(f) => unsafe { f(filp, ioctl, arg) },
        None => ENOTTY.to_errno(),
    }
}

/// The table kvm.ko currently uses for new HV VMs.
fn published() -> *mut bindings::kvmppc_ops {
    // SAFETY: `kvmppc_hv_ops` is a pointer-sized global of kvm.ko, written
    // only by module init and exit; an aligned volatile load cannot tear.
    unsafe { ptr::read_volatile(&raw const bindings::kvmppc_hv_ops) }
}

fn publish(table: *mut bindings::kvmppc_ops) {
    // SAFETY: as in `published`; readers load the pointer once per VM creation
    // and see either the old or the new table, both valid.
    unsafe { ptr::write_volatile(&raw mut bindings::kvmppc_hv_ops, table) }
}

/// References held on kvm-hv, by VMs created through its table and by this
/// module's dependency on it.
fn kvm_hv_refcount() -> i32 {
    // SAFETY: `owner` was set by kvm-hv's init, which ran before the module
    // loader resolved this module's reference to `kvm_ops_hv`; that
    // reference also keeps kvm-hv, and so its `struct module`, alive.
    unsafe { bindings::module_refcount((*c_table()).owner) }
}

// The kernel's `pr_*!` format through `kernel::fmt::Display`; the message
// itself is `core`'s, so that the host tests see the same text.
impl kernel::fmt::Display for Refusal {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

fn refuse(refusal: Refusal) -> Error {
    pr_err!("not loading: {}\n", refusal);
    match refusal {
        Refusal::NotPublished => ENODEV,
        Refusal::Replaced | Refusal::CVmsExist { .. } => EBUSY,
    }
}

/// Writes, for each op this module can implement, whether the table
/// published as `kvmppc_hv_ops` holds the Rust or kvm-hv's C function, as
/// found now (debugfs `kvm_hv_rs/ops`).
pub(crate) fn describe(_: &Installed, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
    let table = published();
    let c = c_table();
    writeln!(
        f,
        "kvmppc_hv_ops: {}",
        if table == RUST_OPS.0.get() {
            "kvm_hv_rs"
        } else {
            "other"
        }
    )?;
    // SAFETY: `table` is a live ops table (ours, initialised while an
    // `Installed` exists, or another module's that it keeps alive), and `c` is
    // kvm-hv's; both are only read.
    let (table, c) = unsafe { (&*table, &*c) };
    let ops = [
        (
            "vcpu_run",
            table.vcpu_run.map(|f| f as usize),
            c.vcpu_run.map(|f| f as usize),
        ),
        (
            "inject_interrupt",
            table.inject_interrupt.map(|f| f as usize),
            c.inject_interrupt.map(|f| f as usize),
        ),
        (
            "arch_vm_ioctl",
            table.arch_vm_ioctl.map(|f| f as usize),
            c.arch_vm_ioctl.map(|f| f as usize),
        ),
    ];
    for (name, installed, kvm_hv) in ops {
        writeln!(
            f,
            "{name}: {}",
            if installed == kvm_hv { "c" } else { "rust" }
        )?;
    }
    Ok(())
}

/// This module's table is published as `kvmppc_hv_ops`.
///
/// # Invariants
///
/// While a value of this type exists, `RUST_OPS` is initialised and
/// published. Dropping it publishes kvm-hv's table again.
pub(crate) struct Installed(());

impl Installed {
    /// Copies kvm-hv's table, makes `module` its owner (so that every VM
    /// created through it holds a reference on this module), puts the Rust
    /// implementations in, and publishes it.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let c = c_table();
        let now = match published() {
            p if p.is_null() => Published::Nothing,
            p if p == c => Published::KvmHv,
            _ => Published::Other,
        };
        takeover::check(now, kvm_hv_refcount()).map_err(refuse)?;

        let ours = RUST_OPS.0.get();
        // SAFETY: `ours` is not published yet (`kvmppc_hv_ops` is kvm-hv's
        // table, checked above), and module init runs once, so nothing else
        // accesses it; `c` is kvm-hv's initialised, live table.
        unsafe {
            ptr::copy_nonoverlapping(c, ours, 1);
            (*ours).owner = module.as_ptr();
            (*ours).vcpu_run = Some(crate::vcpu::vcpu_run);
            (*ours).inject_interrupt = Some(crate::vcpu::inject_interrupt);
            (*ours).arch_vm_ioctl = Some(crate::vm::arch_vm_ioctl);
        }
        publish(ours);

        // A VM whose creation read kvm-hv's table before the publish holds a
        // reference on kvm-hv once it is created: look again, and give the
        // table back if one slipped in.
        if let Err(refusal) = takeover::check(Published::KvmHv, kvm_hv_refcount()) {
            publish(c);
            return Err(refuse(refusal));
        }
        // INVARIANT: `RUST_OPS` was initialised and published above.
        Ok(Installed(()))
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        // Every VM created through `RUST_OPS` holds a reference on this
        // module, so this runs only after the last of them is destroyed.
        publish(c_table());
    }
}

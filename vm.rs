// SPDX-License-Identifier: GPL-2.0

//! VM ioctls: `kvmppc_ops::arch_vm_ioctl`.
//!
//! The ones implemented in Rust are handled here; every other goes to
//! kvm-hv's `kvm_arch_vm_ioctl_hv`.

use crate::{c, hpt};
use kernel::{
    bindings,
    ffi::{c_int, c_uint, c_ulong},
    ioctl::_IOWR,
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

/// `KVM_PPC_ALLOCATE_HTAB`: `_IOWR(KVMIO, 0xa7, __u32)`.
const KVM_PPC_ALLOCATE_HTAB: u32 = _IOWR::<u32>(bindings::KVMIO, 0xa7);

/// `KVM_PPC_ALLOCATE_HTAB` on `kvm`, with the order at user address `arg`.
///
/// # Safety
///
/// `kvm` is a live VM created through this module's table.
unsafe fn allocate_htab(kvm: *mut bindings::kvm, arg: c_ulong) -> Result {
    if crate::host::on_pseries() {
        // A nested hypervisor supports only radix guests.
        return Err(EOPNOTSUPP);
    }
    let order: u32 = UserSlice::new(UserPtr::from_addr(arg), 4).reader().read()?;
    // SAFETY: per the function's contract.
    unsafe { hpt::alloc_reset_hpt(kvm, order) }
}

/// `kvmppc_ops::arch_vm_ioctl`.
///
/// # Safety
///
/// `filp` is the open file of a VM created through this module's table, as
/// kvm.ko's `kvm_arch_vm_ioctl` passes it.
pub(crate) unsafe extern "C" fn arch_vm_ioctl(
    filp: *mut bindings::file,
    ioctl: c_uint,
    arg: c_ulong,
) -> c_int {
    if ioctl == KVM_PPC_ALLOCATE_HTAB {
        // SAFETY: a VM's file holds its `struct kvm` as private data.
        let kvm = unsafe { (*filp).private_data }.cast::<bindings::kvm>();
        // SAFETY: `kvm` is the VM of the file, which the ioctl keeps open.
        return match unsafe { allocate_htab(kvm, arg) } {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
    }
    // SAFETY: per this function's contract, which is kvm-hv's own.
    unsafe { c::kvmhv_rs_arch_vm_ioctl(filp, ioctl, arg) }
}

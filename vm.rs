// SPDX-License-Identifier: GPL-2.0

//! The VM boundary ([`Vm`]) and the VM ioctls: `kvmppc_ops::arch_vm_ioctl`.
//!
//! The ones implemented in Rust are handled here; every other goes to
//! kvm-hv's `kvm_arch_vm_ioctl_hv`.

use crate::c;
use core::ptr::NonNull;
use kernel::{
    bindings,
    ffi::{c_int, c_uint, c_ulong},
    ioctl::_IOWR,
    mm::MmWithUser,
    prelude::*,
    sync::Srcu,
    uaccess::{UserPtr, UserSlice},
};

/// A VM of this module: the boundary of the `struct kvm` (its MMU set-up
/// is in hpt/hv.rs).
///
/// # Invariants
///
/// `kvm` is a live `struct kvm` created through this module's ops table for
/// as long as the value exists, and its `mm` is the mm of the thread that
/// holds the value (kvm.ko's VM and vcpu ioctls refuse any other). The
/// value is neither `Send` nor `Sync`: it stays on that thread.
pub(crate) struct Vm(NonNull<bindings::kvm>);

impl Vm {
    /// Wraps `kvm`.
    ///
    /// # Safety
    ///
    /// `kvm` is a live VM created through this module's ops table, live
    /// while the value exists, and the calling thread is in one of its VM or
    /// vcpu ioctls (so `kvm->mm` is its mm).
    pub(crate) unsafe fn from_raw(kvm: *mut bindings::kvm) -> Self {
        // SAFETY: a live VM is not NULL (the caller's guarantee).
        // INVARIANT: the caller's guarantee.
        Vm(unsafe { NonNull::new_unchecked(kvm) })
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::kvm {
        self.0.as_ptr()
    }

    /// The VM's SRCU, which protects its memory slots.
    pub(crate) fn srcu(&self) -> &Srcu {
        // SAFETY: `Srcu` is a transparent wrapper of `struct srcu_struct`;
        // `kvm->srcu` is initialised when the VM is created and cleaned up
        // when it is destroyed, after `self` (type invariant), and a
        // reference never drops it.
        unsafe { &*(&raw const (*self.as_ptr()).srcu).cast::<Srcu>() }
    }

    /// The page size of the memory at `hva` in the VM's address space, as
    /// `vma_kernel_pagesize` gives it.
    pub(crate) fn backing_page_size(&self, hva: usize) -> Result<usize> {
        // Not `current!().mm()`: on powerpc, 7.3's bindings place
        // `task_struct::mm` elsewhere than C does (see Documentation/design.rst).
        //
        // SAFETY: `kvm->mm` is the calling thread's mm (type invariant), so
        // `mm_users` is non-zero while it runs.
        let mm = unsafe { MmWithUser::from_raw((*self.as_ptr()).mm) };
        let guard = mm.mmap_read_lock();
        let vma = guard.vma_lookup(hva).ok_or(EINVAL)?;
        if vma.flags() & bindings::VM_IO != 0 {
            return Err(EINVAL);
        }
        // SAFETY: `vma` is a live VMA of `mm`, whose mmap lock is held.
        Ok(unsafe { bindings::vma_kernel_pagesize(vma.as_ptr()) })
    }
}

/// `KVM_PPC_ALLOCATE_HTAB`: `_IOWR(KVMIO, 0xa7, __u32)`.
const KVM_PPC_ALLOCATE_HTAB: u32 = _IOWR::<u32>(bindings::KVMIO, 0xa7);

/// `KVM_PPC_ALLOCATE_HTAB` on `vm`, with the order at user address `arg`.
fn allocate_htab(vm: &Vm, arg: c_ulong) -> Result {
    if crate::host::on_pseries() {
        // A nested hypervisor supports only radix guests.
        return Err(EOPNOTSUPP);
    }
    let order: u32 = UserSlice::new(UserPtr::from_addr(arg), 4).reader().read()?;
    vm.alloc_reset_hpt(order)
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
        // SAFETY: `kvm` is the VM of the file, which the ioctl keeps open,
        // and kvm.ko's VM ioctl runs on a thread of the VM's mm.
        let vm = unsafe { Vm::from_raw(kvm) };
        return match allocate_htab(&vm, arg) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
    }
    // SAFETY: per this function's contract, which is kvm-hv's own.
    unsafe { c::kvmhv_rs_arch_vm_ioctl(filp, ioctl, arg) }
}

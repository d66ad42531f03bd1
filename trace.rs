// SPDX-License-Identifier: GPL-2.0

//! kvm-hv's tracepoints on the run path, reached through the wrappers the
//! patch series exports.
//!
//! In a kernel without `CONFIG_TRACEPOINTS`, C's `trace_*()` calls compile
//! to nothing, and so do these: kvm_hv_rs then pays no call where kvm-hv
//! pays nothing (six calls out of the module per in-kernel hcall). With
//! tracepoints, each is a call to kvm-hv's wrapper, which tests the
//! tracepoint's key as C does.

use kernel::bindings;

/// Defines one function per wrapper, with the wrapper's arguments.
macro_rules! tracepoints {
    ($($(#[$attr:meta])* fn $name:ident => $c:ident($($arg:ident: $ty:ty),* $(,)?);)*) => {$(
        $(#[$attr])*
        ///
        /// # Safety
        ///
        /// Pointer arguments are valid, as the C wrapper requires.
        #[inline(always)]
        pub(crate) unsafe fn $name($($arg: $ty),*) {
            #[cfg(CONFIG_TRACEPOINTS)]
            // SAFETY: the caller's guarantee; a tracepoint has no other effect.
            unsafe {
                crate::c::$c($($arg),*)
            };
            #[cfg(not(CONFIG_TRACEPOINTS))]
            let _ = ($($arg,)*);
        }
    )*};
}

tracepoints! {
    /// `trace_kvmppc_run_vcpu_enter` (`exit` false) or `_exit` (true).
    fn run_vcpu => kvmhv_rs_trace_run_vcpu(vcpu: *mut bindings::kvm_vcpu, exit: bool);
    /// `trace_kvm_guest_enter` (`exit` false) or `_exit` (true).
    fn guest => kvmhv_rs_trace_guest(vcpu: *mut bindings::kvm_vcpu, exit: bool);
    /// `trace_kvm_hcall_enter`.
    fn hcall_enter => kvmhv_rs_trace_hcall_enter(vcpu: *mut bindings::kvm_vcpu);
    /// `trace_kvm_hcall_exit`.
    fn hcall_exit => kvmhv_rs_trace_hcall_exit(vcpu: *mut bindings::kvm_vcpu, ret: i32);
    /// `trace_kvmppc_vcore_blocked`: `where_` 0 before sleeping, 1 after.
    fn vcore_blocked => kvmhv_rs_trace_vcore_blocked(vcpu: *mut bindings::kvm_vcpu, where_: i32);
    /// `trace_kvmppc_run_core`: `where_` 0 before the entry, 1 after.
    fn run_core => kvmhv_rs_p8_trace_run_core(vc: *mut bindings::kvmppc_vcore, where_: i32);
    /// `trace_kvmppc_vcore_wakeup`.
    fn vcore_wakeup => kvmhv_rs_p8_trace_vcore_wakeup(slept: bool, block_ns: u64);
}

// SPDX-License-Identifier: GPL-2.0

//! kvm-hv's tracepoints on the run path (arch/powerpc/kvm/trace_hv.h).
//!
//! The events are kvm-hv's, defined in this module by c/book3s_hv.c, which
//! compiles book3s_hv.c with `CREATE_RUST_TRACE_POINTS`: for each event,
//! that also defines `rust_do_trace_<event>()`, the event's body without its
//! test of the static key. Rust tests the key itself, with the kernel
//! crate's `static_branch_unlikely!` (what `declare_trace!` does for the
//! events of bindings_helper.h, which kvm-hv's private trace header is not
//! among): a disabled tracepoint costs a patched-out branch with
//! `CONFIG_JUMP_LABEL`; without it, a read of the key's count, which from
//! Rust is a call to `rust_helper_static_key_count()`. Without
//! `CONFIG_TRACEPOINTS` these compile to nothing, as C's `trace_*()` calls
//! do.

use kernel::bindings;

/// Defines, for each event, a function that fires it, with the event's
/// `TP_PROTO` as its parameters.
macro_rules! tracepoints {
    ($($(#[$attr:meta])* fn $event:ident($($arg:ident: $ty:ty),* $(,)?);)*) => {
        $(
            $(#[$attr])*
            ///
            /// # Safety
            ///
            /// Pointer arguments are valid: the event's `TP_fast_assign`
            /// reads through them.
            #[inline(always)]
            pub(crate) unsafe fn $event($($arg: $ty),*) {
                #[cfg(CONFIG_TRACEPOINTS)]
                kernel::macros::paste! {
                    // SAFETY: `__tracepoint_<event>` is the event's
                    // `struct tracepoint`, defined in C; its `key` is a
                    // static key.
                    let on = unsafe {
                        kernel::jump_label::static_branch_unlikely!(
                            events::[<__tracepoint_ $event>],
                            bindings::tracepoint,
                            key
                        )
                    };
                    if on {
                        // SAFETY: the caller's guarantee; the tracepoint has
                        // no other effect.
                        unsafe { events::[<rust_do_trace_ $event>]($($arg),*) };
                    }
                }
                #[cfg(not(CONFIG_TRACEPOINTS))]
                let _ = ($($arg,)*);
            }
        )*

        /// The C side of the events: defined by c/book3s_hv.c.
        #[cfg(CONFIG_TRACEPOINTS)]
        #[allow(non_upper_case_globals)]
        mod events {
            use kernel::bindings;
            use kernel::ffi::c_int;

            kernel::macros::paste! {
                // The vcpu and vcore are opaque to the events' callers.
                #[allow(improper_ctypes)]
                extern "C" {
                    $(
                        pub(super) static mut [<__tracepoint_ $event>]: bindings::tracepoint;
                        pub(super) fn [<rust_do_trace_ $event>]($($arg: $ty),*);
                    )*
                }
            }
        }
    };
}

use kernel::ffi::c_int;

tracepoints! {
    /// `trace_kvmppc_run_vcpu_enter`: `KVM_RUN` starts.
    fn kvmppc_run_vcpu_enter(vcpu: *mut bindings::kvm_vcpu);
    /// `trace_kvmppc_run_vcpu_exit`: `KVM_RUN` returns.
    fn kvmppc_run_vcpu_exit(vcpu: *mut bindings::kvm_vcpu);
    /// `trace_kvm_guest_enter`.
    fn kvm_guest_enter(vcpu: *mut bindings::kvm_vcpu);
    /// `trace_kvm_guest_exit`.
    fn kvm_guest_exit(vcpu: *mut bindings::kvm_vcpu);
    /// `trace_kvm_hcall_enter`.
    fn kvm_hcall_enter(vcpu: *mut bindings::kvm_vcpu);
    /// `trace_kvm_hcall_exit`.
    fn kvm_hcall_exit(vcpu: *mut bindings::kvm_vcpu, ret: c_int);
    /// `trace_kvmppc_vcore_blocked`: `where_` 0 before sleeping, 1 after.
    fn kvmppc_vcore_blocked(vcpu: *mut bindings::kvm_vcpu, where_: c_int);
    /// `trace_kvmppc_run_core`: `where_` 0 before the entry, 1 after.
    fn kvmppc_run_core(vc: *mut bindings::kvmppc_vcore, where_: c_int);
    /// `trace_kvmppc_vcore_wakeup`: `do_sleep` whether the runner slept.
    fn kvmppc_vcore_wakeup(do_sleep: c_int, ns: u64);
}

/// `trace_kvmppc_run_vcpu_enter` (`exit` false) or `_exit` (true).
///
/// # Safety
///
/// `vcpu` is valid.
#[inline(always)]
pub(crate) unsafe fn run_vcpu(vcpu: *mut bindings::kvm_vcpu, exit: bool) {
    // SAFETY: the caller's guarantee.
    unsafe {
        if exit {
            kvmppc_run_vcpu_exit(vcpu)
        } else {
            kvmppc_run_vcpu_enter(vcpu)
        }
    }
}

/// `trace_kvm_guest_enter` (`exit` false) or `_exit` (true).
///
/// # Safety
///
/// `vcpu` is valid.
#[inline(always)]
pub(crate) unsafe fn guest(vcpu: *mut bindings::kvm_vcpu, exit: bool) {
    // SAFETY: the caller's guarantee.
    unsafe {
        if exit {
            kvm_guest_exit(vcpu)
        } else {
            kvm_guest_enter(vcpu)
        }
    }
}

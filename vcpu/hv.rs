// SPDX-License-Identifier: GPL-2.0

//! [`HvVcpu`] on a kernel `struct kvm_vcpu`, and the `vcpu_run` op.
//!
//! The boundary of the run path: every field access and every call into
//! kvm.ko, kvm-hv.ko and the powerpc arch code is here.

use super::run::{self, HvVcpu, Refusal};
use core::ptr;
use kernel::{
    bindings, current,
    prelude::*,
    sync::{
        atomic::{AtomicFlag, Relaxed},
        barrier,
    },
};

fn cpu_has(feature: usize) -> bool {
    // SAFETY: reads the boot-time CPU feature bits; no other effect.
    unsafe { bindings::cpu_has_feature(feature) }
}

/// A vcpu of an HV VM inside `KVM_RUN`.
///
/// # Invariants
///
/// `vcpu` points to a live `struct kvm_vcpu` of a VM created through this
/// module's ops table, and the caller holds `vcpu->mutex` for as long as this
/// value exists: kvm.ko's `KVM_RUN` path takes it before calling the op. So
/// `vcpu->run`, `vcpu->kvm`, `kvm->mm` and `vcpu->arch.vcore` are valid, and
/// the vcpu's own fields are not written by anyone else meanwhile.
struct Hv {
    vcpu: *mut bindings::kvm_vcpu,
}

impl Hv {
    fn kvm(&self) -> *mut bindings::kvm {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).kvm }
    }

    fn vcore(&self) -> *mut bindings::kvmppc_vcore {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.vcore }
    }

    fn run(&self) -> *mut bindings::kvm_run {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).run }
    }

    /// Sets the exit reason; for `KVM_EXIT_FAIL_ENTRY` also its (unknown)
    /// hardware reason.
    fn set_exit_reason(&mut self, reason: u32) {
        let run = self.run();
        // SAFETY: `run` is the vcpu's `kvm_run` page (type invariant); it is
        // shared with userspace, which does not run this vcpu meanwhile.
        unsafe {
            (*run).exit_reason = reason;
            if reason == bindings::KVM_EXIT_FAIL_ENTRY {
                (*run)
                    .__bindgen_anon_1
                    .fail_entry
                    .hardware_entry_failure_reason = 0;
            }
        }
    }

    /// Sets the exit reason of a refused `KVM_RUN` and returns its errno, as
    /// `kvmppc_vcpu_run_hv` does.
    fn refuse(&mut self, refusal: Refusal) -> i32 {
        let (reason, err) = match refusal {
            Refusal::Insane => (bindings::KVM_EXIT_INTERNAL_ERROR, EINVAL),
            Refusal::SignalPending => (bindings::KVM_EXIT_INTR, EINTR),
            Refusal::TransactionSuspended => (bindings::KVM_EXIT_FAIL_ENTRY, EINVAL),
        };
        self.set_exit_reason(reason);
        err.to_errno()
    }
}

impl HvVcpu for Hv {
    fn sane(&self) -> bool {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.sane != 0 }
    }

    fn signal_pending(&self) -> bool {
        current!().signal_pending()
    }

    #[cfg(not(CONFIG_PPC_TRANSACTIONAL_MEM))]
    fn transaction_suspended(&self) -> bool {
        false
    }

    #[cfg(CONFIG_PPC_TRANSACTIONAL_MEM)]
    fn transaction_suspended(&self) -> bool {
        if !cpu_has(bindings::CPU_FTR_TM) {
            return false;
        }
        // SAFETY: `current` is this thread's live task; `thread.regs` is its
        // user register frame or NULL.
        unsafe {
            let regs = (*kernel::task::Task::current_raw()).thread.regs;
            !regs.is_null() && (*regs).msr as usize & bindings::MSR_TS_MASK != 0
        }
    }

    fn force_online(&mut self) {
        // SAFETY: `vcpu` and its vcore are valid (type invariant);
        // `online_count` is an `atomic_t`.
        unsafe {
            if (*self.vcpu).arch.online == 0 {
                bindings::atomic_inc(&raw mut (*self.vcore()).online_count);
                (*self.vcpu).arch.online = 1;
            }
        }
    }

    fn prepare_to_enter(&mut self) {
        // SAFETY: `vcpu` is valid and its mutex held (type invariant).
        unsafe { bindings::kvmppc_core_prepare_to_enter(self.vcpu) };
    }

    fn start_running(&mut self) {
        // SAFETY: `kvm` is valid (type invariant); `vcpus_running` is an `atomic_t`.
        unsafe { bindings::atomic_inc(&raw mut (*self.kvm()).arch.vcpus_running) };
        // Orders `vcpus_running` against `mmu_ready`, which the HPT reset
        // path (kvmppc_alloc_reset_hpt) clears before it reads the count.
        barrier::smp_mb(barrier::Full);
    }

    fn save_host_state(&mut self) {
        let mut msr = 0;
        if cfg!(CONFIG_PPC_FPU) {
            msr |= bindings::MSR_FP;
        }
        if cpu_has(bindings::CPU_FTR_ALTIVEC) {
            msr |= bindings::MSR_VEC;
        }
        if cpu_has(bindings::CPU_FTR_VSX) {
            msr |= bindings::MSR_VSX;
        }
        if cpu_has(bindings::CPU_FTR_TM) || cpu_has(bindings::CPU_FTR_P9_TM_HV_ASSIST) {
            // SAFETY: `vcpu` is valid (type invariant).
            let hfscr = unsafe { bindings::kvmhv_vcpu_get_hfscr(self.vcpu) };
            if hfscr & bindings::HFSCR_TM as u64 != 0 {
                msr |= bindings::MSR_TM;
            }
        }
        // SAFETY: enables facilities in this CPU's MSR and saves the current
        // thread's user state into its thread_struct, as before any guest
        // entry; this thread is in the kernel, in KVM_RUN.
        unsafe {
            bindings::msr_check_and_set(msr);
            bindings::kvmppc_save_user_regs();
            bindings::kvmppc_save_current_sprs();
        }
    }

    fn enter_busy_in_host(&mut self) {
        let (vcpu, vcore, kvm) = (self.vcpu, self.vcore(), self.kvm());
        // SAFETY: `vcpu`, its vcore, its VM and the VM's mm are valid (type
        // invariant); the vcpu's fields are this thread's to write.
        unsafe {
            if !cpu_has(bindings::CPU_FTR_ARCH_300) {
                (*vcpu).arch.waitp = &raw mut (*vcore).wait;
            }
            (*vcpu).arch.pgdir = (*(*kvm).mm).__bindgen_anon_1.pgd;
            (*vcpu).arch.state = bindings::KVMPPC_VCPU_BUSY_IN_HOST as i32;
        }
    }

    fn mmu_ready(&self) -> bool {
        // SAFETY: `kvm` is valid (type invariant). The HPT reset path writes
        // the flag under `mmu_setup_lock`; a volatile read is C's plain one.
        unsafe { ptr::read_volatile(&raw const (*self.kvm()).arch.mmu_ready) != 0 }
    }

    fn setup_mmu(&mut self) -> Result<(), i32> {
        // SAFETY: `kvm` is this vcpu's live VM, and the vcpu is in KVM_RUN,
        // counted in `vcpus_running` (start_running came first).
        unsafe { crate::hpt::setup_mmu(self.kvm()) }.map_err(Error::to_errno)
    }

    fn fail_entry(&mut self, err: i32) {
        self.set_exit_reason(bindings::KVM_EXIT_FAIL_ENTRY);
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.ret = err };
    }

    fn run_guest(&mut self) -> i32 {
        // SAFETY: `vcpu` is valid, its mutex held, and it was prepared for
        // entry above (state BUSY_IN_HOST, counted in `vcpus_running`).
        unsafe {
            if cpu_has(bindings::CPU_FTR_ARCH_300) {
                bindings::kvmhv_run_single_vcpu(self.vcpu, !0, (*self.vcore()).lpcr)
            } else {
                bindings::kvmppc_run_vcpu(self.vcpu)
            }
        }
    }

    fn exit_is_papr_hcall(&self) -> bool {
        // SAFETY: `run` is the vcpu's `kvm_run` (type invariant).
        unsafe { (*self.run()).exit_reason == bindings::KVM_EXIT_PAPR_HCALL }
    }

    fn hcall_from_problem_state(&mut self) -> bool {
        static WARNED: AtomicFlag = AtomicFlag::new(false);
        // SAFETY: no preconditions.
        if unsafe { bindings::kvmhv_is_nestedv2() } {
            return false;
        }
        // SAFETY: `vcpu` is valid (type invariant).
        let pr = unsafe { bindings::kvmhv_vcpu_get_msr(self.vcpu) } & bindings::MSR_PR as u64 != 0;
        if pr && !WARNED.xchg(true, Relaxed) {
            kernel::warn_on!(true);
        }
        pr
    }

    fn do_hcall(&mut self) -> i32 {
        // SAFETY: `vcpu` is valid and its mutex held (type invariant); it
        // exited with an hcall from the guest's supervisor state.
        unsafe {
            bindings::kvmhv_trace_hcall_enter(self.vcpu);
            let r = bindings::kvmppc_pseries_do_hcall(self.vcpu);
            bindings::kvmhv_trace_hcall_exit(self.vcpu, r);
            r
        }
    }

    fn page_fault(&mut self) -> i32 {
        let (vcpu, kvm) = (self.vcpu, self.kvm());
        // SAFETY: `vcpu` and its VM are valid, its mutex held (type
        // invariant); the fault handler runs under the VM's SRCU read lock,
        // which is released with the index it returned.
        unsafe {
            let srcu = &raw mut (*kvm).srcu;
            let idx = bindings::srcu_read_lock(srcu);
            let r = bindings::kvmppc_book3s_hv_page_fault(
                vcpu,
                (*vcpu).arch.fault_dar,
                // Widened as C does when it passes the u32 on.
                (*vcpu).arch.fault_dsisr as usize,
            );
            bindings::srcu_read_unlock(srcu, idx);
            r
        }
    }

    #[cfg(CONFIG_KVM_XICS)]
    fn passthrough(&mut self) -> i32 {
        // SAFETY: no preconditions.
        let on_xive = unsafe { bindings::xics_on_xive() };
        // XIVE never passes interrupts through to this path.
        if kernel::warn_on!(on_xive) {
            return bindings::H_SUCCESS as i32;
        }
        // SAFETY: `vcpu` is valid and its mutex held (type invariant).
        unsafe { bindings::kvmppc_xics_rm_complete(self.vcpu, 0) }
    }

    #[cfg(not(CONFIG_KVM_XICS))]
    fn passthrough(&mut self) -> i32 {
        // What kvm_ppc.h's stub of kvmppc_xics_rm_complete() returns.
        0
    }

    fn stop_running(&mut self) {
        // SAFETY: `vcpu` and its VM are valid (type invariant).
        unsafe {
            (*self.vcpu).arch.state = bindings::KVMPPC_VCPU_NOTREADY as i32;
            bindings::atomic_dec(&raw mut (*self.kvm()).arch.vcpus_running);
            bindings::srr_regs_clobbered();
        }
    }
}

/// `kvmppc_ops::vcpu_run`: `KVM_RUN` on a vcpu of an HV VM.
///
/// # Safety
///
/// `vcpu` must be a live vcpu of a VM created through this module's ops
/// table, and the caller must hold `vcpu->mutex`: kvm.ko's
/// `kvmppc_vcpu_run` satisfies both.
pub(crate) unsafe extern "C" fn vcpu_run(vcpu: *mut bindings::kvm_vcpu) -> c_int {
    // INVARIANT: by this function's safety contract.
    let mut hv = Hv { vcpu };
    match run::vcpu_run(&mut hv) {
        Ok(r) => r,
        Err(refusal) => hv.refuse(refusal),
    }
}

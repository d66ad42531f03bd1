// SPDX-License-Identifier: GPL-2.0

//! [`HvVcpu`] on a kernel `struct kvm_vcpu`, and the `vcpu_run` op.
//!
//! The boundary of the run path: every field access and every call into
//! kvm.ko, kvm-hv.ko and the powerpc arch code is here.

use super::interrupt::{self, vector, Delivery, PendingInterrupts, Priority};
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

// The pure code's ISA numbers are the kernel headers'.
const _: () = {
    assert!(interrupt::MSR_EE == bindings::MSR_EE as u64);
    assert!(interrupt::MSR_IR == bindings::MSR_IR as u64);
    assert!(interrupt::MSR_DR == bindings::MSR_DR as u64);
    assert!(interrupt::MSR_TS_S == bindings::MSR_TS_S as u64);
    assert!(interrupt::MSR_TS_T == bindings::MSR_TS_T as u64);
    assert!(interrupt::MSR_TS_MASK == bindings::MSR_TS_MASK as u64);
    assert!(interrupt::LPCR_AIL == bindings::LPCR_AIL as u64);
    assert!(interrupt::LPCR_AIL_3 == bindings::LPCR_AIL_3 as u64);
    assert!(interrupt::SRR1_MSR_BITS == bindings::SRR1_MSR_BITS as u64);
    assert!(interrupt::PRIORITY_MAX == bindings::BOOK3S_IRQPRIO_MAX);
    assert!(Priority::SystemReset as u32 == bindings::BOOK3S_IRQPRIO_SYSTEM_RESET);
    assert!(Priority::DataSegment as u32 == bindings::BOOK3S_IRQPRIO_DATA_SEGMENT);
    assert!(Priority::InstSegment as u32 == bindings::BOOK3S_IRQPRIO_INST_SEGMENT);
    assert!(Priority::DataStorage as u32 == bindings::BOOK3S_IRQPRIO_DATA_STORAGE);
    assert!(Priority::InstStorage as u32 == bindings::BOOK3S_IRQPRIO_INST_STORAGE);
    assert!(Priority::Alignment as u32 == bindings::BOOK3S_IRQPRIO_ALIGNMENT);
    assert!(Priority::Program as u32 == bindings::BOOK3S_IRQPRIO_PROGRAM);
    assert!(Priority::FpUnavail as u32 == bindings::BOOK3S_IRQPRIO_FP_UNAVAIL);
    assert!(Priority::Altivec as u32 == bindings::BOOK3S_IRQPRIO_ALTIVEC);
    assert!(Priority::Vsx as u32 == bindings::BOOK3S_IRQPRIO_VSX);
    assert!(Priority::FacUnavail as u32 == bindings::BOOK3S_IRQPRIO_FAC_UNAVAIL);
    assert!(Priority::Syscall as u32 == bindings::BOOK3S_IRQPRIO_SYSCALL);
    assert!(Priority::MachineCheck as u32 == bindings::BOOK3S_IRQPRIO_MACHINE_CHECK);
    assert!(Priority::Debug as u32 == bindings::BOOK3S_IRQPRIO_DEBUG);
    assert!(Priority::External as u32 == bindings::BOOK3S_IRQPRIO_EXTERNAL);
    assert!(Priority::Decrementer as u32 == bindings::BOOK3S_IRQPRIO_DECREMENTER);
    assert!(Priority::PerformanceMonitor as u32 == bindings::BOOK3S_IRQPRIO_PERFORMANCE_MONITOR);
    assert!(vector::SYSTEM_RESET == bindings::BOOK3S_INTERRUPT_SYSTEM_RESET);
    assert!(vector::MACHINE_CHECK == bindings::BOOK3S_INTERRUPT_MACHINE_CHECK);
    assert!(vector::DATA_STORAGE == bindings::BOOK3S_INTERRUPT_DATA_STORAGE);
    assert!(vector::DATA_SEGMENT == bindings::BOOK3S_INTERRUPT_DATA_SEGMENT);
    assert!(vector::INST_STORAGE == bindings::BOOK3S_INTERRUPT_INST_STORAGE);
    assert!(vector::INST_SEGMENT == bindings::BOOK3S_INTERRUPT_INST_SEGMENT);
    assert!(vector::EXTERNAL == bindings::BOOK3S_INTERRUPT_EXTERNAL);
    assert!(vector::ALIGNMENT == bindings::BOOK3S_INTERRUPT_ALIGNMENT);
    assert!(vector::PROGRAM == bindings::BOOK3S_INTERRUPT_PROGRAM);
    assert!(vector::FP_UNAVAIL == bindings::BOOK3S_INTERRUPT_FP_UNAVAIL);
    assert!(vector::DECREMENTER == bindings::BOOK3S_INTERRUPT_DECREMENTER);
    assert!(vector::SYSCALL == bindings::BOOK3S_INTERRUPT_SYSCALL);
    assert!(vector::TRACE == bindings::BOOK3S_INTERRUPT_TRACE);
    assert!(vector::PERFMON == bindings::BOOK3S_INTERRUPT_PERFMON);
    assert!(vector::ALTIVEC == bindings::BOOK3S_INTERRUPT_ALTIVEC);
    assert!(vector::VSX == bindings::BOOK3S_INTERRUPT_VSX);
    assert!(vector::FAC_UNAVAIL == bindings::BOOK3S_INTERRUPT_FAC_UNAVAIL);
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

    /// `kvmppc_inject_interrupt_hv`: delivers the interrupt at `vector` to
    /// the guest now, with `srr1_flags` in SRR1, and ends an H_CEDE.
    fn inject(&mut self, vector: u32, srr1_flags: u64) {
        let (vcpu, vcore) = (self.vcpu, self.vcore());
        // SAFETY: `vcpu` and its vcore are valid (type invariant); the
        // accessors reload the registers from L0 first under nested v2.
        let d = unsafe {
            Delivery::new(
                vector,
                srr1_flags,
                bindings::kvmhv_vcpu_get_msr(vcpu),
                bindings::kvmhv_vcpu_get_pc(vcpu) as u64,
                (*vcpu).arch.intr_msr as u64,
                (*vcore).lpcr as u64,
            )
        };
        // SAFETY: `vcpu` is valid and not running (type invariant); the
        // setters mark the registers dirty for L0 under nested v2.
        unsafe {
            bindings::kvmhv_vcpu_set_srr0(vcpu, d.srr0);
            bindings::kvmhv_vcpu_set_srr1(vcpu, d.srr1);
            bindings::kvmhv_vcpu_set_pc(vcpu, d.pc as usize);
            bindings::kvmhv_vcpu_set_msr(vcpu, d.msr);
            bindings::kvmppc_end_cede(vcpu);
        }
    }
}

impl PendingInterrupts for Hv {
    fn pending(&self) -> u64 {
        // SAFETY: `vcpu` is valid (type invariant). Other threads set bits
        // with atomic bitops meanwhile; a volatile read is C's plain one.
        unsafe { ptr::read_volatile(&raw const (*self.vcpu).arch.pending_exceptions) as u64 }
    }

    fn clear_pending(&mut self, priority: Priority) {
        // SAFETY: `vcpu` is valid (type invariant); `clear_bit` is atomic
        // against the bitops of other threads on the same word.
        unsafe {
            bindings::clear_bit(
                priority.bit() as usize,
                &raw mut (*self.vcpu).arch.pending_exceptions,
            )
        };
    }

    fn msr(&self) -> u64 {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { bindings::kvmhv_vcpu_get_msr(self.vcpu) }
    }

    fn nestedv2(&self) -> bool {
        // SAFETY: no preconditions.
        unsafe { bindings::kvmhv_is_nestedv2() }
    }

    fn take_external_oneshot(&mut self) -> bool {
        // SAFETY: `vcpu` is valid and its mutex held (type invariant).
        unsafe { core::mem::take(&mut (*self.vcpu).arch.external_oneshot) != 0 }
    }

    fn deliver(&mut self, vector: u32) {
        // C goes through `kvm->arch.kvm_ops->inject_interrupt`, which for a
        // VM of this module's table is `inject_interrupt` below.
        self.inject(vector, 0);
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
        interrupt::prepare_to_enter(self);
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
    // INVARIANT: by this function's safety contract.
    let mut hv = Hv { vcpu };
    // Vectors are the small non-negative BOOK3S_INTERRUPT_* constants.
    hv.inject(vec as u32, srr1_flags);
}

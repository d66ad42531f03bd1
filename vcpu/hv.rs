// SPDX-License-Identifier: GPL-2.0

//! [`HvVcpu`] on a kernel `struct kvm_vcpu`, and the `vcpu_run` op.
//!
//! The boundary of the run path: every field access and every call into
//! kvm.ko, kvm-hv.ko and the powerpc arch code is here.

use super::interrupt::{self, vector, Delivery, PendingInterrupts, Priority};
use super::run::{Activity, HvVcpu, Refusal};
use crate::{c, errno::Errno, host, trace, vm::Vm};
use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{AtomicFlag, Relaxed},
        barrier,
    },
};

// Fields that other CPUs write are read here with `ptr::read_volatile`,
// which is what C's READ_ONCE and plain reads of them compile to, not with
// `kernel::sync::atomic::Atomic::from_ptr`: in 7.3 without
// CONFIG_RUST_INLINE_HELPERS (whose clang/rustc LLVM match this toolchain
// lacks) every `Atomic` load is a call to a C helper in vmlinux
// (`rust_helper_atomic_read` and its kin), through the module's stub. On
// the run path that made an in-kernel hcall dearer by 127 instructions on
// POWER9 and 851 on POWER8's vcore path (make bench, kernel_hcall_radix
// 3243 -> 3370 against C's 3359, kernel_hcall_hpt 5499 -> 6350 against
// 5567). `ops.rs`, off the run path, uses `Atomic`.

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
    assert!(Errno::EINTR.get() as u32 == bindings::EINTR);
    assert!(Errno::ENOMEM.get() as u32 == bindings::ENOMEM);
    assert!(Errno::EBUSY.get() as u32 == bindings::EBUSY);
    assert!(Errno::EINVAL.get() as u32 == bindings::EINVAL);
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

/// The pure files' [`Errno`] of a kernel [`Error`].
fn errno(e: Error) -> Errno {
    // `Error` holds an errno in the kernel's range (its invariant), so this
    // is never the fallback.
    Errno::from_ret(e.to_errno()).unwrap_or(Errno::EINVAL)
}

/// A vcpu of an HV VM inside `KVM_RUN`.
///
/// # Invariants
///
/// `vcpu` points to a live `struct kvm_vcpu` of a VM created through this
/// module's ops table, and the caller holds `vcpu->mutex` for as long as this
/// value exists: kvm.ko's `KVM_RUN` path takes it before calling the op. So
/// `vcpu->run`, `vcpu->kvm`, `kvm->mm` and `vcpu->arch.vcore` are valid, and
/// the vcpu's own fields are not written by anyone else meanwhile. Inside
/// `KVM_RUN` (`vcpu_run` and what it calls; not `inject_interrupt`, which
/// uses no task), `vcpu->arch.run_task` is the task in that `KVM_RUN`: set
/// first thing in `vcpu_run`.
///
/// On POWER8 the runner of a vcore also acts on the vcore's other runnable
/// vcpus (`vcpu/vcore_hv.rs`): their own threads are in `KVM_RUN` too,
/// holding their mutexes and waiting for the runner, and the runner holds
/// the vcore's lock, or the vcore is `Exiting` and they cannot run, as in
/// C's `kvmppc_run_core`.
pub(super) struct Hv {
    vcpu: *mut bindings::kvm_vcpu,
    entry: &'static dyn GuestEntry,
}

/// The guest entry of a CPU generation: POWER9 and later's
/// (`vcpu/single_hv.rs`) or POWER8's vcore run (`vcpu/vcore_hv.rs`). The
/// module chooses one at init (`vcpu::init`); [`Hv`] carries it.
pub(super) trait GuestEntry: Sync {
    /// Runs the guest from `hv` until an exit the run functions cannot
    /// handle: `kvmhv_run_single_vcpu`, or `kvmppc_run_vcpu`.
    fn run_guest(&self, hv: &mut Hv) -> i32;
}

impl Hv {
    /// The vcpu `vcpu`, entered with `entry`.
    ///
    /// # Safety
    ///
    /// `vcpu` and its caller meet the type invariants for as long as the
    /// value exists (see [`Hv`]).
    pub(super) unsafe fn from_raw(
        vcpu: *mut bindings::kvm_vcpu,
        entry: &'static dyn GuestEntry,
    ) -> Self {
        // INVARIANT: the caller's guarantee.
        Hv { vcpu, entry }
    }

    /// The `struct kvm_vcpu`, valid with the type invariants.
    pub(super) fn as_ptr(&self) -> *mut bindings::kvm_vcpu {
        self.vcpu
    }

    /// The vcpu at `vcpu`, acting for this vcpu: the other vcpus of a
    /// POWER8 vcore, which its runner enters.
    ///
    /// # Safety
    ///
    /// As for [`Hv::from_raw`].
    pub(super) unsafe fn other(&self, vcpu: *mut bindings::kvm_vcpu) -> Self {
        // SAFETY: the caller's guarantee.
        unsafe { Hv::from_raw(vcpu, self.entry) }
    }

    /// `kvmppc_get_msr_hv`: the guest's MSR. Only a nested-v2 host reloads
    /// it from L0 first (kvm-hv's accessor); elsewhere it is the field.
    fn msr(&self) -> u64 {
        if host::nestedv2() {
            // SAFETY: `vcpu` is valid (type invariant).
            return unsafe { c::kvmhv_rs_vcpu_get_msr(self.vcpu) };
        }
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.shregs.msr }
    }

    pub(super) fn kvm(&self) -> *mut bindings::kvm {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).kvm }
    }

    pub(super) fn vcore(&self) -> *mut bindings::kvmppc_vcore {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.vcore }
    }

    fn run(&self) -> *mut bindings::kvm_run {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).run }
    }

    /// A decrementer interrupt is queued (`kvmppc_core_pending_dec`).
    pub(super) fn dec_pending(&self) -> bool {
        Priority::Decrementer.is_in(PendingInterrupts::pending(self))
    }

    /// The thread flags of `run_task`, the task in this vcpu's `KVM_RUN`.
    fn task_flags(&self) -> kernel::ffi::c_ulong {
        // SAFETY: `vcpu` is valid and its `run_task` the task in its
        // `KVM_RUN`, which stays there while this value exists, so it is
        // alive (type invariant). Other CPUs set the flags with atomic
        // bitops; a volatile read is C's READ_ONCE.
        unsafe { ptr::read_volatile(&raw const (*(*self.vcpu).arch.run_task).thread_info.flags) }
    }

    /// The CPU the task in this `KVM_RUN` runs on (`task_cpu()`): this
    /// CPU while preemption is disabled, as `smp_processor_id()` is, with
    /// no call out of the module.
    pub(super) fn task_cpu(&self) -> usize {
        // SAFETY: as in `task_flags`; the scheduler writes `cpu` before the
        // task runs on that CPU, and it is this thread's own task.
        let cpu = unsafe { (*(*self.vcpu).arch.run_task).thread_info.cpu };
        cpu as usize
    }

    /// `__xfer_to_guest_mode_work_pending()`: rescheduling, a signal or
    /// task work is pending for the task in this `KVM_RUN`.
    pub(super) fn work_pending(&self) -> bool {
        self.task_flags() & bindings::XFER_TO_GUEST_MODE_WORK as kernel::ffi::c_ulong != 0
    }

    /// `signal_pending(vcpu->arch.run_task)`: a signal, or `TIF_NOTIFY_SIGNAL`
    /// work, is pending for the task in this `KVM_RUN`. The inline C is
    /// these two flags; `Task::signal_pending` would be a helper call.
    pub(super) fn task_signal_pending(&self) -> bool {
        const SIGNAL: kernel::ffi::c_ulong =
            1 << bindings::TIF_SIGPENDING | 1 << bindings::TIF_NOTIFY_SIGNAL;
        self.task_flags() & SIGNAL != 0
    }

    /// `kvmppc_update_vpas`: takes in the VPA, SLB shadow and DTL
    /// registrations made since the last entry. kvm-hv is called only when
    /// one is pending, by the same unlocked check it would make first: a
    /// registration that races with it is taken in at the next entry.
    pub(super) fn update_vpas(&mut self) {
        let vcpu = self.vcpu;
        // SAFETY: `vcpu` is valid (type invariant). `update_pending` is set
        // under `vpa_update_lock` by other vcpus' H_REGISTER_VPA; volatile
        // reads are C's plain ones.
        let pending = unsafe {
            let arch = &raw const (*vcpu).arch;
            ptr::read_volatile(&raw const (*arch).vpa.update_pending) != 0
                || ptr::read_volatile(&raw const (*arch).slb_shadow.update_pending) != 0
                || ptr::read_volatile(&raw const (*arch).dtl.update_pending) != 0
        };
        if pending {
            // SAFETY: `vcpu` is valid and its mutex held (type invariant),
            // as kvmppc_update_vpas() needs.
            unsafe { c::kvmhv_rs_update_vpas(vcpu) };
        }
    }

    /// The vcpu has a VPA registered: only then does kvm-hv's dispatch
    /// accounting (`kvmppc_update_vpa_dispatch*`) do anything.
    pub(super) fn has_vpa(&self) -> bool {
        // SAFETY: `vcpu` is valid (type invariant); `pinned_addr` changes
        // only in `update_vpas`, on this vcpu's thread.
        !unsafe { (*self.vcpu).arch.vpa.pinned_addr }.is_null()
    }

    /// When the decrementer expires, in host timebase.
    pub(super) fn dec_expires(&self) -> u64 {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { bindings::kvmppc_dec_expires_host_tb(self.vcpu) }
    }

    /// `kvmppc_core_dequeue_dec`.
    pub(super) fn dequeue_dec(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { bindings::kvmppc_core_dequeue_dec(self.vcpu) };
    }

    /// `kvmppc_core_queue_dec`.
    pub(super) fn queue_dec(&mut self) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { bindings::kvmppc_core_queue_dec(self.vcpu) };
    }

    /// `trace_kvm_guest_enter` (`exit` false) or `_exit` (true).
    pub(super) fn trace_guest(&mut self, exit: bool) {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { trace::guest(self.vcpu, exit) };
    }

    /// `xive_interrupt_pending()`: on a XIVE host, an interrupt XIVE
    /// signalled to the vcpu, or one waiting above its current priority in
    /// the thread state saved at its last exit.
    #[cfg(CONFIG_KVM_XICS)]
    pub(super) fn xive_pending(&self) -> bool {
        if !host::xics_on_xive() {
            return false;
        }
        // SAFETY: `vcpu` is valid (type invariant); byte fields that the
        // vcpu's own CPU writes, read as C reads them, without a lock.
        unsafe {
            let arch = &raw const (*self.vcpu).arch;
            let w01 = (*arch).xive_saved_state.__bindgen_anon_1;
            (*arch).irq_pending != 0 || w01.pipr < w01.cppr
        }
    }

    /// `xive_interrupt_pending()` without the in-kernel XICS/XIVE devices:
    /// never.
    #[cfg(not(CONFIG_KVM_XICS))]
    pub(super) fn xive_pending(&self) -> bool {
        false
    }

    /// A signal exit: `signal_exits` counted, `KVM_EXIT_INTR`.
    pub(super) fn signal_exit(&mut self) {
        self.set_exit_reason(bindings::KVM_EXIT_INTR);
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).stat.signal_exits += 1 };
    }

    /// Starts the decrementer timer, due in `ticks`; its callback wakes
    /// the vcpu.
    pub(super) fn start_timer(&mut self, ticks: u64) {
        let vcpu = self.vcpu;
        // SAFETY: `vcpu` is valid (type invariant); `dec_timer` was set up
        // when the vcpu was created, and its callback wakes the vcpu.
        unsafe {
            let ns = bindings::tb_to_ns(ticks);
            bindings::hrtimer_start_range_ns(
                &raw mut (*vcpu).arch.dec_timer,
                ns as bindings::ktime_t,
                0,
                bindings::hrtimer_mode_HRTIMER_MODE_REL,
            );
            (*vcpu).arch.timer_running = true;
        }
    }

    /// Sets the exit reason; for `KVM_EXIT_FAIL_ENTRY` also its (unknown)
    /// hardware reason.
    pub(super) fn set_exit_reason(&mut self, reason: u32) {
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
    pub(super) fn refuse(&mut self, refusal: Refusal) -> i32 {
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
    pub(super) fn inject(&mut self, vector: u32, srr1_flags: u64) {
        let (vcpu, vcore) = (self.vcpu, self.vcore());
        // SAFETY: `vcpu` and its vcore are valid (type invariant); the
        // accessors reload the registers from L0 first under nested v2.
        let d = unsafe {
            Delivery::new(
                vector,
                srr1_flags,
                self.msr(),
                c::kvmhv_rs_vcpu_get_pc(vcpu) as u64,
                (*vcpu).arch.intr_msr as u64,
                (*vcore).lpcr as u64,
            )
        };
        // SAFETY: `vcpu` is valid and not running (type invariant); the
        // setters mark the registers dirty for L0 under nested v2.
        unsafe {
            c::kvmhv_rs_vcpu_set_srr0(vcpu, d.srr0);
            c::kvmhv_rs_vcpu_set_srr1(vcpu, d.srr1);
            c::kvmhv_rs_vcpu_set_pc(vcpu, d.pc as usize);
            c::kvmhv_rs_vcpu_set_msr(vcpu, d.msr);
            // kvmppc_end_cede() (static in the built-in C): a delivered
            // interrupt ends an H_CEDE and its decrementer wake-up.
            (*vcpu).arch.ceded = 0;
        }
        if self.timer_running() {
            self.cancel_dec_timer();
        }
    }

    /// `vcpu->arch.timer_running`: the decrementer's hrtimer is armed.
    pub(super) fn timer_running(&self) -> bool {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.timer_running }
    }

    /// `hrtimer_try_to_cancel` on the decrementer's hrtimer; not running.
    pub(super) fn cancel_dec_timer(&mut self) {
        let vcpu = self.vcpu;
        // SAFETY: `vcpu` is valid (type invariant); `dec_timer` was set up
        // when the vcpu was created.
        unsafe {
            bindings::hrtimer_try_to_cancel(&raw mut (*vcpu).arch.dec_timer);
            (*vcpu).arch.timer_running = false;
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
        self.msr()
    }

    fn nestedv2(&self) -> bool {
        host::nestedv2()
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
    #[cfg(CONFIG_KVM_BOOK3S_HV_P9_TIMING)]
    fn account(&mut self, next: Activity) {
        let vcpu = self.vcpu;
        // SAFETY: `vcpu` is valid and its mutex held (type invariant): the
        // timing fields are this thread's; the accumulators live in it.
        unsafe {
            let arch = &raw mut (*vcpu).arch;
            let next = match next {
                Activity::VcpuEntry => &raw mut (*arch).vcpu_entry,
                Activity::GuestEntry => &raw mut (*arch).guest_entry,
                Activity::Hcall => &raw mut (*arch).hcall,
                Activity::PageFault => &raw mut (*arch).pg_fault,
                Activity::VcpuExit => &raw mut (*arch).vcpu_exit,
                Activity::Nothing => ptr::null_mut(),
            };
            c::accumulate_time(vcpu, next);
        }
    }

    #[cfg(not(CONFIG_KVM_BOOK3S_HV_P9_TIMING))]
    fn account(&mut self, _next: Activity) {}

    fn sane(&self) -> bool {
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.sane != 0 }
    }

    fn signal_pending(&self) -> bool {
        self.task_signal_pending()
    }

    #[cfg(not(CONFIG_PPC_TRANSACTIONAL_MEM))]
    fn transaction_suspended(&self) -> bool {
        false
    }

    #[cfg(CONFIG_PPC_TRANSACTIONAL_MEM)]
    fn transaction_suspended(&self) -> bool {
        if !host::cpu_has(bindings::CPU_FTR_TM) {
            return false;
        }
        // SAFETY: `run_task` is this thread's live task (type invariant);
        // `thread.regs` is its user register frame or NULL.
        let msr = unsafe {
            let regs = (*(*self.vcpu).arch.run_task).thread.regs;
            if regs.is_null() {
                return false;
            }
            (*regs).__bindgen_anon_1.user_regs.msr
        };
        // As C's `MSR_TM_ACTIVE()` under `MSR_TM`: transactional or suspended.
        msr & bindings::MSR_TM != 0 && msr & bindings::MSR_TS_MASK != 0
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
        if host::cpu_has(bindings::CPU_FTR_ALTIVEC) {
            msr |= bindings::MSR_VEC;
        }
        if host::cpu_has(bindings::CPU_FTR_VSX) {
            msr |= bindings::MSR_VSX;
        }
        if host::cpu_has(bindings::CPU_FTR_TM) || host::cpu_has(bindings::CPU_FTR_P9_TM_HV_ASSIST) {
            // SAFETY: `vcpu` is valid (type invariant).
            let hfscr = unsafe { c::kvmhv_rs_vcpu_get_hfscr(self.vcpu) };
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
            if !host::cpu_has(bindings::CPU_FTR_ARCH_300) {
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

    fn setup_mmu(&mut self) -> Result<(), Errno> {
        // SAFETY: `kvm` is this vcpu's live VM, and this thread is in the
        // vcpu's KVM_RUN ioctl.
        unsafe { Vm::from_raw(self.kvm()) }
            .setup_mmu()
            .map_err(errno)
    }

    fn fail_entry(&mut self, err: Errno) {
        self.set_exit_reason(bindings::KVM_EXIT_FAIL_ENTRY);
        // SAFETY: `vcpu` is valid (type invariant).
        unsafe { (*self.vcpu).arch.ret = err.to_ret() };
    }

    fn run_guest(&mut self) -> i32 {
        let entry = self.entry;
        entry.run_guest(self)
    }

    fn exit_is_papr_hcall(&self) -> bool {
        // SAFETY: `run` is the vcpu's `kvm_run` (type invariant).
        unsafe { (*self.run()).exit_reason == bindings::KVM_EXIT_PAPR_HCALL }
    }

    fn hcall_from_problem_state(&mut self) -> bool {
        static WARNED: AtomicFlag = AtomicFlag::new(false);
        if host::nestedv2() {
            return false;
        }
        let pr = self.msr() & bindings::MSR_PR as u64 != 0;
        if pr && !WARNED.xchg(true, Relaxed) {
            kernel::warn_on!(true);
        }
        pr
    }

    fn do_hcall(&mut self) -> i32 {
        // SAFETY: `vcpu` is valid and its mutex held (type invariant); it
        // exited with an hcall from the guest's supervisor state.
        unsafe {
            trace::kvm_hcall_enter(self.vcpu);
            let r = bindings::kvmppc_pseries_do_hcall(self.vcpu);
            trace::kvm_hcall_exit(self.vcpu, r);
            r
        }
    }

    fn page_fault(&mut self) -> i32 {
        let vcpu = self.vcpu;
        // SAFETY: `kvm` is this vcpu's live VM, and this thread is in the
        // vcpu's KVM_RUN ioctl.
        let vm = unsafe { Vm::from_raw(self.kvm()) };
        let _srcu = vm.srcu().read_lock();
        // SAFETY: `vcpu` and its VM are valid, its mutex held (type
        // invariant); the fault handler runs under the VM's SRCU read lock.
        unsafe {
            bindings::kvmppc_book3s_hv_page_fault(
                vcpu,
                (*vcpu).arch.fault_dar,
                // Widened as C does when it passes the u32 on.
                (*vcpu).arch.fault_dsisr as usize,
            )
        }
    }

    #[cfg(CONFIG_KVM_XICS)]
    fn passthrough(&mut self) -> i32 {
        // XIVE never passes interrupts through to this path.
        if kernel::warn_on!(host::xics_on_xive()) {
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

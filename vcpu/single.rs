// SPDX-License-Identifier: GPL-2.0

//! One guest entry of a vcpu on POWER9 and later: the decisions of
//! `kvmhv_run_single_vcpu`.
//!
//! [`run_single_vcpu`] orders the steps of an entry and takes every decision
//! between them: whether the MMU needs setting up, whether to give up the
//! entry for pending work, how a pending external interrupt reaches the
//! guest (delivered now, or signalled through LPCR[MER]), whether the exit
//! leaves a stale decrementer interrupt queued, and whether the vcpu blocks
//! after an H_CEDE, until when and how it wakes. The kernel implements
//! [`P9Vcpu`] on a real vcpu (`vcpu/hv.rs`); the host tests on a recording
//! mock. This file uses only `core`.
//!
//! Only the vcpu's own entries come here: a nested guest's (`H_ENTER_NESTED`)
//! go through kvm-hv's C, which `kvmhv_enter_nested_guest` calls directly.

use super::run::{Resume, RESUME_GUEST};

/// `MSR_EE`: external interrupts enabled.
pub(crate) const MSR_EE: u64 = 1 << 15;
/// `LPCR_MER`: mediated external request, an external interrupt the guest
/// takes as soon as it sets MSR[EE].
pub(crate) const LPCR_MER: u64 = 1 << 11;
/// `BOOK3S_INTERRUPT_SYSCALL`: the trap of an `sc`, hcalls included.
pub(crate) const TRAP_SYSCALL: u32 = 0xc00;
/// `H_ENTER_NESTED`: an L1 hypervisor runs its own guest.
pub(crate) const H_ENTER_NESTED: u64 = 0xf804;

/// The operations of one guest entry on POWER9 and later, in the terms of
/// the C functions and fields they stand for.
pub(crate) trait P9Vcpu {
    /// `trace_kvmppc_run_vcpu_enter` (`exit` false) or `_exit` (true).
    fn trace_run(&mut self, exit: bool);
    /// The state of a new entry: exit reason 0, `ret` `RESUME_GUEST`, `trap`
    /// 0, not ceded, `run_task` the current task, no last instruction.
    fn begin(&mut self);
    /// `kvm->arch.mmu_ready`.
    fn mmu_ready(&self) -> bool;
    /// `kvmhv_setup_mmu` (the Rust one of `hpt/`).
    fn setup_mmu(&mut self) -> Result<(), i32>;
    /// `KVM_EXIT_FAIL_ENTRY` with hardware reason 0.
    fn fail_entry(&mut self);
    /// Sets `vcpu->arch.ret`.
    fn set_ret(&mut self, r: i32);
    /// `vcpu->arch.ret`.
    fn ret(&self) -> i32;
    /// `kvm_xfer_to_guest_mode_handle_work`: runs pending task work and
    /// rescheduling; on a pending signal sets `KVM_EXIT_INTR` and returns
    /// `-EINTR`. Returns 0 otherwise.
    fn handle_work(&mut self) -> i32;
    /// `kvmppc_update_vpas`: takes in the VPA, SLB shadow and DTL
    /// registrations made since the last entry.
    fn update_vpas(&mut self);
    /// Disables preemption, prepares a radix guest's TLB state for this CPU
    /// (`kvmppc_prepare_radix_vcpu`), hard-disables interrupts with the PMU's
    /// (`powerpc_local_irq_pmu_save`), marks the vcpu `RUNNABLE` and
    /// prepares the guest-mode work check (`xfer_to_guest_mode_prepare`).
    fn disable_preemption_and_irqs(&mut self);
    /// `xfer_to_guest_mode_work_pending`.
    fn work_pending(&self) -> bool;
    /// Puts the vcpu on this CPU (`cpu`, `thread_cpu`, the vcore's `pcpu`,
    /// the PACA's `kvm_hstate`), then a full barrier: pairs with
    /// `kvmppc_fast_vcpu_kick_hv` reading `cpu` after queueing an interrupt.
    fn claim_cpu(&mut self);
    /// `kvmppc_core_prepare_to_enter` (the Rust one of `vcpu/interrupt.rs`).
    fn prepare_to_enter(&mut self);
    /// An external interrupt is pending: `BOOK3S_IRQPRIO_EXTERNAL` queued,
    /// or XIVE has one above the CPPR.
    fn external_pending(&self) -> bool;
    /// This host is itself a pseries guest (nested HV).
    fn on_pseries(&self) -> bool;
    /// The guest's MSR.
    fn msr(&self) -> u64;
    /// Delivers an external interrupt now (`kvmppc_inject_interrupt_hv`).
    fn inject_external(&mut self);
    /// `vcpu->arch.timer_running`: the decrementer's hrtimer is armed.
    fn timer_running(&self) -> bool;
    /// `hrtimer_try_to_cancel` on the decrementer's timer; not running.
    fn cancel_timer(&mut self);
    /// The host timebase (`mftb`).
    fn timebase(&self) -> u64;
    /// `kvmppc_update_vpa_dispatch_p9` at host timebase `tb`.
    fn update_vpa_dispatch(&mut self, tb: u64);
    /// `trace_kvm_guest_enter` (`exit` false) or `trace_kvm_guest_exit`.
    fn trace_guest(&mut self, exit: bool);
    /// Runs the guest: context tracking into guest state, the VM's SRCU
    /// held, `kvmhv_p9_guest_entry` (`kvmhv_vcpu_entry_p9` under it), and
    /// back. `tb` is the entry's timebase, updated to the exit's. Returns
    /// the trap.
    fn enter_guest(&mut self, time_limit: u64, lpcr: u64, tb: &mut u64) -> u32;
    /// Takes the vcpu off this CPU (`cpu`, `thread_cpu` -1, state
    /// `BUSY_IN_HOST`), then restores interrupts and preemption; after a
    /// guest entry (`entered`), first accounts its time to the guest.
    fn release_cpu(&mut self, entered: bool);
    /// `kvmppc_core_pending_dec`.
    fn dec_pending(&self) -> bool;
    /// `kvmppc_dec_expires_host_tb`: when the guest decrementer expires.
    fn dec_expires(&self) -> u64;
    /// The guest's r3.
    fn gpr3(&self) -> u64;
    /// `kvmppc_core_dequeue_dec`.
    fn dequeue_dec(&mut self);
    /// `kvmppc_core_queue_dec`.
    fn queue_dec(&mut self);
    /// `kvmppc_handle_exit_hv`: handles the exit in `trap`.
    fn handle_exit(&mut self) -> i32;
    /// `kvmppc_vcpu_check_block`: not ceded, or woken (an exception, a
    /// prod, a doorbell or a XIVE interrupt pending).
    fn check_block(&self) -> bool;
    /// Arms the decrementer's hrtimer `ticks` timebase ticks from now.
    fn start_timer(&mut self, ticks: u64);
    /// `prepare_to_rcuwait` on the vcpu's wait.
    fn wait_begin(&mut self);
    /// `set_current_state(TASK_INTERRUPTIBLE)`.
    fn set_interruptible(&mut self);
    /// `signal_pending(current)`.
    fn signal_pending(&self) -> bool;
    /// A signal ended the wait: counts it (`signal_exits`) and sets
    /// `KVM_EXIT_INTR`.
    fn signal_exit(&mut self);
    /// `schedule()`, between the `kvmppc_vcore_blocked` tracepoints.
    fn schedule(&mut self);
    /// `finish_rcuwait`.
    fn wait_end(&mut self);
    /// `vcpu->arch.ceded = 0`.
    fn clear_ceded(&mut self);
}

/// `kvmppc_set_timer`: makes the decrementer wake a ceded vcpu. If it has
/// expired already, queues its interrupt (and delivers it if it can) instead.
pub(crate) fn set_timer<V: P9Vcpu>(v: &mut V) {
    let now = v.timebase();
    let expires = v.dec_expires();
    if now > expires {
        v.queue_dec();
        v.prepare_to_enter();
        return;
    }
    v.start_timer(expires - now);
}

/// Whether the decrementer interrupt still queued after an exit is stale:
/// the decrementer is positive again at `tb`, or the exit is an L1's
/// `H_ENTER_NESTED`, after which L2 owns the decrementer.
pub(crate) fn dec_is_stale(tb: u64, expires: u64, trap: u32, r3: u64) -> bool {
    tb < expires || (trap == TRAP_SYSCALL && r3 == H_ENTER_NESTED)
}

/// The LPCR to enter with, and whether to deliver an external interrupt
/// first: delivered when one is pending and the guest has MSR[EE] (on bare
/// metal; the LPCR is then left as it is), else requested through LPCR[MER]
/// so the guest takes it once it enables EE. Without one, MER is cleared: an
/// L1's copy of its guest's LPCR can have it set spuriously.
pub(crate) fn external_delivery(
    pending: bool,
    on_pseries: bool,
    msr: u64,
    lpcr: u64,
) -> (bool, u64) {
    if !pending {
        (false, lpcr & !LPCR_MER)
    } else if !on_pseries && msr & MSR_EE != 0 {
        (true, lpcr)
    } else {
        (false, lpcr | LPCR_MER)
    }
}

/// `kvmhv_run_single_vcpu` for a vcpu's own (not a nested guest's) entry:
/// enters the guest at most once and handles the exit.
///
/// Returns `vcpu->arch.ret`: `RESUME_GUEST` (or `_NV`) to come back, a
/// `RESUME_*` the caller handles, or a negative errno.
pub(crate) fn run_single_vcpu<V: P9Vcpu>(v: &mut V, time_limit: u64, lpcr: u64) -> i32 {
    v.trace_run(false);
    v.begin();
    enter_and_handle(v, time_limit, lpcr);
    v.trace_run(true);
    v.ret()
}

fn enter_and_handle<V: P9Vcpu>(v: &mut V, time_limit: u64, lpcr: u64) {
    if !v.mmu_ready() {
        if let Err(err) = v.setup_mmu() {
            v.fail_entry();
            v.set_ret(err);
            return;
        }
    }
    let r = v.handle_work();
    if r != 0 {
        v.set_ret(r);
        return;
    }
    v.update_vpas();

    v.disable_preemption_and_irqs();
    // Interrupts are off: pending work is left to `handle_work` of the next
    // entry, and an HPT reset may have started meanwhile.
    if v.work_pending() || !v.mmu_ready() {
        v.release_cpu(false);
        return;
    }
    v.claim_cpu();

    v.prepare_to_enter();
    let (deliver, lpcr) = external_delivery(v.external_pending(), v.on_pseries(), v.msr(), lpcr);
    if deliver {
        v.inject_external();
    }
    if v.timer_running() {
        v.cancel_timer();
    }

    let mut tb = v.timebase();
    v.update_vpa_dispatch(tb);
    v.trace_guest(false);
    let trap = v.enter_guest(time_limit, lpcr, &mut tb);
    v.release_cpu(true);

    if v.dec_pending() && dec_is_stale(tb, v.dec_expires(), trap, v.gpr3()) {
        v.dequeue_dec();
    }
    v.trace_guest(true);
    let r = if trap != 0 {
        v.handle_exit()
    } else {
        RESUME_GUEST
    };
    v.set_ret(r);

    // An H_CEDE with nothing to wake the vcpu: sleep until something does.
    if Resume::of(r) == Resume::Guest && !v.check_block() {
        set_timer(v);
        v.wait_begin();
        loop {
            v.set_interruptible();
            if v.signal_pending() {
                v.signal_exit();
                v.set_ret(-EINTR);
                break;
            }
            if v.check_block() {
                break;
            }
            v.schedule();
        }
        v.wait_end();
    }
    v.clear_ceded();
}

/// `EINTR`, as the run functions return it (negated).
pub(crate) const EINTR: i32 = 4;

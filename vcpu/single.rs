// SPDX-License-Identifier: GPL-2.0

//! One guest entry of a vcpu on POWER9 and later: the decisions of
//! `kvmhv_run_single_vcpu` and, on bare metal, `kvmhv_p9_guest_entry`.
//!
//! [`run_single_vcpu`] orders the steps of an entry and takes every decision
//! between them: whether to give up the entry for pending work or an MMU
//! reset, how a pending external interrupt reaches the
//! guest (delivered now, or signalled through LPCR[MER]), whether the exit
//! leaves a stale decrementer interrupt queued, and whether the vcpu blocks
//! after an H_CEDE, until when and how it wakes. [`guest_entry`] brings the
//! vcpu to the built-in `kvmhv_vcpu_entry_p9` and handles the hcalls that
//! cannot wait for the XIVE context to be pulled. The kernel implements
//! [`P9Vcpu`] on a real vcpu (`vcpu/hv.rs`); the host tests on a recording
//! mock. This file uses only `core`.
//!
//! Only the vcpu's own entries come here: a nested guest's (`H_ENTER_NESTED`)
//! go through kvm-hv's C, which `kvmhv_enter_nested_guest` calls directly.

use super::interrupt::{dec_due_in, vector, MSR_EE};
use super::run::{Resume, RESUME_GUEST};
use crate::errno::Errno;

/// `MSR_PR`: problem state.
pub(crate) const MSR_PR: u64 = 1 << 14;
/// `LPCR_MER`: mediated external request, an external interrupt the guest
/// takes as soon as it sets MSR[EE].
pub(crate) const LPCR_MER: u64 = 1 << 11;
/// `BOOK3S_INTERRUPT_HV_DECREMENTER`: the host's timer is due.
pub(crate) const TRAP_HV_DECREMENTER: u32 = 0x980;
/// `BOOK3S_INTERRUPT_NESTED_HV_DECREMENTER`: a nested guest's time is up.
pub(crate) const TRAP_NESTED_HV_DECREMENTER: u32 = 0x1980;
/// `H_ENTER_NESTED`: an L1 hypervisor runs its own guest.
pub(crate) const H_ENTER_NESTED: u64 = 0xf804;
/// `H_CEDE`: the vcpu has nothing to do until an interrupt.
pub(crate) const H_CEDE: u64 = 0xe0;
/// `H_SUCCESS`.
pub(crate) const H_SUCCESS: u64 = 0;
/// `H_TOO_HARD`: not handled here, try the next level of handling.
pub(crate) const H_TOO_HARD: i64 = 9999;
/// The XICS hcalls: `H_EOI`, `H_CPPR`, `H_IPI`, `H_IPOLL`, `H_XIRR`,
/// `H_XIRR_X`.
pub(crate) const XICS_HCALLS: [u64; 6] = [0x64, 0x68, 0x6c, 0x70, 0x74, 0x2fc];

/// Preemption and interrupts are off on this CPU: made by [`irqs_off`]
/// after [`P9Vcpu::disable_preemption_and_irqs`], ended by
/// [`P9Vcpu::release_cpu`] or, through [`Claimed`] and [`InGuest`],
/// [`P9Vcpu::leave_guest`], which consume it.
///
/// The steps of an entry take these tokens, and only this file can make
/// one, so the compiler checks their order: interrupts off, then the CPU
/// claimed, then guest state, then the guest entry, then back. (A step
/// that would skip one does not compile; `tests/host`'s `token_order`
/// tests show it.)
#[must_use]
pub(crate) struct IrqsOff(());

/// The vcpu is this CPU's ([`P9Vcpu::claim_cpu`]), inside an [`IrqsOff`]
/// section, which it holds.
#[must_use]
pub(crate) struct Claimed(IrqsOff);

/// The CPU is in guest state ([`P9Vcpu::guest_state_enter`]), the vcpu
/// claimed, until [`P9Vcpu::leave_guest`] consumes this.
#[must_use]
pub(crate) struct InGuest(Claimed);

/// Disables preemption and interrupts ([`P9Vcpu::disable_preemption_and_irqs`]).
pub(crate) fn irqs_off<V: P9Vcpu>(v: &mut V) -> IrqsOff {
    v.disable_preemption_and_irqs();
    IrqsOff(())
}

/// Puts the vcpu on this CPU ([`P9Vcpu::claim_cpu`]).
pub(crate) fn claim<V: P9Vcpu>(v: &mut V, irqs: IrqsOff) -> Claimed {
    v.claim_cpu(&irqs);
    Claimed(irqs)
}

/// Enters guest state ([`P9Vcpu::guest_state_enter`]).
pub(crate) fn enter_guest_state<V: P9Vcpu>(v: &mut V, claimed: Claimed) -> InGuest {
    v.guest_state_enter(&claimed);
    InGuest(claimed)
}

/// The operations of one guest entry on POWER9 and later, in the terms of
/// the C functions and fields they stand for. Those that need preemption
/// and interrupts off, the vcpu on this CPU or guest state take the token
/// that shows it.
pub(crate) trait P9Vcpu {
    /// `trace_kvmppc_run_vcpu_enter` (`exit` false) or `_exit` (true).
    fn trace_run(&mut self, exit: bool);
    /// The state of a new entry: exit reason 0, `ret` `RESUME_GUEST`, `trap`
    /// 0, not ceded, no last instruction.
    fn begin(&mut self);
    /// `kvm->arch.mmu_ready`.
    fn mmu_ready(&self) -> bool;
    /// Sets `vcpu->arch.ret`.
    fn set_ret(&mut self, r: i32);
    /// `vcpu->arch.ret`.
    fn ret(&self) -> i32;
    /// `kvm_xfer_to_guest_mode_handle_work`: runs pending task work and
    /// rescheduling; on a pending signal sets `KVM_EXIT_INTR` and fails
    /// with `EINTR`.
    fn handle_work(&mut self) -> Result<(), Errno>;
    /// `kvmppc_update_vpas`: takes in the VPA, SLB shadow and DTL
    /// registrations made since the last entry.
    fn update_vpas(&mut self);
    /// Disables preemption, prepares a radix guest's TLB state for this CPU
    /// (`kvmppc_prepare_radix_vcpu`), hard-disables interrupts with the PMU's
    /// (`powerpc_local_irq_pmu_save`), prepares the guest-mode work check
    /// (`xfer_to_guest_mode_prepare`), all in one call out of the module
    /// (`kvmhv_p9_disable_preemption_and_irqs`), and marks the vcpu
    /// `RUNNABLE`.
    fn disable_preemption_and_irqs(&mut self);
    /// `xfer_to_guest_mode_work_pending`.
    fn work_pending(&self) -> bool;
    /// Puts the vcpu on this CPU (`cpu`, `thread_cpu`, the vcore's `pcpu`,
    /// the PACA's `kvm_hstate`), then a full barrier: pairs with
    /// `kvmppc_fast_vcpu_kick_hv` reading `cpu` after queueing an interrupt.
    fn claim_cpu(&mut self, irqs: &IrqsOff);
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
    /// Into guest state: the task's user FP/VMX registers in its
    /// thread_struct again if a context switch since `save_host_state` made
    /// them live, guest time accounting and context tracking, the VM's SRCU
    /// read lock, function tracing off on this CPU.
    fn guest_state_enter(&mut self, claimed: &Claimed);
    /// Records `trap` as the vcpu's, undoes `guest_state_enter` and replays
    /// the host interrupt that ended the guest's run, if any; then takes
    /// the vcpu off this CPU (as `release_cpu`), accounts the run's time to
    /// the guest and restores interrupts and preemption. One call out of
    /// the module (`kvmhv_p9_leave_guest`).
    fn leave_guest(&mut self, in_guest: InGuest, trap: u32);
    /// `kvmhv_vcpu_entry_p9_nested` (nested API v1: `H_ENTER_NESTED`) or
    /// `kvmhv_vcpu_entry_nestedv2` (v2: `H_GUEST_RUN_VCPU`), whichever API
    /// the host's hypervisor offers: runs the vcpu until an exit or
    /// `time_limit`. `tb` is the entry's timebase, updated to the exit's.
    /// Returns the trap (0: an interrupt came in before the entry), or why
    /// the vcpu did not run.
    fn enter_nested(
        &mut self,
        g: &InGuest,
        time_limit: u64,
        lpcr: u64,
        tb: &mut u64,
    ) -> Result<u32, EntryError>;
    /// Reports an entry that failed: the L0's refusal as a
    /// `KVM_EXIT_FAIL_ENTRY` with its status, this host's own failure as
    /// an errno. Returns `vcpu->arch.ret`.
    fn entry_failed(&mut self, e: EntryError) -> i32;
    /// `timer_get_next_tb`: when this CPU's next host timer event is due.
    fn next_timer(&self, g: &InGuest) -> u64;
    /// `vcpu_vpa_increment_dispatch`: the VPA's yield count, odd while the
    /// vcpu is dispatched.
    fn increment_dispatch(&mut self);
    /// `kvmppc_xive_push_vcpu`: the vcpu's XIVE context onto this thread.
    fn xive_push(&mut self, g: &InGuest);
    /// `kvmppc_xive_pull_vcpu`.
    fn xive_pull(&mut self, g: &InGuest);
    /// `kvmhv_vcpu_entry_p9`, with this CPU's `cpu_in_guest` set to the VM
    /// around it: runs the guest until an exit. `tb` is the entry's
    /// timebase, updated to the exit's. Returns the trap.
    fn enter_p9(&mut self, g: &InGuest, time_limit: u64, lpcr: u64, tb: &mut u64) -> u32;
    /// Sets the guest's r3.
    fn set_gpr3(&mut self, r3: u64);
    /// `kvmppc_cede`: MSR[EE] on, ceded (unless prodded meanwhile).
    fn cede(&mut self);
    /// `kvmppc_xive_rearm_escalation`: false when an escalation interrupt
    /// is pending, which ends a cede at once.
    fn xive_rearm_escalation(&mut self) -> bool;
    /// `kvmppc_xive_xics_hcall`: an XICS hcall served by XIVE, or
    /// `H_TOO_HARD`.
    fn xics_hcall(&mut self, req: u64) -> i64;
    /// `kvm_is_radix`.
    fn radix(&self) -> bool;
    /// `vcpu->arch.slb_max = 0`: a radix guest has no SLB to save.
    fn clear_slb_max(&mut self);
    /// Takes the vcpu off this CPU (`cpu`, `thread_cpu` -1, state
    /// `BUSY_IN_HOST`), then restores interrupts and preemption: the end of
    /// an entry that did not enter the guest.
    fn release_cpu(&mut self, irqs: IrqsOff);
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
    match dec_due_in(v.timebase(), v.dec_expires()) {
        Some(ticks) => v.start_timer(ticks),
        None => {
            v.queue_dec();
            v.prepare_to_enter();
        }
    }
}

/// Whether the decrementer interrupt still queued after an exit is stale:
/// the decrementer is positive again at `tb`, or the exit is an L1's
/// `H_ENTER_NESTED`, after which L2 owns the decrementer. `r3` is asked
/// for only after an hcall, as C reads it: on a nested-v2 host reading a
/// register the exit did not bring back is an `H_GUEST_GET_STATE`.
pub(crate) fn dec_is_stale(tb: u64, expires: u64, trap: u32, r3: impl FnOnce() -> u64) -> bool {
    tb < expires || (trap == vector::SYSCALL && r3() == H_ENTER_NESTED)
}

/// The LPCR to enter with, and whether to deliver an external interrupt
/// first: delivered when one is pending and the guest has MSR[EE] (on bare
/// metal; the LPCR is then left as it is), else requested through LPCR[MER]
/// so the guest takes it once it enables EE. Without one, MER is cleared: an
/// L1's copy of its guest's LPCR can have it set spuriously.
///
/// `msr` is called only on bare metal with an interrupt pending, as C reads
/// the MSR: on a nested-v2 host reading it costs a guest state buffer
/// round trip to L0 (`H_GUEST_GET_STATE`) at every entry.
pub(crate) fn external_delivery(
    pending: bool,
    on_pseries: bool,
    msr: impl FnOnce() -> u64,
    lpcr: u64,
) -> (bool, u64) {
    if !pending {
        (false, lpcr & !LPCR_MER)
    } else if !on_pseries && msr() & MSR_EE != 0 {
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
    // Unlike C's, this entry does not set the MMU up: its only caller,
    // `run::vcpu_run`, does just before. An HPT reset that starts after that
    // is caught with interrupts off below, and the caller sets it up again.
    if let Err(e) = v.handle_work() {
        v.set_ret(e.to_ret());
        return;
    }
    v.update_vpas();

    let irqs = irqs_off(v);
    // Interrupts are off: pending work is left to `handle_work` of the next
    // entry, and an HPT reset may have started meanwhile.
    if v.work_pending() || !v.mmu_ready() {
        v.release_cpu(irqs);
        return;
    }
    let claimed = claim(v, irqs);

    v.prepare_to_enter();
    let (pending, on_pseries) = (v.external_pending(), v.on_pseries());
    let (deliver, lpcr) = external_delivery(pending, on_pseries, || v.msr(), lpcr);
    if deliver {
        v.inject_external();
    }
    if v.timer_running() {
        v.cancel_timer();
    }

    let mut tb = v.timebase();
    v.update_vpa_dispatch(tb);
    v.trace_guest(false);
    let g = enter_guest_state(v, claimed);
    let entry = if v.on_pseries() {
        pseries_entry(v, &g, time_limit, lpcr, &mut tb)
    } else {
        Ok(guest_entry(v, &g, time_limit, lpcr, &mut tb))
    };
    let trap = match entry {
        Ok(trap) => trap,
        Err(e) => {
            // Nothing ran: no exit to handle, no cede to wait out.
            v.leave_guest(g, 0);
            v.trace_guest(true);
            let r = v.entry_failed(e);
            v.set_ret(r);
            v.clear_ceded();
            return;
        }
    };
    v.leave_guest(g, trap);

    if v.dec_pending() && dec_is_stale(tb, v.dec_expires(), trap, || v.gpr3()) {
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
                v.set_ret(Errno::EINTR.to_ret());
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

/// `kvmhv_p9_guest_entry` on bare metal: enters the guest at host timebase
/// `tb` unless a host timer is due first, and handles the hcalls that must
/// be handled before the vcpu's XIVE context leaves the thread. Returns the
/// trap, 0 when an hcall was handled here.
pub(crate) fn guest_entry<V: P9Vcpu>(
    v: &mut V,
    g: &InGuest,
    time_limit: u64,
    lpcr: u64,
    tb: &mut u64,
) -> u32 {
    let time_limit = match entry_limit(v.next_timer(g), time_limit, *tb) {
        Ok(limit) => limit,
        Err(trap) => return trap,
    };

    v.clear_ceded();
    v.increment_dispatch();
    v.xive_push(g);
    let mut trap = v.enter_p9(g, time_limit, lpcr, tb);

    if trap == vector::SYSCALL && v.msr() & MSR_PR == 0 {
        let req = v.gpr3();
        if let Some(r3) = early_hcall(v, req) {
            v.set_gpr3(r3);
            trap = 0;
        }
    }
    v.xive_pull(g);
    if v.radix() {
        v.clear_slb_max();
    }
    v.increment_dispatch();
    trap
}

/// When an entry at `tb` must end: `time_limit`, or the host's next
/// timer event if that is sooner. The trap to return without entering if
/// the timer is due already (`TRAP_HV_DECREMENTER`) or the limit has passed.
fn entry_limit(next_timer: u64, time_limit: u64, tb: u64) -> Result<u64, u32> {
    if tb >= next_timer {
        Err(TRAP_HV_DECREMENTER)
    } else if next_timer < time_limit {
        Ok(next_timer)
    } else if tb >= time_limit {
        Err(TRAP_NESTED_HV_DECREMENTER)
    } else {
        Ok(time_limit)
    }
}

/// The result of a nested API v1 entry: `H_ENTER_NESTED` returns either
/// the trap or, negative, the hcall's error, which C passes on as a trap
/// (linuxppc issue 464: the exit handler's default case swallows it).
pub(crate) fn nestedv1_result(trap: u32) -> Result<u32, EntryError> {
    match trap as i32 {
        rc if rc < 0 => Err(EntryError::Refused {
            rc: rc.into(),
            elem: 0,
        }),
        _ => Ok(trap),
    }
}

/// Why a nested entry did not run the vcpu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryError {
    /// The L0 refused: `H_GUEST_RUN_VCPU`, or the `H_GUEST_SET_STATE` of
    /// guest-wide values before it, or `H_ENTER_NESTED`, failed with hcall
    /// status `rc`; for an invalid element, `elem` is the one the L0 named.
    Refused { rc: i64, elem: u64 },
    /// This host could not build the run's input or read its output.
    Host(Errno),
}

/// `kvmhv_p9_guest_entry` on a pseries host (a guest of a nested API v1
/// or v2 hypervisor): as on bare metal, a due host timer or a passed limit
/// ends the entry before it starts; the L0 runs the vcpu; an `H_CEDE` is
/// handled at once (the vcpu's decrementer then wakes it, not a XIVE
/// escalation: the L0 owns the interrupt controller).
pub(crate) fn pseries_entry<V: P9Vcpu>(
    v: &mut V,
    g: &InGuest,
    time_limit: u64,
    lpcr: u64,
    tb: &mut u64,
) -> Result<u32, EntryError> {
    let time_limit = match entry_limit(v.next_timer(g), time_limit, *tb) {
        Ok(limit) => limit,
        Err(trap) => return Ok(trap),
    };
    v.clear_ceded();
    v.increment_dispatch();
    let mut entry = v.enter_nested(g, time_limit, lpcr, tb);
    if entry == Ok(vector::SYSCALL) && v.gpr3() == H_CEDE {
        v.cede();
        v.set_gpr3(0);
        entry = Ok(0);
    }
    v.increment_dispatch();
    entry
}

/// `hcall_is_xics`.
pub(crate) fn hcall_is_xics(req: u64) -> bool {
    XICS_HCALLS.contains(&req)
}

/// The hcalls handled while the vcpu's XIVE context is still on the thread.
/// Returns the guest's r3 when handled, `None` to leave the hcall to the
/// exit handler.
fn early_hcall<V: P9Vcpu>(v: &mut V, req: u64) -> Option<u64> {
    match req {
        H_CEDE => {
            v.cede();
            if !v.xive_rearm_escalation() {
                // An escalation interrupt is pending: do not sleep.
                v.clear_ceded();
            }
            Some(H_SUCCESS)
        }
        // L2 must not run with L1's XIVE context: rearm, and pull it below.
        // With an escalation pending, return to L1 instead of entering L2.
        H_ENTER_NESTED => (!v.xive_rearm_escalation()).then_some(H_SUCCESS),
        _ if hcall_is_xics(req) => {
            let ret = v.xics_hcall(req);
            // A negative return reaches the guest sign-extended, as in C.
            (ret != H_TOO_HARD).then_some(ret as u64)
        }
        _ => None,
    }
}
